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
  const timeoutSec = startOf(recorded)?.limits.commandTimeoutSec ?? 60;
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

/** The report, one line per step with an indented diff under each step that differs. */
export function formatComparison(comparison: Comparison): string {
  const lines: string[] = [];
  const indented = (diff: string) => diff.trimEnd().split("\n").map((line) => `    ${line}`);
  if (!comparison.prompt.same) lines.push("prompt  differs", ...indented(comparison.prompt.diff));
  for (const verdict of comparison.steps) {
    const label = `step ${verdict.step}`;
    if (verdict.kind === "differs") lines.push(`${label}  differs`, ...indented(verdict.diff));
    else if (verdict.kind === "unfinished") lines.push(`${label}  not re-run: the recorded command never finished`);
    else if (verdict.kind === "not reached") lines.push(`${label}  not reached: the re-run had ended`);
    else lines.push(`${label}  same`);
  }
  const { patch } = comparison;
  if (patch.same) lines.push("patch  identical");
  else if (patch.diff === undefined) lines.push("patch  differs: the record has no final patch (the run was killed before it ended)");
  else lines.push("patch  differs", ...indented(patch.diff));
  lines.push(`end    recorded ${comparison.recordedEnd}; re-run ${comparison.rerunEnd}`);
  const compared = comparison.steps.filter((verdict) => verdict.kind !== "unfinished");
  const matching = compared.filter((verdict) => verdict.kind === "same").length;
  lines.push(`${matching} of ${compared.length} observations match`);
  return lines.map((line) => `${line}\n`).join("");
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
