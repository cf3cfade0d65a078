import type { MoltEvent } from "./events.ts";

/** Something that wants to see every event of a stream: a printer, the record, a view. */
export interface EventSink<E = MoltEvent> {
  onEvent(event: E): void;
  /** Called once after the last event; a sink finishes its files here. */
  close?(): void | Promise<void>;
}

type WithoutTs<E> = E extends unknown ? Omit<E, "ts"> : never;
export type NewEvent<E = MoltEvent> = WithoutTs<E>;

/**
 * Fans each event out to every sink, in order, synchronously, stamped with its time, after hiding
 * any secret in it. A run's events are MoltEvents; a batch's progress rides a bus of its own kind.
 */
export class EventBus<E extends { type: string; ts: number } = MoltEvent> {
  readonly #sinks: EventSink<E>[] = [];
  readonly #redact: <T>(value: T) => T;

  constructor(redact: <T>(value: T) => T = (value) => value) {
    this.#redact = redact;
  }

  subscribe(sink: EventSink<E>): void {
    this.#sinks.push(sink);
  }

  emit(event: NewEvent<E>): E {
    const stamped = this.#redact({ ...event, ts: Date.now() } as E);
    for (const sink of this.#sinks) sink.onEvent(stamped);
    return stamped;
  }

  async close(): Promise<void> {
    for (const sink of this.#sinks) await sink.close?.();
  }
}
