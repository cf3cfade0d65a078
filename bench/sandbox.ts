// The sandbox's costs: per-command overhead of bubblewrap against running commands directly, and
// molt's memory while a command prints 30 MB.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CommandExecutor } from "../sandbox/command-executor.ts";
import { DEFAULT_LIMITS } from "../sandbox/limits.ts";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.ts";
import { startScriptedServer } from "../bin/runtime/scripted-server.ts";
import { highWaterMarkKb, round } from "./step-overhead.ts";

const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

async function commandMs(policy: SandboxPolicy, cwd: string, samples: number): Promise<number[]> {
  const executor = new CommandExecutor({ cwd, env: { PATH: process.env.PATH ?? "" }, timeoutSec: 60, limits: { ...DEFAULT_LIMITS, cpuSec: 60 }, sandbox: policy });
  const times: number[] = [];
  for (let index = 0; index < samples + 5; index++) {
    const result = await executor.execute("true");
    if (result.exitCode !== 0) throw new Error(`sandboxed true failed: ${result.output}`);
    if (index >= 5) times.push(result.ms);
  }
  await executor.close();
  return times;
}

/** molt's peak RSS over a run whose one command prints 30 MB. */
async function peakRssPrinting30Mb(repo: string): Promise<number> {
  const server = await startScriptedServer({
    script: [{ command: "head -c 22500000 /dev/zero | base64 -w 100" }, { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" }],
    record: false,
  });
  const out = await mkdtemp(join(tmpdir(), "molt-bench-30mb-"));
  const child = spawn(process.execPath, [MOLT, "run", "--repo", repo, "--issue", "print", "--model", "bench", "--base-url", server.url, "--output", join(out, "run"), "--no-evolve"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, OPENAI_API_KEY: "bench" },
  });
  let peakKb = 0;
  const poll = setInterval(() => (peakKb = Math.max(peakKb, highWaterMarkKb(child.pid))), 20);
  await new Promise((resolve) => child.on("exit", resolve));
  clearInterval(poll);
  await server.close();
  await rm(out, { recursive: true, force: true });
  return round(peakKb / 1024);
}

export async function measureSandbox(repo: string) {
  const root = await mkdtemp(join(tmpdir(), "molt-bench-sandbox-"));
  const workspace = join(root, "repo");
  const home = join(root, "home");
  await mkdir(workspace);
  await mkdir(home);
  await writeFile(join(workspace, "a.txt"), "a\n");
  try {
    const policy = (kind: SandboxPolicy["kind"]): SandboxPolicy => ({ kind, writable: [workspace, home], readOnly: [], home, network: "none" });
    const local = await commandMs(policy("local"), workspace, 40);
    const bwrap = await commandMs(policy("bwrap"), workspace, 40);
    const overhead = bwrap.map((ms, index) => ms - local[index]!);
    return {
      commandMs: {
        local: { p50: percentile(local, 50), p95: percentile(local, 95) },
        bwrap: { p50: percentile(bwrap, 50), p95: percentile(bwrap, 95) },
        bwrapOverhead: { p50: percentile(overhead, 50), p95: percentile(overhead, 95), target: { p50Max: 15 } },
      },
      peakRssMbWhileACommandPrints30Mb: await peakRssPrinting30Mb(repo),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
