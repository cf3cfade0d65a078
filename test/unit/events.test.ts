import { describe, expect, test } from "vitest";
import { isTransient, MoltEvent } from "../../core/events/events.ts";

describe("MoltEvent schema", () => {
  test("accepts a well-formed event", () => {
    const event = { type: "command_started", ts: 1, step: 1, call: 0, command: "ls" };
    expect(MoltEvent.parse(event)).toEqual(event);
  });

  test("rejects an unknown type, a missing field, and a step of 0", () => {
    expect(MoltEvent.safeParse({ type: "nope", ts: 1 }).success).toBe(false);
    expect(MoltEvent.safeParse({ type: "command_started", ts: 1, step: 1 }).success).toBe(false);
    expect(MoltEvent.safeParse({ type: "command_started", ts: 1, step: 0, call: 0, command: "ls" }).success).toBe(false);
  });
});

describe("isTransient", () => {
  test("only streamed deltas are transient", () => {
    expect(isTransient({ type: "model_delta", ts: 1, step: 1, text: "x" })).toBe(true);
    expect(isTransient({ type: "model_request", ts: 1, step: 1, messages: 2 })).toBe(false);
    expect(isTransient({ type: "command_started", ts: 1, step: 1, call: 0, command: "ls" })).toBe(false);
  });
});
