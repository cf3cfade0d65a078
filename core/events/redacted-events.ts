import type { EventOf, MoltEvent } from "./events.ts";
import type { Redactor } from "./redact.ts";

/**
 * A run's events with its secrets hidden, for the bus to deliver. Streamed text (model_delta)
 * arrives in pieces that may each hold a part of a secret too short to recognise: the end of the
 * text so far that could still turn out to be part of a secret is held back until the next piece
 * says what it is, and everything held is let out, hidden as need be, before the next event of
 * another kind (the reply itself, a retry).
 */
export class RedactedEvents {
  readonly #redactor: Redactor;
  /** Text received and not yet let out, per stream (a step's reply, or its reasoning). */
  readonly #held = new Map<string, EventOf<"model_delta">>();

  constructor(redactor: Redactor) {
    this.#redactor = redactor;
  }

  /** The events to deliver for this one, in order: none while a piece is held back. */
  screen = (event: MoltEvent): MoltEvent[] => {
    if (this.#redactor.hidesNothing) return [event];
    if (event.type === "model_delta") return this.#streamed(event);
    const flushed = [...this.#held.values()].map((held) => ({ ...held, text: this.#redactor.text(held.text), ts: event.ts }));
    this.#held.clear();
    return [...flushed, this.#redactor.value(event)];
  };

  #streamed(event: EventOf<"model_delta">): MoltEvent[] {
    const stream = `${event.step}:${event.reasoning === true}`;
    const text = (this.#held.get(stream)?.text ?? "") + event.text;
    const keep = this.#redactor.pendingTail(text);
    if (keep > 0) this.#held.set(stream, { ...event, text: text.slice(text.length - keep) });
    else this.#held.delete(stream);
    const ready = text.slice(0, text.length - keep);
    return ready === "" ? [] : [{ ...event, text: this.#redactor.text(ready) }];
  }
}
