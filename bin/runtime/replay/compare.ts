import { createTwoFilesPatch } from "diff";
import type { EventOf, MoltEvent } from "../../../core/events/events.ts";
import { renderObservation } from "../../../core/observation.ts";
import { normalizerFor } from "./normalize.ts";

/** How one recorded step came out when its reply was run again. */
export type StepVerdict =
  | { step: number; kind: "same" }
  | { step: number; kind: "differs"; diff: string }
  /** The re-run ended before this step. */
  | { step: number; kind: "not reached" }
  /** The record never saw this step's command finish, so there is nothing to compare it with. */
  | { step: number; kind: "unfinished" };

export interface Comparison {
  prompt: { same: true } | { same: false; diff: string };
  steps: StepVerdict[];
  /** The recorded patch is undefined when the record has no end (the run was killed). */
  patch: { same: true } | { same: false; diff: string | undefined };
  recordedEnd: string;
  rerunEnd: string;
}

/** Compares a recorded run with a re-run of its replies: step by step, then the patch. */
export function compareRuns(recorded: readonly MoltEvent[], rerun: readonly MoltEvent[]): Comparison {
  const timeoutSec = startOf(recorded)?.spec.limits.commandTimeoutSec ?? 60;
  const before = outcomes(recorded, timeoutSec);
  const after = outcomes(rerun, timeoutSec);
  const steps: StepVerdict[] = [];
  for (const [step, text] of before) {
    const now = after.get(step);
    if (text === undefined) steps.push({ step, kind: "unfinished" });
    else if (now === undefined) steps.push({ step, kind: "not reached" });
    else if (now === text) steps.push({ step, kind: "same" });
    else steps.push({ step, kind: "differs", diff: unifiedDiff(text, now) });
  }
  const promptBefore = promptOf(recorded);
  const promptAfter = promptOf(rerun);
  const recordedPatch = endOf(recorded)?.patch;
  const rerunPatch = endOf(rerun)?.patch ?? "";
  return {
    prompt: promptBefore === promptAfter ? { same: true } : { same: false, diff: unifiedDiff(promptBefore, promptAfter) },
    steps,
    patch:
      recordedPatch === rerunPatch
        ? { same: true }
        : { same: false, diff: recordedPatch === undefined ? undefined : unifiedDiff(recordedPatch, rerunPatch) },
    recordedEnd: describeEnd(recorded),
    rerunEnd: describeEnd(rerun),
  };
}

/**
 * What the agent was told after each step with a reply, with what legitimately differs between two
 * runs of the same replies taken out; undefined for a step whose command never finished.
 */
function outcomes(events: readonly MoltEvent[], timeoutSec: number): Map<number, string | undefined> {
  const normalize = normalizerFor(startOf(events));
  const byStep = new Map<number, string | undefined>();
  const commands = new Map<number, string>();
  for (const event of events) {
    if (event.type === "model_response") byStep.set(event.step, undefined);
    else if (event.type === "command_started") commands.set(event.step, event.command);
    else if (event.type === "format_error") byStep.set(event.step, `(format error) ${event.reason}`);
    else if (event.type === "command_rejected") byStep.set(event.step, `$ ${event.command}\n(rejected by the user) ${event.message}`);
    else if (event.type === "command_finished") {
      const observation = renderObservation(
        {
          ...event,
          output: normalize(event.output),
          outputTail: normalize(event.outputTail),
          notes: event.notes.map(normalize),
        },
        timeoutSec,
      );
      byStep.set(event.step, `$ ${commands.get(event.step) ?? "?"}\n${observation}`);
    }
  }
  return byStep;
}

function promptOf(events: readonly MoltEvent[]): string {
  const prompt = events.find((event): event is EventOf<"prompt"> => event.type === "prompt");
  return prompt ? normalizerFor(startOf(events))(`${prompt.system}\n\n${prompt.task}\n`) : "";
}

function startOf(events: readonly MoltEvent[]): EventOf<"run_started"> | undefined {
  return events.find((event): event is EventOf<"run_started"> => event.type === "run_started");
}

function endOf(events: readonly MoltEvent[]): EventOf<"run_finished"> | undefined {
  return events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
}

function describeEnd(events: readonly MoltEvent[]): string {
  const end = endOf(events);
  if (!end) return "did not end (killed)";
  return end.exitStatus === "Submitted" ? `Submitted after ${end.totals.steps} steps` : `${end.exitStatus} after ${end.totals.steps} steps (${end.reason})`;
}

function unifiedDiff(before: string, after: string): string {
  const patch = createTwoFilesPatch("recorded", "re-run", withNewline(before), withNewline(after), undefined, undefined, { context: 3 });
  // The first line is a row of "=" that says nothing here.
  return patch.split("\n").filter((line) => !/^=+$/.test(line)).join("\n");
}

function withNewline(text: string): string {
  return text.endsWith("\n") || text === "" ? text : `${text}\n`;
}
