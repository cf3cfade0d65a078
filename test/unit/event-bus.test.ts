import { afterEach, describe, expect, test, vi } from "vitest";
import { EventBus, type EventSink } from "../../core/events/event-bus.ts";
import type { MoltEvent } from "../../core/events/events.ts";

afterEach(() => {
  vi.useRealTimers();
});

function recorder(name: string, log: string[], events: MoltEvent[] = []): EventSink {
  return {
    onEvent(event) {
      log.push(`${name}:${event.type}`);
      events.push(event);
    },
  };
}

describe("EventBus", () => {
  test("stamps each event with the current time", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-02T03:04:05.678Z"));
    const bus = new EventBus();
    const seen: MoltEvent[] = [];
    bus.subscribe(recorder("a", [], seen));
    const stamped = bus.emit({ type: "model_request", step: 1, messages: 2 });
    expect(stamped.ts).toBe(Date.parse("2026-01-02T03:04:05.678Z"));
    expect(seen[0]).toEqual({ type: "model_request", step: 1, messages: 2, ts: Date.parse("2026-01-02T03:04:05.678Z") });
    vi.setSystemTime(new Date("2026-01-02T03:04:06.000Z"));
    expect(bus.emit({ type: "model_request", step: 2, messages: 4 }).ts).toBe(Date.parse("2026-01-02T03:04:06.000Z"));
  });

  test("fans every event out to every sink, in emit order and subscribe order", () => {
    const bus = new EventBus();
    const log: string[] = [];
    bus.subscribe(recorder("first", log));
    bus.subscribe(recorder("second", log));
    bus.emit({ type: "model_request", step: 1, messages: 2 });
    bus.emit({ type: "command_started", step: 1, call: 0, command: "ls" });
    expect(log).toEqual(["first:model_request", "second:model_request", "first:command_started", "second:command_started"]);
  });

  test("every sink receives the same stamped event", () => {
    const bus = new EventBus();
    const a: MoltEvent[] = [];
    const b: MoltEvent[] = [];
    bus.subscribe(recorder("a", [], a));
    bus.subscribe(recorder("b", [], b));
    const stamped = bus.emit({ type: "command_started", step: 3, call: 0, command: "npm test" });
    expect(a).toEqual([stamped]);
    expect(b).toEqual([stamped]);
  });

  test("delivery is synchronous: a sink has the event when emit returns", () => {
    const bus = new EventBus();
    const seen: MoltEvent[] = [];
    bus.subscribe(recorder("a", [], seen));
    bus.emit({ type: "model_delta", step: 1, text: "hel" });
    expect(seen).toHaveLength(1);
  });

  test("close closes every sink that can be closed, awaiting each", async () => {
    const bus = new EventBus();
    const closed: string[] = [];
    bus.subscribe({
      onEvent() {},
      async close() {
        await new Promise((resolve) => setTimeout(resolve, 10));
        closed.push("slow");
      },
    });
    bus.subscribe({ onEvent() {} });
    bus.subscribe({
      onEvent() {},
      close() {
        closed.push("sync");
      },
    });
    await bus.close();
    expect(closed).toEqual(["slow", "sync"]);
  });
});
