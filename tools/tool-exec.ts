// A tool's ctx.exec, run by the tool command that called the tool: in that command's sandbox,
// under its limits and in its process group, so that what it starts ends with the command.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { ExecOutcome } from "./contract.ts";
import type { ExecOrder } from "./tool-protocol.ts";

/** What ctx.exec keeps of each stream. */
const OUTPUT_LIMIT = 1 << 20;

/** The shells ctx.exec started that still run, to end them (and what they started) when the tool command ends. */
const running = new Set<number>();

export function runExec(order: ExecOrder): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", order.command], { cwd: order.cwd, env: order.env, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    const out = { stdout: "", stderr: "" };
    const keep = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      if (out[stream].length < OUTPUT_LIMIT) out[stream] += chunk.toString("utf8");
    };
    child.stdout.on("data", keep("stdout"));
    child.stderr.on("data", keep("stderr"));
    const timer = setTimeout(() => killTree(pid), order.timeoutMs);
    const settle = (outcome: ExecOutcome) => {
      clearTimeout(timer);
      // Its pid may be another process's soon.
      if (pid !== undefined) running.delete(pid);
      resolve(outcome);
    };
    child.on("error", (error) => settle({ exitCode: 127, stdout: "", stderr: error.message }));
    child.on("close", (code, signal) => settle({ exitCode: code ?? (signal ? 137 : 1), ...out }));
  });
}

/** Ends every command ctx.exec started, and what they left running: the tool command is ending. */
export function endAllExecs(): void {
  for (const pid of [...running]) killTree(pid);
}

/**
 * Kills a shell and everything under it. They share the tool command's process group (so that
 * the command's own end or time-out reaches them), so the tree is found through /proc.
 */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  running.delete(pid);
  for (const member of [...descendantsOf(pid), pid]) {
    try {
      process.kill(member, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent is the fourth field, after the name in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // It ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
