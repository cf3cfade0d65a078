import type { EventOf, MoltEvent } from "../events/events.ts";
import type { Message } from "../messages.ts";
import type { CompletionHooks, Model, ModelReply } from "../model.ts";
import { ModelAborted, ModelError } from "../endpoint/errors.ts";

/**
 * A model that answers from a run's record instead of an endpoint: the k-th request gets the
 * reply recorded for step k. Nothing goes over the network.
 */
export class RecordedModel implements Model {
  readonly name: string;
  readonly #replies = new Map<number, EventOf<"model_response">>();
  #step = 0;

  constructor(name: string, events: readonly MoltEvent[]) {
    this.name = name;
    // A resumed run may hold a step's reply twice; the later one is what the run went on with.
    for (const event of events) if (event.type === "model_response") this.#replies.set(event.step, event);
  }

  /** The last step the record holds a reply for. */
  get lastStep(): number {
    return Math.max(0, ...this.#replies.keys());
  }

  async complete(_messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    if (hooks.signal?.aborted) throw new ModelAborted("interrupted");
    const step = ++this.#step;
    const reply = this.#replies.get(step);
    if (!reply) throw new ModelError(`the record has no reply for step ${step}`);
    if (reply.content !== "") hooks.onDelta?.(reply.content);
    return { content: reply.content, toolCalls: reply.toolCalls, usage: reply.usage, cost: reply.cost, ms: reply.ms, finishReason: reply.finishReason ?? null, ...(reply.reasoning ? { reasoning: reply.reasoning } : {}) };
  }
}
