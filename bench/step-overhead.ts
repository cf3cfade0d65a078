// The runtime overhead of a step, at 200 and 1,000 steps, with the event log on.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEvents } from "../core/events/events-file.ts";
import { git } from "../sandbox/workspace.ts";
import { startScriptedServer, type ScriptReply } from "../bin/runtime/scripted-server.ts";
import { writeFiles } from "./fixtures.ts";

const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));

interface StepRun {
  steps: number;
  overheadMsPerStep: number;
  wallMsPerStep: number;
  commandMsPerStep: number;
  serverMsPerStep: number;
  firstStepMs: number;
  peakRssMb: number;
}

/**
 * Runs molt for `steps` steps of `true` against the scripted server, with the event log on. The
 * server answers at once unless `modelDelayMs` says how long it should think, as a model does: what
 * molt does while it waits (the step's snapshot) is then no longer in the way.
 */
export async function runSteps(repo: string, steps: number, extraArgs: string[] = [], modelDelayMs = 0): Promise<StepRun> {
  const delay = modelDelayMs > 0 ? { delayMs: modelDelayMs } : {};
  const script: ScriptReply[] = Array.from({ length: steps - 1 }, () => ({ thought: "Next.", command: "true", ...delay }));
  script.push({ command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" });
  const server = await startScriptedServer({ script, record: false });
  const out = await mkdtemp(join(tmpdir(), "molt-bench-run-"));
  const library = await mkdtemp(join(tmpdir(), "molt-bench-library-"));
  const child = spawn(process.execPath, [MOLT, "run", "--repo", repo, "--issue", "benchmark", "--model", "bench", "--base-url", server.url, "--step-limit", "0", "--cost-limit", "0", "--output", out, ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
    // The default configuration, self-evolution on, with an empty library of the benchmark's own.
    env: { ...process.env, OPENAI_API_KEY: "bench", MOLT_LIBRARY: library },
  });
  child.stdout.resume();
  let peakKb = 0;
  const poll = setInterval(() => {
    peakKb = Math.max(peakKb, highWaterMarkKb(child.pid));
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(poll);
  const serverMs = server.busyMs.slice(1).reduce((sum, ms) => sum + ms, 0);
  await server.close();
  if (code !== 0) throw new Error(`molt exited with ${code} after ${server.served()} replies`);

  const events = readEvents(join(out, "events.jsonl"));
  await rm(out, { recursive: true, force: true });
  await rm(library, { recursive: true, force: true });
  // One-time costs are left out of the per-step figures: the first step (it loads the HTTP
  // stack and opens the connection; reported on its own) and the patch made after the last.
  const requests = events.filter((event) => event.type === "model_request");
  const firstStepEnd = requests[1]!.ts;
  const finished = events.findLast((event) => event.type === "command_finished")!.ts;
  const commandMs = events.reduce((sum, event) => sum + (event.type === "command_finished" && event.step > 1 ? event.ms : 0), 0);
  const wall = finished - firstStepEnd;
  const measured = steps - 1;
  return {
    steps,
    // The scripted server stands in for a model: its time is the model's, not molt's.
    overheadMsPerStep: round((wall - commandMs - serverMs) / measured),
    wallMsPerStep: round(wall / measured),
    commandMsPerStep: round(commandMs / measured),
    serverMsPerStep: round(serverMs / measured),
    firstStepMs: round(firstStepEnd - requests[0]!.ts),
    peakRssMb: round(peakKb / 1024),
  };
}

export function highWaterMarkKb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export async function makeBenchRepo(): Promise<{ repo: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "molt-bench-"));
  const repo = join(dir, "repo");
  await writeFiles(repo, { "README.md": "# bench\n", "src/index.js": "export const answer = 42;\n" });
  await git(repo, { GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" }).init().add(".").commit("bench");
  return { repo, dispose: () => rm(dir, { recursive: true, force: true }) };
}

