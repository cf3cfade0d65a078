import type { MoltEvent } from "../../../core/events/events.ts";
import { applyEvent, emptyView, type CommandView, type RunView, type StepView, type ToolView } from "../live/view-state.ts";

/** One step of a recorded run, as replay shows it. */
export interface ReplayStep {
  step: number;
  view: StepView;
  /** The step wrote, loaded, rejected or removed a tool. */
  evolved: boolean;
  /** The tool library as it stood after this step. */
  tools: readonly ToolView[];
  /** The repository after this step: the last snapshot taken at or before it, else the base commit. */
  commit: string;
}

/** A run's record folded into steps: what replay moves through. */
export interface Timeline {
  /** The run as a whole: its header facts, and how it ended when it did. */
  run: RunView;
  steps: ReplayStep[];
  /** The library when the run began. */
  initialTools: readonly ToolView[];
  /** The repository as the agent found it: the base commit, or what a setup command left ("" when the record does not say: a trajectory). */
  baseCommit: string;
}

const EVOLUTION = new Set<MoltEvent["type"]>(["tool_written", "tool_loaded", "tool_rejected", "tool_removed"]);

/**
 * Folds the record with the same code the live view uses, keeping each finished step and the tool
 * library as it stood after it. Libraries are copied only after steps whose tool events changed them.
 */
export function buildTimeline(events: readonly MoltEvent[]): Timeline {
  const run = emptyView();
  const steps: ReplayStep[] = [];
  const snapshots = new Map<number, string>();
  const evolvedSteps = new Set<number>();
  let tools: readonly ToolView[] = [];
  let toolsChanged = false;
  let initialTools: readonly ToolView[] | undefined;

  const keep = (view: StepView | undefined) => {
    if (!view) return;
    if (toolsChanged) tools = [...run.tools.values()].map((tool) => ({ ...tool }));
    toolsChanged = false;
    // A resumed run records its interrupted step twice: the later telling replaces the earlier.
    while (steps.length > 0 && steps.at(-1)!.step >= view.step) steps.pop();
    steps.push({ step: view.step, view, evolved: evolvedSteps.has(view.step), tools, commit: "" });
  };

  let baseCommit = "";
  for (const event of events) {
    if (event.type === "run_started") baseCommit = event.spec.base;
    if (event.type === "snapshot") {
      snapshots.set(event.step, event.commit);
      continue;
    }
    if (event.type === "model_request" && initialTools === undefined) {
      initialTools = [...run.tools.values()].map((tool) => ({ ...tool }));
      tools = initialTools;
      toolsChanged = false;
    }
    if (event.type.startsWith("tool_")) toolsChanged = true;
    if (EVOLUTION.has(event.type) && "step" in event && event.step > 0) evolvedSteps.add(event.step);
    keep(applyEvent(run, event));
  }
  // A run cut off mid-step (killed) still shows that step.
  keep(run.current);
  run.current = undefined;
  // A setup command's changes are the starting state (a snapshot at step 0), not the agent's.
  baseCommit = snapshots.get(0) ?? baseCommit;
  let commit = baseCommit;
  for (const step of steps) {
    step.evolved = evolvedSteps.has(step.step);
    commit = snapshots.get(step.step) ?? commit;
    step.commit = commit;
  }
  return { run, steps, initialTools: initialTools ?? [...run.tools.values()], baseCommit };
}

/** The index of the next (or previous) step after `from` that changed the tool library, if any. */
export function nextEvolution(timeline: Timeline, from: number, direction: 1 | -1): number | undefined {
  for (let index = from + direction; index >= 0 && index < timeline.steps.length; index += direction) {
    if (timeline.steps[index]!.evolved) return index;
  }
  return undefined;
}

/** A command's whole recorded output, as the agent saw it, with the elided middle marked. */
export function fullOutput(step: CommandView): string {
  const output = step.output;
  if (!output) return "";
  if (output.elidedChars === 0) return output.text;
  return `${output.text}\n… ${output.elidedChars.toLocaleString("en-US")} characters elided (the agent did not see them either) …\n${output.tail}`;
}
