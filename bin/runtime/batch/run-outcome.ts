import { existsSync } from "node:fs";
import { join } from "node:path";
import { EventsScan } from "../../../core/events/events-scan.ts";
import type { ExitStatus } from "../../../core/events/events.ts";

/** What a finished run's record says, for the batch's summary. */
export interface RunOutcome {
  exitStatus: ExitStatus;
  reason: string;
  patch: string;
  steps: number;
  cost: number;
  toolsCreated: string[];
  toolsUsed: Record<string, number>;
  keptToolsUsed: string[];
}

/** The end of the run in `runDir`, or undefined when its record has none (it never started, or was killed). */
export function readRunOutcome(runDir: string): RunOutcome | undefined {
  const file = join(runDir, "events.jsonl");
  if (!existsSync(file)) return undefined;
  try {
    return EventsScan.within(file, ["run_finished", "tool_library", "tool_loaded", "tool_called"], (scan) => {
      const finished = scan.all("run_finished").at(-1);
      if (finished?.type !== "run_finished") return undefined;
      const library = scan.all("tool_library")[0];
      const kept = new Set(library?.type === "tool_library" ? library.tools.map((tool) => tool.name) : []);
      const created = new Set<string>();
      for (const event of scan.all("tool_loaded")) if (event.type === "tool_loaded" && !kept.has(event.name)) created.add(event.name);
      const used: Record<string, number> = {};
      for (const event of scan.all("tool_called")) if (event.type === "tool_called") used[event.name] = (used[event.name] ?? 0) + 1;
      return {
        exitStatus: finished.exitStatus,
        reason: finished.reason,
        patch: finished.patch,
        steps: finished.totals.steps,
        cost: finished.totals.cost,
        toolsCreated: [...created].sort(),
        toolsUsed: used,
        keptToolsUsed: Object.keys(used).filter((name) => kept.has(name)).sort(),
      };
    });
  } catch {
    return undefined;
  }
}

/** A run that ended and may be counted: anything but an interruption, which a batch runs again. */
export function isFinished(outcome: RunOutcome | undefined): outcome is RunOutcome {
  return outcome !== undefined && outcome.exitStatus !== "Interrupted";
}
