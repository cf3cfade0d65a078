import type { EventOf, MoltEvent, Totals } from "../events/events.ts";
import type { ActionFormat } from "../run-spec.ts";
import { assistantMessage, type Message } from "../messages.ts";
import type { ModelReply } from "../model.ts";
import { renderObservation } from "../observation.ts";
import { formatErrorPrompt, rejectionPrompt } from "../prompts.ts";

/** Where a run stood at the end of its record: what `Agent` needs to carry on without asking the model again. */
export interface RestoredRun {
  messages: Message[];
  totals: Totals;
  /** The last step with a reply, complete or not. */
  lastStep: number;
  /** Replies without a finished command in a row at the end, for the format-error count. */
  formatErrorsInARow: number;
  /** A reply whose command never finished (the run was killed while it ran): it runs again. */
  pending: ModelReply | undefined;
}

/**
 * Rebuilds the conversation from a run's record: the opening prompt, then every reply and the
 * observation of each command, exactly as the model saw them.
 */
export function restoreRun(events: readonly MoltEvent[], format: ActionFormat, timeoutSec: number): RestoredRun {
  const prompt = events.find((event): event is EventOf<"prompt"> => event.type === "prompt");
  if (!prompt) throw new Error("the record has no prompt: the run ended before its first step");
  const messages: Message[] = [
    { role: "system", content: prompt.system },
    { role: "user", content: prompt.task },
  ];
  const totals: Totals = { steps: 0, promptTokens: 0, completionTokens: 0, cost: 0, apiCalls: 0, elapsedMs: 0 };
  let reply: EventOf<"model_response"> | undefined;
  let formatErrorsInARow = 0;

  for (const event of events) {
    if (event.type === "model_response") {
      reply = event;
      totals.steps = event.step;
      totals.apiCalls++;
      totals.promptTokens += event.usage.promptTokens;
      totals.completionTokens += event.usage.completionTokens;
      totals.cost += event.cost;
      messages.push(assistantMessage(event.content, event.toolCalls));
    } else if (event.type === "format_error" && reply?.step === event.step) {
      formatErrorsInARow = event.inARow;
      const content = formatErrorPrompt(event.reason, format);
      if (reply.toolCalls.length > 0) for (const call of reply.toolCalls) messages.push({ role: "tool", tool_call_id: call.id, content });
      else messages.push({ role: "user", content });
      reply = undefined;
    } else if (event.type === "command_rejected" && reply?.step === event.step) {
      formatErrorsInARow = 0;
      const content = rejectionPrompt(event.message);
      const call = reply.toolCalls[0];
      messages.push(call ? { role: "tool", tool_call_id: call.id, content } : { role: "user", content });
      reply = undefined;
    } else if (event.type === "command_finished" && reply?.step === event.step) {
      formatErrorsInARow = 0;
      const content = renderObservation({ ...event, notes: event.notes }, timeoutSec);
      const call = reply.toolCalls[0];
      messages.push(call ? { role: "tool", tool_call_id: call.id, content } : { role: "user", content });
      reply = undefined;
    }
  }
  totals.elapsedMs = elapsedOf(events);
  const pending: ModelReply | undefined = reply
    ? { content: reply.content, toolCalls: reply.toolCalls, usage: reply.usage, cost: reply.cost, ms: reply.ms }
    : undefined;
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
