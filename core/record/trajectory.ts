import { writeFileSync } from "node:fs";
import type { ExitStatus, Totals } from "../events/events.ts";
import type { ActionFormat } from "../run-spec.ts";
import type { Message } from "../messages.ts";

export interface TrajectoryInput {
  messages: readonly Message[];
  exitStatus: ExitStatus;
  submission: string;
  totals: Totals;
  actionFormat: ActionFormat;
  /** molt's own details of the run, kept under `info.molt`. */
  molt: Record<string, unknown>;
}

/**
 * Writes the run once, at its end, in mini-SWE-agent's trajectory layout, so tools made for
 * mini-SWE-agent read it: "mini-swe-agent-1" holds ```bash blocks, "mini-swe-agent-1.1" tool calls.
 */
export function writeTrajectory(path: string, input: TrajectoryInput): void {
  const trajectory = {
    info: {
      exit_status: input.exitStatus,
      submission: input.submission,
      model_stats: { instance_cost: input.totals.cost, api_calls: input.totals.apiCalls },
      molt: { ...input.molt, totals: input.totals },
    },
    messages: input.messages,
    trajectory_format: input.actionFormat === "tools" ? "mini-swe-agent-1.1" : "mini-swe-agent-1",
  };
  writeFileSync(path, JSON.stringify(trajectory, null, 2) + "\n");
}
