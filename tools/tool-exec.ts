// A tool's ctx.exec, run by the tool command that called the tool: in that command's sandbox,
// under its limits, so that what it starts ends with the command.
import { spawn } from "node:child_process";
import type { ExecOutcome } from "./contract.ts";
import type { ExecOrder } from "./tool-protocol.ts";

/** What ctx.exec keeps of each stream. */
const OUTPUT_LIMIT = 1 << 20;

/** The process groups of the commands ctx.exec started (and what they left running), to end them when the tool command ends. */
const groups = new Set<number>();

export function runExec(order: ExecOrder): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    // A group of its own, so that its time-out ends everything it started.
    const child = spawn("bash", ["-c", order.command], { cwd: order.cwd, env: order.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const group = child.pid;
    if (group !== undefined) groups.add(group);
    const out = { stdout: "", stderr: "" };
    const keep = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      if (out[stream].length < OUTPUT_LIMIT) out[stream] += chunk.toString("utf8");
    };
    child.stdout.on("data", keep("stdout"));
    child.stderr.on("data", keep("stderr"));
    const timer = setTimeout(() => killGroup(group), order.timeoutMs);
    const settle = (outcome: ExecOutcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    child.on("error", (error) => settle({ exitCode: 127, stdout: "", stderr: error.message }));
    child.on("close", (code, signal) => settle({ exitCode: code ?? (signal ? 137 : 1), ...out }));
  });
}

/** Ends every command ctx.exec started and what they started: the tool command is ending. */
export function endAllExecs(): void {
  for (const group of [...groups]) killGroup(group);
}

function killGroup(group: number | undefined): void {
  if (group === undefined) return;
  groups.delete(group);
  try {
    process.kill(-group, "SIGKILL");
  } catch {
    // Already gone.
  }
}
