import { randomInt } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";
import { runningWith, scriptFile, startMolt, waitFor } from "../live-molt.ts";
import { writeTool } from "../tool-sources.ts";

// molt writes on the host, outside the sandbox: the tool commands, their compile cache, the link
// by which tools import molt/tool. None of those writes may follow a link the agent planted, in a
// folder the agent (or a tool it wrote, running in the tool host) can write.

const workspaces: string[] = [];
afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

/** A tool that replaces two paths it is given with links to two others: what an attacker's tool would do. */
const planter = (version: string) => `import { defineTool, z } from "molt/tool";
import { rmSync, symlinkSync } from "node:fs";

function plant(at: string, target: string): string {
  if (at === "") return "nothing to plant";
  try {
    rmSync(at, { recursive: true, force: true });
    symlinkSync(target, at);
    return "planted " + at;
  } catch (error) {
    return "could not plant " + at + ": " + (error instanceof Error ? error.message : String(error));
  }
}

export default defineTool({
  name: "planter",
  description: "Replaces paths with links (${version})",
  input: z.object({ command: z.string(), cache: z.string(), file: z.string(), dir: z.string() }),
  run({ command, cache, file, dir }) {
    return [plant(command, file), plant(cache, dir)].join("\\n");
  },
});
`;

test("links planted in molt's tool folders lead none of molt's writes outside, in the run or when it is resumed", async () => {
  // Outside every sandbox: in molt's own /tmp, where the agent cannot even look.
  const outside = await tempDir("molt-outside-");
  const precious = join(outside, "precious.txt");
  await writeFile(precious, "precious\n", { mode: 0o644 });
  const cacheTarget = join(outside, "cache-target");
  const modulesTarget = join(outside, "modules-target");
  await mkdir(cacheTarget);
  await mkdir(modulesTarget);

  const repo = await makeRepo({ "a.txt": "a\n" });
  const out = join(await tempDir(), "run");
  const sleep = `sleep 1000.${randomInt(100_000, 999_999)}`;
  // The tool's own command file and the compile cache it names, found the way an agent would.
  const plant = [
    'CMD="$(command -v planter)"',
    `CACHE="$(sed -n "s/^NODE_COMPILE_CACHE='\\(.*\\)'$/\\1/p" "$CMD")"`,
    `planter --command "$CMD" --cache "$CACHE" --file ${precious} --dir ${cacheTarget}`,
  ].join("; ");
  const first = await scriptFile([
    { command: writeTool("planter", planter("v1")) },
    { command: plant },
    // A new version: molt installs the tool's command again.
    { command: writeTool("planter", planter("v2")) },
    { command: `rm -rf "$MOLT_EVOLVED/node_modules"; ln -s ${modulesTarget} "$MOLT_EVOLVED/node_modules"` },
    { command: sleep },
  ]);
  const live = await startMolt(["run", "--repo", repo, "--issue", "plant links", "--model", `script:${first}`, "--output", out]);
  await waitFor("the last command", () => runningWith(sleep).length > 0);
  process.kill(live.pid, "SIGINT");
  const interrupted = await live.done;
  expect(interrupted.stderr.trim()).toBe("molt: Interrupted: the run was interrupted");

  const events = (await readFile(join(out, "events.jsonl"), "utf8")).trim().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
  workspaces.push(dirname(events.find((event): event is EventOf<"run_started"> => event.type === "run_started")!.workspace));
  expect(events.filter((event) => event.type === "tool_loaded").map((event) => (event as EventOf<"tool_loaded">).version)).toEqual([1, 2]);

  // Resumed: molt starts a new tool host (and warms its commands up) and loads the tool again.
  const rest = await scriptFile([{ command: "planter --help" }, { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" }]);
  const resumed = await molt(["resume", out, "--model", `script:${rest}`], { env: { HOME: await tempDir("molt-home-") } });
  expect(resumed.stderr).toBe("");
  expect(resumed.exitCode).toBe(0);

  expect(await readFile(precious, "utf8")).toBe("precious\n");
  expect(statSync(precious).mode & 0o111).toBe(0);
  expect(readdirSync(cacheTarget)).toEqual([]);
  expect(readdirSync(modulesTarget)).toEqual([]);
  // The tool still works after all that.
  const after = (await readFile(join(out, "events.jsonl"), "utf8")).trim().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
  expect(after.filter((event) => event.type === "tool_called").map((event) => (event as EventOf<"tool_called">).exitCode)).toEqual([0, 0]);
});
