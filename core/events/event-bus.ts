import type { MoltEvent } from "./events.ts";

/** Something that wants to see every event of a run: a printer, the record, a view. */
export interface EventSink {
  onEvent(event: MoltEvent): void;
  /** Called once after the last event; a sink finishes its files here. */
  close?(): void | Promise<void>;
}

type WithoutTs<E> = E extends unknown ? Omit<E, "ts"> : never;
export type NewEvent = WithoutTs<MoltEvent>;

/** Fans each event out to every sink, in order, synchronously, after hiding any secret in it. */
export class EventBus {
  readonly #sinks: EventSink[] = [];
  readonly #redact: <T>(value: T) => T;

  constructor(redact: <T>(value: T) => T = (value) => value) {
    this.#redact = redact;
  }

  subscribe(sink: EventSink): void {
    this.#sinks.push(sink);
  }

  emit(event: NewEvent): MoltEvent {
    const stamped = this.#redact({ ...event, ts: Date.now() } as MoltEvent);
    for (const sink of this.#sinks) sink.onEvent(stamped);
    return stamped;
  }

  async close(): Promise<void> {
    for (const sink of this.#sinks) await sink.close?.();
  }
}
