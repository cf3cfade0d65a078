import { afterMarker, isSubmission, parseActions } from "../actions.ts";
import { countCall, noTotals, type EventOf, type MoltEvent, type Totals } from "../events/events.ts";
import { assistantMessage, formatErrorMessage, type Message } from "../messages.ts";
import type { ModelReply } from "../model.ts";
import { editedNote, observedOutput, withNotes } from "../observation.ts";
import { rejectionPrompt, type Prompts } from "../prompts.ts";
import type { ActionFormat, AgentSpec } from "../run-spec.ts";

/** Where a run stood at the end of its record: what `Agent` needs to carry on without asking the model again. */
export interface RestoredRun {
  messages: Message[];
  totals: Totals;
  /** The last step with a reply, complete or not. */
  lastStep: number;
  /** Replies without a runnable command in a row at the end, for the format-error count. */
  formatErrorsInARow: number;
  /** A reply not all of whose commands finished (the run was killed while one ran): they run again, from `from`. */
  pending: { reply: ModelReply; from: number } | undefined;
}

export interface RestoreSettings {
  actionFormat: ActionFormat;
  agent: Pick<AgentSpec, "actionRegex">;
  prompts: Prompts;
  commandTimeoutSec: number;
  issue: string;
}

/**
 * Rebuilds the conversation from a run's record: the opening prompt, then every reply and what
 * the model was told of each of its commands, rendered again with the run's templates.
 */
export function restoreRun(events: readonly MoltEvent[], settings: RestoreSettings): RestoredRun {
  const { actionFormat, agent, prompts, commandTimeoutSec, issue } = settings;
  const prompt = events.find((event): event is EventOf<"prompt"> => event.type === "prompt");
  if (!prompt) throw new Error("the record has no prompt: the run ended before its first step");
  const messages: Message[] = [
    { role: "system", content: prompt.system },
    { role: "user", content: prompt.task },
  ];
  const totals: Totals = noTotals();
  const startedAt = events[0]?.ts ?? 0;
  let formatErrorsInARow = 0;
  /** The reply whose commands are being answered: its calls' ids, and how many have been answered. */
  let open: { event: EventOf<"model_response">; callIds: (string | undefined)[]; answered: number } | undefined;
  const commands = new Map<number, string>();
  /** The calls of the open reply that the user changed before they ran. */
  const edited = new Set<number>();
  const counters = (at: number) => ({ n_model_calls: totals.apiCalls, model_cost: totals.cost, elapsed_seconds: Math.max(0, Math.floor((at - startedAt) / 1000)) });
  const answer = (call: number, content: string) => {
    if (!open) return;
    const id = open.callIds[call];
    messages.push(id !== undefined ? { role: "tool", tool_call_id: id, content } : { role: "user", content });
    open.answered = call + 1;
    if (open.answered >= open.callIds.length) open = undefined;
  };

  for (const event of events) {
    if (event.type === "model_response") {
      totals.steps = event.step;
      countCall(totals, event.usage, event.cost);
      const parsed = parseActions(actionFormat, event.content, event.toolCalls, agent.actionRegex);
      if (parsed.ok) {
        formatErrorsInARow = 0;
        messages.push(assistantMessage(event.content, event.toolCalls, event.reasoning));
        open = { event, callIds: parsed.actions.map((action) => action.callId), answered: 0 };
        commands.clear();
        edited.clear();
      } else {
        open = undefined;
      }
    } else if (event.type === "format_error") {
      formatErrorsInARow = event.inARow;
      const reply = events.findLast((candidate): candidate is EventOf<"model_response"> => candidate.type === "model_response" && candidate.step === event.step);
      const parsed = reply ? parseActions(actionFormat, reply.content, reply.toolCalls, agent.actionRegex) : undefined;
      const found = parsed && !parsed.ok ? parsed : { actions: [], hasToolCalls: false };
      const content = prompts.formatError({ error: event.reason, actions: found.actions, finishReason: reply?.finishReason ?? null, hasToolCalls: found.hasToolCalls });
      messages.push(reply ? formatErrorMessage(content, reply) : { role: "user", content });
    } else if (event.type === "command_started" && open?.event.step === event.step) {
      commands.set(event.call, event.command);
      if (event.proposed !== undefined) edited.add(event.call);
    } else if (event.type === "command_rejected" && open?.event.step === event.step) {
      answer(event.call, rejectionPrompt(event.message));
    } else if (event.type === "command_finished" && open?.event.step === event.step) {
      const command = commands.get(event.call) ?? "";
      const whole = event.output + event.outputTail;
      if (isSubmission(event.exitCode, event.output)) {
        answer(event.call, afterMarker(whole));
        continue;
      }
      const { output, elided } = observedOutput({ ...event, notes: event.notes }, command, commandTimeoutSec);
      const rendered = (event.timedOut ? prompts.timeout(command, output, issue, counters(event.ts), elided) : undefined) ?? prompts.observation(output, issue, counters(event.ts), elided);
      answer(event.call, `${edited.has(event.call) ? editedNote(command) : ""}${withNotes(rendered, event.notes)}`);
    }
  }
  totals.elapsedMs = elapsedOf(events);
  const pending = open
    ? {
        reply: { content: open.event.content, toolCalls: open.event.toolCalls, usage: open.event.usage, cost: open.event.cost, ms: open.event.ms, finishReason: open.event.finishReason ?? null },
        from: open.answered,
      }
    : undefined;
  // A reply none of whose commands was answered is handled afresh: its assistant message comes again.
  if (pending && pending.from === 0) messages.pop();
  return { messages, totals, lastStep: totals.steps, formatErrorsInARow, pending };
}

/** The time the run has been going, summed over its sessions (the gaps between a crash and a resume do not count). */
function elapsedOf(events: readonly MoltEvent[]): number {
  let total = 0;
  let start: number | undefined;
  let last: number | undefined;
  for (const event of events) {
    if (event.type === "run_started" || event.type === "run_resumed") {
      if (start !== undefined && last !== undefined) total += last - start;
      start = event.ts;
    }
    last = event.ts;
  }
  if (start !== undefined && last !== undefined) total += last - start;
  return total;
}
