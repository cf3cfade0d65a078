import { randomInt } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";
import { descendants, runningWith, scriptFile, startMolt, waitFor, type LiveMolt } from "../live-molt.ts";
import { writeTool } from "../tool-sources.ts";

// A tool runs in the tool host, but what it runs must count as part of the command that called
// it: its processes end with that command, count toward its process limit, and are held to
// --mem-limit; the tool's own code stops when the command is gone; and the host and the checker
// have memory limits of their own. Each test runs ./bin/molt under bubblewrap, as users do.

const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
/** Seconds alone, but a busy 2-core machine (another file writing hundreds of megabytes) can take a minute: room for that. */
vi.setConfig({ testTimeout: 150_000 });
const workspaces: string[] = [];
const started: LiveMolt[] = [];

afterEach(async () => {
  for (const live of started.splice(0)) {
    try {
      process.kill(live.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await Promise.all(workspaces.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

/** A number no other process on the machine has in its command line: `sleep <marker>N` marks what a test started. */
const markerOf = () => `1000.${randomInt(100_000, 999_999)}`;

function record(out: string): MoltEvent[] {
  return readFileSync(join(out, "events.jsonl"), "utf8").trim().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

function workspaceOf(out: string): string {
  return record(out).find((event): event is EventOf<"run_started"> => event.type === "run_started")!.workspace;
}

/** Runs molt with `script` (each command a step, then a submission) and, while the step `sleep <pause>` runs, `check`; then ends that step. */
async function runPausing(script: string[], pause: string, check: (live: LiveMolt, out: string) => Promise<void> | void, args: string[] = []) {
  const repo = await makeRepo({ "a.txt": "a\n" });
  const out = join(await tempDir(), "run");
  const file = await scriptFile([...script.map((command) => ({ command })), SUBMIT]);
  const live = await startMolt(["run", "--repo", repo, "--issue", "use the tools", "--model", `script:${file}`, "--output", out, ...args]);
  started.push(live);
  // The sleep itself, not the bubblewrap or shell about to start it (their arguments name it too):
  // killed before it runs, the step would go on to its time-out.
  const sleeping = () => runningWith(`sleep ${pause}`).filter((proc) => proc.args === `sleep ${pause}`);
  await waitFor(`the step sleep ${pause}`, () => sleeping().length > 0, 140_000);
  workspaces.push(dirname(workspaceOf(out)));
  try {
    await check(live, out);
  } finally {
    // The pause has served: end it (the sleep itself, inside the sandbox), and the run goes on.
    for (const proc of sleeping()) process.kill(proc.pid, "SIGKILL");
  }
  const result = await live.done;
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const observations = record(out)
    .filter((event): event is EventOf<"command_finished"> => event.type === "command_finished")
    .map((event) => [event.output, event.outputTail, ...event.notes].join("\n"));
  return { out, observations };
}

const SPAWNER = `import { defineTool, z } from "molt/tool";
import { appendFileSync } from "node:fs";
import { join } from "node:path";

export default defineTool({
  name: "spawner",
  description: "Starts processes every way a tool can, and keeps busy",
  input: z.object({ marker: z.string() }),
  async run({ marker }, ctx) {
    let said = "";
    try {
      process.getBuiltinModule("node:child_process").spawn("sleep", [marker + "1"], { detached: true, stdio: "ignore" }).unref();
      said += "spawned directly\\n";
    } catch (error) {
      said += "could not spawn directly: " + (error instanceof Error ? error.message : String(error)) + "\\n";
    }
    const background = await ctx.exec("setsid sleep " + marker + "2 >/dev/null 2>&1 </dev/null & echo started in the background");
    said += background.stdout;
    setInterval(() => appendFileSync(join(ctx.cwd, "ticks.txt"), "x"), 50);
    await ctx.exec("sleep " + marker + "3");
    return said;
  },
});
`;

test("what a tool starts, and the tool's own code, end with the command that called it", async () => {
  const marker = markerOf();
  const pause = markerOf();
  let ticks = "";
  const { observations } = await runPausing(
    [writeTool("spawner", SPAWNER), `timeout 3 spawner --marker ${marker}; echo "spawner ended: $?"`, `sleep ${pause}`],
    pause,
    async (_live, out) => {
      // The step that called the tool is over: nothing it started through the tool is left.
      for (const suffix of ["1", "2", "3"]) expect(runningWith(`sleep ${marker}${suffix}`).map((proc) => proc.args)).toEqual([]);
      // And the tool's code has stopped: it no longer writes into the workspace.
      ticks = join(workspaceOf(out), "ticks.txt");
      const before = existsSync(ticks) ? statSync(ticks).size : 0;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(existsSync(ticks) ? statSync(ticks).size : 0).toBe(before);
    },
  );
  expect(observations[1]).toContain("spawner ended: 124");
  for (const suffix of ["1", "2", "3"]) expect(runningWith(`sleep ${marker}${suffix}`)).toEqual([]);
});

test("a tool whose command starts more processes than a command may is stopped with its command, and none is left", async () => {
  const marker = markerOf();
  const forker = `import { defineTool, z } from "molt/tool";
export default defineTool({
  name: "forker",
  description: "Starts many processes",
  input: z.object({}),
  async run(_input, ctx) {
    const outcome = await ctx.exec("for i in $(seq 1100); do sleep ${marker} & done; wait");
    return "exit " + outcome.exitCode;
  },
});
`;
  const pause = markerOf();
  const { observations } = await runPausing([writeTool("forker", forker), "forker; echo survived=$?", `sleep ${pause}`], pause, () => {
    expect(runningWith(`sleep ${marker}`)).toEqual([]);
  }, ["--timeout", "20"]);
  expect(observations[1]).toContain("[molt] the command started more processes than the limit (1024); it was stopped.");
  expect(observations[1]).not.toContain("survived=");
});

const HOG = `import { defineTool, z } from "molt/tool";
export default defineTool({
  name: "hog",
  description: "Allocates 1.5 GiB, in its own code or in a command it runs",
  input: z.object({ where: z.enum(["tool", "command"]) }),
  async run({ where }, ctx) {
    if (where === "tool") return "allocated " + Buffer.alloc(1.5 * 1024 ** 3, 1).length;
    const outcome = await ctx.exec("python3 -c 'x = bytearray(int(1.5 * 1024 ** 3)); print(\\"allocated\\")'");
    return outcome.stdout + outcome.stderr;
  },
});
`;

/** The soft data size limit of a process, in bytes, from /proc; undefined when unlimited. */
function dataLimit(pid: number): number | undefined {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((row) => row.startsWith("Max data size"))!;
  const soft = line.split(/\s{2,}/)[1]!;
  return soft === "unlimited" ? undefined : Number(soft);
}

test("--mem-limit holds a tool's own code and the commands it runs; the tool host and the checker have limits of their own", async () => {
  const pause = markerOf();
  const { observations } = await runPausing(
    [writeTool("hog", HOG), "hog --where tool; echo exit=$?", "hog --where command; echo exit=$?", `sleep ${pause}`],
    pause,
    (live) => {
      // The Node processes themselves, not the bubblewrap or the shell that started them.
      const family = descendants(live.pid).filter((proc) => proc.args.startsWith(`${process.execPath} `));
      const host = family.find((proc) => proc.args.includes("tool-host.ts"));
      const checker = family.find((proc) => proc.args.includes("validator-process.ts"));
      expect(host && dataLimit(host.pid)).toBe(1.5 * 1024 ** 3);
      expect(checker && dataLimit(checker.pid)).toBe(2 * 1024 ** 3);
    },
    // A step that hangs ends at its own time-out (60 s), within the test's, and shows what it hung on.
    ["--mem-limit", "1G"],
  );
  expect(observations[1]).not.toContain("allocated");
  expect(observations[1]).toContain("exit=1");
  expect(observations[1]).toContain("hog: Failed to allocate memory (out of memory: a tool's heap may use 512 MiB, and the tool host with all its tools 1024 MiB: --mem-limit)");
  expect(observations[2]).toContain("MemoryError");
  expect(observations[2]).not.toContain("\nallocated");
});

test("--mem-limit below what Node needs to start is refused in one line naming the lowest that works; that lowest runs tools", async () => {
  const repo = await makeRepo({ "a.txt": "a\n" });
  const submitOnly = await scriptFile([SUBMIT]);
  const refused = await molt(["run", "--repo", repo, "--issue", "x", "--model", `script:${submitOnly}`, "--mem-limit", "512M"]);
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  expect(refused.stderr).toContain("--mem-limit");
  expect(refused.stderr).toContain("768M");

  const tool = `import { defineTool, z } from "molt/tool";
export default defineTool({
  name: "echoes",
  description: "Runs echo",
  input: z.object({}),
  async run(_input, ctx) {
    return (await ctx.exec("echo from a command")).stdout;
  },
});
`;
  const out = join(await tempDir(), "run");
  const file = await scriptFile([{ command: writeTool("echoes", tool) }, { command: "echoes" }, SUBMIT]);
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", `script:${file}`, "--output", out, "--mem-limit", "768M"]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const calls = record(out).filter((event): event is EventOf<"tool_called"> => event.type === "tool_called");
  expect(calls.map((call) => call.exitCode)).toEqual([0]);
  expect(await readFile(join(out, "events.jsonl"), "utf8")).toContain("from a command");
});
