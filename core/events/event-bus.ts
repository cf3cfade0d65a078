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
 * What the bus delivers for one stamped event: the event with its secrets hidden, nothing while a
 * piece of it is held back, or several when held pieces are let out before it.
 */
export type EventScreen<E> = (event: E) => readonly E[];

/**
 * Fans each event out to every sink, in order, synchronously, stamped with its time, after hiding
 * any secret in it. A run's events are MoltEvents; a batch's progress rides a bus of its own kind.
 */
export class EventBus<E extends { type: string; ts: number } = MoltEvent> {
  readonly #sinks: EventSink<E>[] = [];
  readonly #screen: EventScreen<E>;

  constructor(screen: EventScreen<E> = (event) => [event]) {
    this.#screen = screen;
  }

  subscribe(sink: EventSink<E>): void {
    this.#sinks.push(sink);
  }

  /** Delivers the event, stamped; returns the last event delivered for it (the stamped event itself when it was held back). */
  emit(event: NewEvent<E>): E {
    const stamped = { ...event, ts: Date.now() } as E;
    const delivered = this.#screen(stamped);
    for (const one of delivered) for (const sink of this.#sinks) sink.onEvent(one);
    return delivered.at(-1) ?? stamped;
  }

  async close(): Promise<void> {
    for (const sink of this.#sinks) await sink.close?.();
  }
}
