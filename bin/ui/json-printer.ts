import type { EventSink } from "../../core/events/event-bus.ts";
import { isTransient, type MoltEvent } from "../../core/events/events.ts";

/** Every recorded event as one JSON line, the same lines as events.jsonl. */
export class JsonPrinter implements EventSink {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  onEvent(event: MoltEvent): void {
    if (!isTransient(event)) this.#out.write(JSON.stringify(event) + "\n");
  }
}
