// Replay of a 1,000-step run: opening the view, moving between steps, --print, and memory.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { startScriptedServer, type ScriptReply } from "../bin/runtime/scripted-server.ts";
import { LINE_COUNT_TOOL, writeToolCommand } from "./fixtures.ts";
import { highWaterMarkKb, round } from "./step-overhead.ts";

const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));
const SOCKET = `molt-bench-${process.pid}`;
const tmux = (...args: string[]) => execa("tmux", ["-L", SOCKET, ...args]);

/** A real run of `steps` steps: a tool written at step 2 and called every 50 steps, a file changed every 10. */
async function recordRun(repo: string, out: string, steps: number): Promise<void> {
  const script: ScriptReply[] = [];
  for (let step = 1; step < steps; step++) {
    const command = step === 2 ? writeToolCommand("count_lines", LINE_COUNT_TOOL) : step % 50 === 0 ? "count_lines --path README.md" : step % 10 === 0 ? `echo ${step} >> log.txt` : "ls";
    script.push({ thought: `Step ${step}: looking around.`, command });
  }
  script.push({ command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" });
  const server = await startScriptedServer({ script, record: false });
  const library = await mkdtemp(join(tmpdir(), "molt-bench-library-"));
  try {
    await execa(process.execPath, [MOLT, "run", "--repo", repo, "--issue", "benchmark", "--model", "bench", "--base-url", server.url, "--step-limit", "0", "--cost-limit", "0", "--output", out, "--json"], {
      env: { OPENAI_API_KEY: "bench", MOLT_LIBRARY: library },
      stdout: "ignore",
    });
  } finally {
    await server.close();
    await rm(library, { recursive: true, force: true });
  }
}

async function printMs(run: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [MOLT, "replay", run, "--print"], { stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((resolve) => child.on("exit", resolve));
  return performance.now() - started;
}

async function screen(): Promise<string> {
  return (await tmux("capture-pane", "-p", "-t", "bench")).stdout;
}

/** Milliseconds until the screen shows `what`, polling every 2 ms. */
async function until(what: string, started: number): Promise<number> {
  for (;;) {
    if ((await screen()).includes(what)) return performance.now() - started;
    if (performance.now() - started > 20_000) throw new Error(`the replay view did not show ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(Math.floor((values.length - 1) * p), values.length - 1)]!;

/** Opens the view in a real terminal (tmux) and times what the user waits for. */
async function viewTimes(run: string, steps: number) {
  const started = performance.now();
  await tmux("new-session", "-d", "-s", "bench", "-x", "120", "-y", "40", `env -u CI ${process.execPath} ${MOLT} replay ${run}`);
  try {
    const openMs = await until(`Step 1/${steps}`, started);
    // How long one capture-pane takes: the floor of every figure below, not the view's own time.
    const probe = performance.now();
    await screen();
    const captureMs = performance.now() - probe;
    const moves: number[] = [];
    for (let step = 2; step <= 41; step++) {
      const pressed = performance.now();
      await tmux("send-keys", "-t", "bench", "Right");
      moves.push(await until(`Step ${step}/${steps}`, pressed));
    }
    let pressed = performance.now();
    await tmux("send-keys", "-t", "bench", "End");
    const endMs = await until(`Step ${steps}/${steps}`, pressed);
    pressed = performance.now();
    await tmux("send-keys", "-t", "bench", "t");
    const toolsMs = await until("the tools at this step", pressed);
    // The pane's shell shows the same command line: the biggest process is molt.
    const pids = (await execa("pgrep", ["-f", `${MOLT} replay ${run}`])).stdout.trim().split("\n");
    const peakRssMb = Math.max(...pids.map((pid) => highWaterMarkKb(Number(pid)))) / 1024;
    await tmux("send-keys", "-t", "bench", "q");
    return { openMs: round(openMs), moveMs: { p50: round(percentile(moves, 0.5)), p95: round(percentile(moves, 0.95)), max: round(Math.max(...moves)) }, endMs: round(endMs), toolsPanelMs: round(toolsMs), captureMs: round(captureMs), peakRssMb: round(peakRssMb) };
  } finally {
    await tmux("kill-server").catch(() => undefined);
  }
}

export async function measureReplay(repo: string, steps = 1000) {
  const dir = await mkdtemp(join(tmpdir(), "molt-bench-replay-"));
  const run = join(dir, "run");
  try {
    await recordRun(repo, run, steps);
    const prints: number[] = [];
    for (let i = 0; i < 3; i++) prints.push(await printMs(run));
    const view = await viewTimes(run, steps);
    return {
      steps,
      printMs: { best: round(Math.min(...prints)), worst: round(Math.max(...prints)) },
      view,
      targets: { openMsMax: 1000, printMsMax: 2000, moveMsMax: 50, peakRssMbMax: 300 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { makeBenchRepo } = await import("./step-overhead.ts");
  const { repo, dispose } = await makeBenchRepo();
  try {
    process.stdout.write(`${JSON.stringify(await measureReplay(repo, Number(process.argv[2] ?? 1000)), null, 2)}\n`);
  } finally {
    await dispose();
  }
}
