import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, MOLT, tempDir } from "../helpers.ts";
import { descendants, processes, runningWith, type MachineProcess } from "../live-molt.ts";
import { COUNT_WORDS, writeTool } from "../tool-sources.ts";

// Stopping a run: signals while a command runs, kill -9, and `molt resume` afterwards. molt runs
// as a real process (started here, so that the test can signal it) with the tool layer on, as
// users run it: the tool host and the validator are processes of their own that must stop too.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n" };
const servers: ScriptedServer[] = [];
/** Processes a test started and must not leave behind, even when it fails. */
const started: number[] = [];
/** Workspaces of interrupted runs (molt keeps them for `molt resume`), removed after each test. */
const workspaces: string[] = [];

afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(workspaces.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

interface LiveMolt {
  pid: number;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts molt as a user would; with `ownGroup`, in a process group of its own, as a shell starts a job. */
async function startMolt(args: string[], options: { ownGroup?: boolean } = {}): Promise<LiveMolt> {
  const library = join(await tempDir("molt-library-"), "evolved");
  // An empty home: these tests are about stopping molt, not about the machine's shell start-up files.
  const home = await tempDir("molt-home-");
  const child = spawn(process.execPath, [MOLT, ...args], {
    env: { ...process.env, OPENAI_API_KEY: "test-key", MOLT_LIBRARY: library, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownGroup ?? false,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error("molt did not start");
  started.push(child.pid);
  return { pid: child.pid, done };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves with molt's exit, or rejects when it has not exited within `ms`. */
function exitWithin(live: LiveMolt, ms: number) {
  return Promise.race([
    live.done,
    new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`molt did not exit within ${ms} ms`)), ms)),
  ]);
}

function stillRunning(procs: MachineProcess[]): MachineProcess[] {
  const now = new Map(processes().map((proc) => [proc.pid, proc]));
  return procs.filter((proc) => now.get(proc.pid)?.start === proc.start);
}

/** The command's own process: bubblewrap's arguments name it before it runs. */
const isRunning = (command: string) => processes().some((proc) => proc.args === command);

/** The record, read strictly: every line must be a complete molt event. */
async function record(out: string): Promise<MoltEvent[]> {
  const text = await readFile(join(out, "events.jsonl"), "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

const lastFinished = (events: MoltEvent[]) => events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
const runStarted = (events: MoltEvent[]) => events.find((event): event is EventOf<"run_started"> => event.type === "run_started")!;

async function scriptFile(script: ScriptReply[]): Promise<string> {
  const file = join(await tempDir(), "script.json");
  await writeFile(file, JSON.stringify(script));
  return file;
}

const sleepOf = () => `sleep 1000.${randomInt(100_000, 999_999)}`;

describe.each(["SIGINT", "SIGTERM"] as const)("%s during a long command", (signal) => {
  test("ends the run as Interrupted, kills the command, keeps the workspace, and `molt resume` finishes it", async () => {
    const repo = await makeRepo(FILES);
    const out = join(await tempDir(), "run");
    const sleep = sleepOf();
    const first = await scriptFile([{ command: `echo one > one.txt && ${sleep}` }, { command: "echo never-asked" }]);
    const live = await startMolt(["run", "--repo", repo, "--issue", "fix add", "--model", `script:${first}`, "--output", out]);
    await waitFor("the long command", () => isRunning(sleep));
    const family = descendants(live.pid);
    expect(family.some((proc) => proc.args.includes("validator-process.ts"))).toBe(true);

    process.kill(live.pid, signal);
    const result = await exitWithin(live, 20_000);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual(["molt: Interrupted: the run was interrupted"]);
    expect(result.stdout).toContain(`resume   molt resume ${out}\n`);
    const events = await record(out);
    expect(lastFinished(events)?.exitStatus).toBe("Interrupted");
    expect(runningWith(sleep)).toEqual([]);
    const workspace = runStarted(events).workspace;
    workspaces.push(dirname(workspace));
    expect(existsSync(join(workspace, "one.txt"))).toBe(true);
    // The tool host and the validator stopped with molt.
    expect(stillRunning(family).map((proc) => proc.args)).toEqual([]);
    expect(runningWith(`${dirname(workspace)}/`)).toEqual([]);

    const rest = await scriptFile([{ command: "echo two > two.txt" }, { command: SUBMIT }]);
    const resumed = await molt(["resume", out, "--model", `script:${rest}`], { env: { HOME: await tempDir("molt-home-") } });
    expect(resumed.stderr).toBe("");
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toContain("resuming the run after step 1");
    const patch = await readFile(join(out, "patch.diff"), "utf8");
    expect(patch).toContain("+++ b/one.txt");
    expect(patch).toContain("+++ b/two.txt");
    const after = await record(out);
    expect(lastFinished(after)?.exitStatus).toBe("Submitted");
    expect(after.filter((event) => event.type === "run_resumed")).toHaveLength(1);
  });
});

// A regression test. Up to commit d5c19b6, Ctrl-C in a terminal (SIGINT to molt's whole process
// group) also reached the tool host's bubblewrap, which was forked without a group of its own.
// The host died at once; molt took that for a crash and started a new host while the run was
// ending, then killed the new bubblewrap right away in ToolHostClient.stop(). When that kill landed
// before the inner bubblewrap had armed --die-with-parent (most of the time), the new host lived
// on and kept molt's IPC channel open: molt printed "Interrupted" and the resume hint, then
// never exited. Since 718eac8 the tool host and the validator have process groups of their own.
// The hang itself was a race, so the test also checks the step that always came first: a tool
// host started after the Ctrl-C.
test("Ctrl-C (SIGINT to molt's whole process group, as a terminal sends it) ends the run and molt exits", async () => {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  const sleep = sleepOf();
  // The first step writes a tool, so that the tool host is running when the Ctrl-C comes.
  const script = await scriptFile([{ command: writeTool("count_words", COUNT_WORDS) }, { command: `echo one > one.txt && ${sleep}` }, { command: SUBMIT }]);
  const live = await startMolt(["run", "--repo", repo, "--issue", "fix add", "--model", `script:${script}`, "--output", out], { ownGroup: true });
  await waitFor("the long command", () => isRunning(sleep));
  const container = `${dirname(runStarted(await record(out)).workspace)}/`;
  workspaces.push(container);
  const hosts = () => runningWith(container).filter((proc) => proc.args.includes("tool-host.ts")).map((proc) => proc.pid);
  const hostsBefore = new Set(hosts());
  expect(hostsBefore.size).toBeGreaterThan(0);
  const newHosts = new Set<number>();
  let exited = false;
  void live.done.then(() => (exited = true));
  try {
    process.kill(-live.pid, "SIGINT");
    const deadline = Date.now() + 8000;
    while (!exited && Date.now() < deadline) {
      for (const pid of hosts()) if (!hostsBefore.has(pid)) newHosts.add(pid);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(exited, "molt exits after Ctrl-C").toBe(true);
    const result = await live.done;
    expect(result.exitCode).toBe(1);
    expect(lastFinished(await record(out))?.exitStatus).toBe("Interrupted");
    expect(runningWith(container)).toEqual([]);
    expect([...newHosts], "no tool host is started while the run ends").toEqual([]);
  } finally {
    // Whatever molt left behind: every process of the run names its private folder.
    for (const proc of [...runningWith(container), ...descendants(live.pid)]) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});

test("after kill -9 the record is whole, nothing molt started survives, and `molt resume` finishes the run without asking again for recorded steps", async () => {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  const sleep = `sleep 3.${randomInt(100_000, 999_999)}`;
  const steps = [
    // A tool too, so that the tool host is running when the kill comes.
    { command: `echo before > before.txt && ${writeTool("count_words", COUNT_WORDS)}` },
    { command: `echo run >> during.log && ${sleep} && echo slept` },
    { command: "echo after > after.txt" },
    { command: SUBMIT },
  ];
  const server = await startScriptedServer({ script: steps });
  servers.push(server);
  const live = await startMolt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out]);
  await waitFor("the long command", () => isRunning(sleep));

  const family = descendants(live.pid);
  // What there is to stop: the command, the tool host and the validator.
  expect(family.some((proc) => proc.args.includes(sleep))).toBe(true);
  expect(family.some((proc) => proc.args.includes("tool-host.ts"))).toBe(true);
  expect(family.some((proc) => proc.args.includes("validator-process.ts"))).toBe(true);
  process.kill(live.pid, "SIGKILL");
  const killed = await exitWithin(live, 10_000);
  expect(killed.signal).toBe("SIGKILL");
  await waitFor("molt's processes to go", () => stillRunning(family).length === 0, 5000).catch(() => undefined);
  expect(stillRunning(family).map((proc) => proc.args)).toEqual([]);
  expect(runningWith(sleep)).toEqual([]);

  const events = await record(out);
  expect(lastFinished(events)).toBeUndefined();
  expect(events.filter((event) => event.type === "command_finished").map((event) => event.step)).toEqual([1]);
  const workspace = runStarted(events).workspace;
  workspaces.push(dirname(workspace));
  expect(server.requests).toHaveLength(2);

  // The run's own model and endpoint, from its record.
  const resumed = await molt(["resume", out], { env: { HOME: await tempDir("molt-home-") } });
  expect(resumed.stderr).toBe("");
  expect(resumed.exitCode).toBe(0);
  expect(resumed.stdout).toMatch(/resuming the run after step \d/);

  // Two calls before the kill, two after: the steps on record were not asked for again.
  expect(server.requests).toHaveLength(4);
  const firstAfter = server.requests[2]!.messages;
  expect(firstAfter.map((message) => message.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "tool"]);
  // The command the kill cut short ran again, to its end.
  expect(String(firstAfter.at(-1)?.content)).toContain("slept");

  const patch = await readFile(join(out, "patch.diff"), "utf8");
  expect(patch).toContain("+++ b/before.txt");
  expect(patch).toContain("+++ b/after.txt");
  expect(patch).toContain("+++ b/during.log\n@@ -0,0 +1,2 @@\n+run\n+run\n");

  const after = await record(out);
  expect(lastFinished(after)?.exitStatus).toBe("Submitted");
  expect(after.filter((event) => event.type === "command_started" && event.step === 2)).toHaveLength(2);
  const trajFile = (await readdir(out)).find((name) => name.endsWith(".traj.json"));
  const traj = JSON.parse(await readFile(join(out, trajFile!), "utf8")) as {
    info: { exit_status: string; model_stats: { api_calls: number } };
    messages: { role: string; tool_calls?: { function: { arguments: string } }[] }[];
  };
  expect(traj.info.exit_status).toBe("Submitted");
  expect(traj.info.model_stats.api_calls).toBe(4);
  const commands = traj.messages.flatMap((message) => message.tool_calls ?? []).map((call) => (JSON.parse(call.function.arguments) as { command: string }).command);
  expect(commands).toEqual(steps.map((step) => step.command));
  // A finished run does not keep its workspace.
  expect(existsSync(workspace)).toBe(false);
});

test("a scripted run resumes at the reply its record had not used, and --plain shows the run it carries on", async () => {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  // The long command sleeps only the first time: run again on resume, it ends at once.
  const once = `if [ -e .slept ]; then echo again; else touch .slept; ${sleepOf()}; fi`;
  const script = await scriptFile([{ command: "echo one > one.txt" }, { command: once }, { command: "echo three > three.txt" }, { command: SUBMIT }]);
  const live = await startMolt(["run", "--repo", repo, "--issue", "fix add", "--model", `script:${script}`, "--output", out]);
  await waitFor("the long command", () => existsSync(join(out, "events.jsonl")) && readFileSync(join(out, "events.jsonl"), "utf8").includes(".slept"));
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(live.pid, "SIGTERM");
  expect((await exitWithin(live, 20_000)).exitCode).toBe(1);
  workspaces.push(dirname(runStarted(await record(out)).workspace));

  const resumed = await molt(["resume", out, "--plain"], { env: { HOME: await tempDir("molt-home-") } });
  expect(resumed.stderr).toBe("");
  expect(resumed.exitCode).toBe(0);
  // What it carries on: the run's header, then where it picks up.
  expect(resumed.stdout).toMatch(/^molt \S+ · run run\n {2}repo {5}\S+\/repo @ [0-9a-f]{10}\n/);
  expect(resumed.stdout).toContain("molt · resuming the run after step 2");
  expect(resumed.stdout).toMatch(/^ +3  \$ echo three > three.txt  → exit 0/m);
  const patch = await readFile(join(out, "patch.diff"), "utf8");
  expect(patch).toContain("+++ b/one.txt");
  expect(patch).toContain("+++ b/three.txt");
  const after = await record(out);
  // Four replies in all: none asked twice, none skipped.
  expect(after.filter((event) => event.type === "model_response").map((event) => event.type === "model_response" && event.step)).toEqual([1, 2, 3, 4]);
  expect(lastFinished(after)?.exitStatus).toBe("Submitted");
});

describe("molt resume refuses what it cannot resume, with exit 2 and one line", () => {
  const refuse = async (args: string[], message: RegExp) => {
    const result = await molt(["resume", ...args]);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe("");
  };

  test("--confirm with --no-confirm", async () => {
    await refuse([await tempDir(), "--confirm", "--no-confirm"], /^molt: choose --confirm or --no-confirm, not both$/);
  });

  test("a folder that is not a molt run", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "notes.txt"), "hello\n");
    await refuse([dir], /is not a molt run/);
    expect(await readdir(dir)).toEqual(["notes.txt"]);
  });

  test("a missing folder", async () => {
    await refuse([join(await tempDir(), "nope")], /nope.*(no such|not a molt run)/);
  });

  test("a record that is not one", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "events.jsonl"), '{"type":"run_started"}\nnot json at all\n{}\n');
    await refuse([dir], /not a (readable )?molt run/);
  });

  test("a run that already ended Submitted, whose record stays as it was", async () => {
    const repo = await makeRepo(FILES);
    const out = join(await tempDir(), "run");
    const script = await scriptFile([{ command: SUBMIT }]);
    const run = await molt(["run", "--repo", repo, "--issue", "x", "--model", `script:${script}`, "--output", out, "--no-evolve"]);
    expect(run.exitCode).toBe(0);
    const before = await readFile(join(out, "events.jsonl"), "utf8");
    await refuse([out, "--model", `script:${script}`], /already ended \(Submitted\)/);
    expect(await readFile(join(out, "events.jsonl"), "utf8")).toBe(before);
  });
});
