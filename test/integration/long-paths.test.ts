import { randomInt } from "node:crypto";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { batchFixture, SUBMIT, writeScripts } from "../batch-fixture.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";
import { runningWith, scriptFile, startMolt, waitFor } from "../live-molt.ts";
import { COUNT_WORDS, writeTool } from "../tool-sources.ts";

// A Unix socket's path may hold about 108 bytes. Users' folders are often deep
// (/home/<name>/work/<org>/<project>/…): the tool host must work wherever molt's folders are.

/**
 * Each test runs molt two or three times with a tool written, checked and loaded: seconds alone,
 * but on a 2-core machine whose disk another test file fills with hundreds of megabytes, a minute
 * can pass. Room for that, so that only a run that truly stops fails.
 */
const SLOW_MACHINE_MS = 150_000;

const kept: string[] = [];
afterEach(async () => {
  await Promise.all(kept.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

/** A new folder 200 characters deep or more, made of ordinary names. */
async function deepFolder(name: string): Promise<string> {
  let dir = await tempDir(`molt-deep-${name}-`);
  while (dir.length < 200) dir = join(dir, `${name}-folder-with-a-long-name`);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function recordOf(out: string): Promise<MoltEvent[]> {
  return (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

function calls(events: MoltEvent[]): EventOf<"tool_called">[] {
  return events.filter((event): event is EventOf<"tool_called"> => event.type === "tool_called");
}

test("a run and its resume in folders 200 characters deep write, load and call a tool", async () => {
  const workspaces = await deepFolder("workspaces");
  kept.push(workspaces);
  const library = join(await deepFolder("library"), "evolved");
  const out = join(await deepFolder("output"), "run");
  const home = await deepFolder("home");
  const repo = await makeRepo({ "notes.txt": "one two three\n" });
  const sleep = `sleep 1000.${randomInt(100_000, 999_999)}`;
  const first = await scriptFile([{ command: writeTool("count_words", COUNT_WORDS) }, { command: "count_words --path notes.txt" }, { command: sleep }]);
  const env = { MOLT_WORKSPACES: workspaces, HOME: home, XDG_DATA_HOME: join(home, ".local", "share") };
  const live = await startMolt(["run", "--repo", repo, "--issue", "count", "--model", `script:${first}`, "--evolved", library, "--output", out], env);
  await waitFor("the last command", () => runningWith(sleep).length > 0, SLOW_MACHINE_MS - 10_000);
  process.kill(live.pid, "SIGINT");
  expect((await live.done).stderr.trim()).toBe("molt: Interrupted: the run was interrupted");

  const before = await recordOf(out);
  const started = before.find((event): event is EventOf<"run_started"> => event.type === "run_started")!;
  expect(started.workspace.startsWith(`${workspaces}/`)).toBe(true);
  expect(before.filter((event) => event.type === "tool_loaded")).toHaveLength(1);
  expect(calls(before).map((call) => call.exitCode)).toEqual([0]);
  expect(JSON.stringify(before)).toContain("3 words");

  // Resumed: a new tool host, in the same deep folders, loads the tool again.
  const rest = await scriptFile([{ command: "count_words --path notes.txt" }, SUBMIT]);
  const resumed = await molt(["resume", out, "--model", `script:${rest}`], { env });
  expect(resumed.stderr).toBe("");
  expect(resumed.exitCode).toBe(0);
  expect(calls(await recordOf(out)).map((call) => call.exitCode)).toEqual([0, 0]);
  // The run's sockets go with it.
  expect(await readdir(workspaces)).toEqual([]);
}, SLOW_MACHINE_MS);

test("a batch whose workspaces, library and output are 200 characters deep: every instance writes, loads and calls a tool", async () => {
  const f = await batchFixture();
  // Each instance also looks for the other instances' tool host sockets, which it must not see.
  const others = 'ls -d /tmp/molt-*/r-*/ /tmp/molt-s-*/ 2>/dev/null | grep -v -F "$(dirname "$MOLT_TOOL_SOCKET")" | wc -l';
  const script = (file: string) => [{ command: writeTool("count_words", COUNT_WORDS) }, { command: `count_words --path ${file}; echo "others: $(${others})"` }, SUBMIT];
  await writeScripts(f.scripts, { "acme__calc-1": script("calc.js"), "acme__calc-2": script("calc.js"), "acme__text-1": script("text.js") });
  const workspaces = await deepFolder("workspaces");
  kept.push(workspaces);
  const library = join(await deepFolder("library"), "evolved");
  const out = join(await deepFolder("output"), "batch");
  const result = await molt(["batch", "--instances", f.instancesFile, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--workers", "2", "--workspaces", workspaces, "--evolved", library]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  for (const id of ["acme__calc-1", "acme__calc-2", "acme__text-1"]) {
    const events = await recordOf(join(out, id));
    expect(events.filter((event) => event.type === "tool_rejected")).toEqual([]);
    expect(calls(events).map((call) => call.exitCode)).toEqual([0]);
    const looked = events.find((event): event is EventOf<"command_finished"> => event.type === "command_finished" && event.output.includes("others:"));
    expect(looked?.output).toMatch(/ words\nothers: 0\n/);
    expect(events.at(-1)).toMatchObject({ type: "run_finished", exitStatus: "Submitted" });
  }
  expect(await readdir(library)).toContain("count_words.ts");
  expect(dirname(out).length).toBeGreaterThanOrEqual(200);
}, SLOW_MACHINE_MS);
