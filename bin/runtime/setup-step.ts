import { outcomeOf } from "../../core/environment.ts";
import type { EventBus } from "../../core/events/event-bus.ts";
import { CommandExecutor, type ExecutorOptions } from "../../sandbox/command-executor.ts";
import type { Workspace } from "../../sandbox/workspace.ts";

/** Installing dependencies takes longer than an agent's command may. */
export const SETUP_TIMEOUT_SEC = 1800;

export interface SetupStep {
  command: string;
  workspace: Workspace;
  /** The agent's executor settings; the setup gets its own timeout on top, and the network unless `network` is false. */
  executor: ExecutorOptions;
  /** Give the setup the machine's network (the default): false keeps the agent's network rules (a record's setup, re-run). */
  network?: boolean;
  bus: EventBus;
}

/**
 * Runs the setup command (`--setup`, an instance's install_cmd) in the workspace, sandboxed but
 * with network, records it, and makes what it left the patch's starting point. Returns why it
 * failed, in one line, or undefined when it worked.
 */
export async function runSetup(step: SetupStep): Promise<string | undefined> {
  const executor = new CommandExecutor({
    ...step.executor,
    timeoutSec: SETUP_TIMEOUT_SEC,
    limits: { ...step.executor.limits, cpuSec: SETUP_TIMEOUT_SEC },
    sandbox: step.network === false ? step.executor.sandbox : { ...step.executor.sandbox, network: "all", allowDomains: [] },
  });
  let result;
  try {
    result = await executor.execute(step.command);
  } finally {
    await executor.close();
  }
  const ok = result.exitCode === 0 && !result.timedOut;
  const startCommit = ok ? await step.workspace.adoptStartingState() : undefined;
  step.bus.emit({ type: "setup_finished", command: step.command, ...outcomeOf(result), ...(startCommit ? { startCommit } : {}) });
  if (ok) return undefined;
  const lastLine = (result.outputTail || result.output).trim().split("\n").at(-1) ?? "";
  const why = result.timedOut ? `timed out after ${SETUP_TIMEOUT_SEC} s` : `exited with ${result.exitCode}`;
  return `the setup command ${why}${lastLine ? `: ${lastLine.slice(0, 200)}` : ""}`;
}
