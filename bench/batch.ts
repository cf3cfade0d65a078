// molt batch: throughput (instances per minute) with 1, 2 and 4 workers, and what an instance
// costs beyond its model and its commands (setting up and tearing down its workspace, sandbox,
// tool library and record) on a repository of 1,000 files. `node bench/batch.ts` runs it alone.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEvents } from "../core/events/events-file.ts";
import type { MoltEvent } from "../core/events/events.ts";
import { bwrapProblem } from "../sandbox/bwrap.ts";
import { git, Workspace } from "../sandbox/workspace.ts";
import { writeFiles } from "./fixtures.ts";
import { round } from "./step-overhead.ts";

const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));
const IDENTITY = { GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };
const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
/** A few quick steps, as an easy instance takes: read the file, fix it, submit. */
const FIX = [{ command: "cat src/d0/file0.js | head -3" }, { command: "sed -i 's/= 0;/= 1;/' src/d0/file0.js" }, SUBMIT];

interface Percentiles {
  p50: number;
  p95: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95) };
}

interface Bench {
  dir: string;
  reposDir: string;
  base: string;
  sandbox: "bwrap" | "local";
}

async function setUp(files: number): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), "molt-bench-batch-"));
  const reposDir = join(dir, "repos");
  const repo = join(reposDir, "bench__repo");
  const contents: Record<string, string> = { ".gitignore": "node_modules/\n" };
  for (let index = 0; index < files - 1; index++) contents[`src/d${index % 25}/file${index}.js`] = `export const value${index} = ${index};\n`.repeat(20);
  await writeFiles(repo, contents);
  await git(repo, IDENTITY).init().add(".").commit("bench");
  const base = (await git(repo).revparse("HEAD")).trim();
  // The default sandbox where it works, as users run batches.
  return { dir, reposDir, base, sandbox: bwrapProblem() ? "local" : "bwrap" };
}

/** Runs `molt batch` over `count` instances of one script; the wall time and the batch folder. */
async function runBatch(bench: Bench, name: string, count: number, workers: number, script: object[], extra: string[] = []): Promise<{ wallMs: number; out: string }> {
  const root = join(bench.dir, name);
  const out = join(root, "out");
  const instances = join(root, "instances.jsonl");
  const scriptFile = join(root, "script.json");
  await writeFiles(root, { "script.json": JSON.stringify(script) });
  const lines = Array.from({ length: count }, (_, index) => JSON.stringify({ instance_id: `bench__repo-${index + 1}`, repo: "bench/repo", base_commit: bench.base, problem_statement: "value0 should be 1" }));
  await writeFile(instances, lines.join("\n") + "\n");
  const args = [MOLT, "batch", "--instances", instances, "--output", out, "--model", `script:${scriptFile}`, "--repos-dir", bench.reposDir, "--workers", String(workers), "--sandbox", bench.sandbox, ...extra];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, OPENAI_API_KEY: "bench", CI: "1" } });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`molt batch exited with ${code}`);
  return { wallMs, out };
}

/** The model's and the commands' own time in a run's record: what is not the instance's overhead. */
function workMs(events: MoltEvent[]): number {
  let ms = 0;
  for (const event of events) if (event.type === "model_response" || event.type === "command_finished") ms += event.ms;
  return ms;
}

async function throughput(bench: Bench, count: number, workers: number) {
  const { wallMs } = await runBatch(bench, `throughput-${workers}`, count, workers, FIX);
  return { workers, wallMs: round(wallMs), instancesPerMinute: round((count * 60_000) / wallMs) };
}

/**
 * Instances of one step (submit at once) on one worker: each instance's time as the batch measured
 * it (summary.json: from taking the instance to recording its result) minus its model and command
 * time is its setup and teardown. The first instance also starts the worker (Node and molt's
 * modules, once per worker), so it is reported apart. Making a workspace is timed alone too: the
 * batch does it for the next instance while the one before runs. One direct `molt run` splits the
 * rest into its phases.
 */
async function setupTeardown(bench: Bench, samples: number) {
  const perInstance = async (name: string, extra: string[], script: object[] = [SUBMIT]) => {
    const { out } = await runBatch(bench, name, samples, 1, script, extra);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { instances: Record<string, { ms: number; run_dir: string }> };
    const [first, ...rest] = Object.values(summary.instances).map((entry) => entry.ms - workMs(readEvents(join(entry.run_dir, "events.jsonl"))));
    return { ...percentiles(rest), firstWithWorkerStartMs: round(first ?? 0) };
  };
  // The workspaces on this disk (the default), and on a tmpfs (--workspaces /dev/shm/...), where checking out 1,000 files is quick.
  const onTmpfs = existsSync("/dev/shm") ? join("/dev/shm", `molt-bench-${process.pid}`) : undefined;
  try {
    return {
      samples,
      // Back to back with a model that answers at once: nothing to make the next workspace behind.
      perInstanceMs: await perInstance("setup", []),
      perInstanceMsWorkspacesOnTmpfs: onTmpfs ? await perInstance("setup-tmpfs", ["--workspaces", onTmpfs]) : null,
      // A model that takes a second to answer (any real endpoint takes longer): the next workspace is made meanwhile.
      perInstanceMsModelTakes1s: await perInstance("setup-1s", [], [{ ...SUBMIT, delayMs: 1000 }]),
      makingAWorkspaceMs: await makingAWorkspace(bench, 10),
      phases: await phasesOfOneRun(bench, 5),
    };
  } finally {
    if (onTmpfs) await rm(onTmpfs, { recursive: true, force: true });
  }
}

/** A workspace of the 1,000-file repository made and removed, on this disk: what the batch does ahead. */
async function makingAWorkspace(bench: Bench, samples: number) {
  const source = { root: join(bench.reposDir, "bench__repo"), baseCommit: bench.base };
  const make: number[] = [];
  const remove: number[] = [];
  for (let index = 0; index < samples; index++) {
    const started = performance.now();
    const workspace = await Workspace.create(source, bench.dir);
    const made = performance.now();
    await workspace.remove();
    make.push(made - started);
    remove.push(performance.now() - made);
  }
  return { make: percentiles(make), remove: percentiles(remove) };
}

/** A `molt run` as the batch starts it, timed from spawn to exit against the events it recorded. */
async function phasesOfOneRun(bench: Bench, samples: number) {
  const phases = { startMs: [] as number[], toFirstRequestMs: [] as number[], afterSubmitMs: [] as number[], exitMs: [] as number[] };
  const script = join(bench.dir, "submit.json");
  await writeFile(script, JSON.stringify([SUBMIT]));
  for (let index = 0; index < samples; index++) {
    const out = join(bench.dir, `run-${index}`);
    const started = Date.now();
    const child = spawn(process.execPath, [MOLT, "run", "--json", "--repo", join(bench.reposDir, "bench__repo"), "--base", bench.base, "--output", out, "--model", `script:${script}`, "--sandbox", bench.sandbox, "--evolved", join(bench.dir, `library-${index}`)], {
      stdio: ["pipe", "ignore", "inherit"],
      env: { ...process.env, OPENAI_API_KEY: "bench" },
    });
    child.stdin.end("value0 should be 1");
    await new Promise((resolve) => child.on("exit", resolve));
    const exited = Date.now();
    const events = readEvents(join(out, "events.jsonl"));
    const ts = (type: MoltEvent["type"]) => events.find((event) => event.type === type)!.ts;
    phases.startMs.push(ts("run_started") - started);
    phases.toFirstRequestMs.push(ts("model_request") - ts("run_started"));
    phases.afterSubmitMs.push(ts("run_finished") - events.findLast((event) => event.type === "command_finished")!.ts);
    phases.exitMs.push(exited - ts("run_finished"));
  }
  return {
    // Node's start, molt's modules, the workspace (a clone of the repository) and the sandbox check.
    startToRunStartedMs: percentiles(phases.startMs),
    // The tool library, the tool host and the first snapshot's stat cache.
    runStartedToFirstRequestMs: percentiles(phases.toFirstRequestMs),
    // The patch, the trajectory and the library kept.
    submitToRunFinishedMs: percentiles(phases.afterSubmitMs),
    // Closing the record and the tool host, removing the workspace, Node's exit.
    runFinishedToExitMs: percentiles(phases.exitMs),
  };
}

export async function measureBatch(options: { instances?: number; files?: number; setupSamples?: number } = {}) {
  const count = options.instances ?? 20;
  const files = options.files ?? 1000;
  const bench = await setUp(files);
  try {
    const runs = [];
    for (const workers of [1, 2, 4]) runs.push(await throughput(bench, count, workers));
    return {
      files,
      sandbox: bench.sandbox,
      throughput: { instances: count, stepsPerInstance: FIX.length, runs },
      setupTeardown: { ...(await setupTeardown(bench, options.setupSamples ?? 20)), targetMs: 300 },
    };
  } finally {
    await rm(bench.dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.stdout.write(JSON.stringify(await measureBatch(), null, 2) + "\n");
