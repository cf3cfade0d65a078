import { createTwoFilesPatch } from "diff";
import type { EventOf, MoltEvent } from "../../../core/events/events.ts";
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
  const before = outcomes(recorded);
  const after = outcomes(rerun);
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
 * What came of each step with a reply, with what legitimately differs between two runs of the same
 * replies taken out: each command with its exit code, output and notes, in order; undefined for a
 * step a command of which never finished.
 */
function outcomes(events: readonly MoltEvent[]): Map<number, string | undefined> {
  const normalize = normalizerFor(startOf(events));
  const byStep = new Map<number, string | undefined>();
  const parts = new Map<number, string[]>();
  const started = new Map<number, number>();
  const add = (step: number, text: string) => parts.set(step, [...(parts.get(step) ?? []), text]);
  for (const event of events) {
    if (event.type === "model_response") {
      byStep.set(event.step, undefined);
      parts.delete(event.step);
      started.set(event.step, 0);
    } else if (event.type === "format_error") add(event.step, `(format error) ${event.reason}`);
    else if (event.type === "command_started") {
      started.set(event.step, (started.get(event.step) ?? 0) + 1);
      add(event.step, `$ ${event.command}`);
    } else if (event.type === "command_rejected") add(event.step, `$ ${event.command}\n(rejected by the user) ${event.message}`);
    else if (event.type === "command_finished") {
      started.set(event.step, (started.get(event.step) ?? 1) - 1);
      const output = event.elidedChars > 0 ? `${normalize(event.output)}\n[… ${event.elidedChars} characters …]\n${normalize(event.outputTail)}` : normalize(event.output);
      add(event.step, [`exit ${event.exitCode}${event.timedOut ? ", timed out" : ""}`, output, ...event.notes.map(normalize)].join("\n"));
    }
  }
  for (const [step, texts] of parts) if ((started.get(step) ?? 0) === 0) byStep.set(step, texts.join("\n"));
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
