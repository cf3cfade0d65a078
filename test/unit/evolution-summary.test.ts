import { expect, test } from "vitest";
import type { NewEvent } from "../../core/events/event-bus.ts";
import { evolutionSummary } from "../../core/record/evolution-summary.ts";
import type { MoltEvent } from "../../core/events/events.ts";

let clock = 0;
function at(event: NewEvent): MoltEvent {
  return { ...event, ts: ++clock } as MoltEvent;
}

const reply = (step: number) => at({ type: "model_response", step, content: "", toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 }, cost: 0, ms: 1 });
const written = (step: number, name: string, version: number, kind: "tool" | "helper" = "tool") =>
  at({ type: "tool_written", step, name, version, kind, sha: `${name}${version}`, source: "" });
const validated = (step: number, name: string, version: number, ms: number, ok = true) => at({ type: "tool_validated", step, name, version, ok, diagnostics: [], ms });
const loaded = (step: number, name: string, version: number, ms: number) => at({ type: "tool_loaded", step, name, version, ms, usage: `${name} --x` });
const rejected = (step: number, name: string, version: number, stage: "validate" | "load" | "examples") =>
  at({ type: "tool_rejected", step, name, version, stage, reason: "no", diagnostics: [] });
const called = (step: number, name: string, version: number) => at({ type: "tool_called", step, name, version, args: [], exitCode: 0, ms: 5 });

/** A run that started with find_symbol in its library, wrote count_words (rejected, then kept), a helper, and a tool that never loaded. */
const RUN: MoltEvent[] = [
  at({ type: "tool_library", dir: "/lib", fresh: false, tools: [{ name: "find_symbol", version: 2, source: "" }] }),
  written(0, "find_symbol", 2),
  validated(0, "find_symbol", 2, 400),
  loaded(0, "find_symbol", 2, 420),
  reply(1),
  called(1, "find_symbol", 2),
  reply(2),
  written(2, "count_words", 1),
  validated(2, "count_words", 1, 30, false),
  rejected(2, "count_words", 1, "validate"),
  reply(3),
  written(3, "count_words", 2),
  validated(3, "count_words", 2, 20),
  loaded(3, "count_words", 2, 25),
  written(3, "_text", 1, "helper"),
  validated(3, "_text", 1, 10),
  reply(4),
  called(4, "count_words", 2),
  called(4, "count_words", 2),
  reply(5),
  written(5, "find_symbol", 3),
  validated(5, "find_symbol", 3, 40),
  loaded(5, "find_symbol", 3, 50),
  written(5, "flaky", 1),
  validated(5, "flaky", 1, 10),
  rejected(5, "flaky", 1, "examples"),
  reply(6),
  called(6, "find_symbol", 3),
];

test("counts the agent's tool versions, what was kept, and what was rejected at which stage", () => {
  const summary = evolutionSummary(RUN);
  expect(summary.toolVersionsWritten).toBe(4);
  expect(summary.accepted).toBe(2);
  expect(summary.rejected).toEqual({ validate: 1, load: 0, examples: 1 });
  expect(summary.rejectedTotal).toBe(2);
});

test("a new tool is a name the library did not have that loaded; a new version of a library tool is not", () => {
  const summary = evolutionSummary(RUN);
  expect(summary.newTools).toEqual(["count_words"]);
  expect(summary.toolsCreated).toBe(1);
});

test("tool use: calls, the steps that used a tool, and their share of all steps", () => {
  const summary = evolutionSummary(RUN);
  expect(summary.toolCalls).toBe(4);
  expect(summary.steps).toBe(6);
  expect(summary.stepsWithToolCall).toBe(3);
  expect(summary.shareOfStepsUsingTools).toBe(0.5);
  expect(summary.perTool).toEqual([
    { name: "count_words", versions: 2, calls: 2 },
    { name: "find_symbol", versions: 1, calls: 2 },
    { name: "flaky", versions: 1, calls: 0 },
  ]);
});

test("validation and load times of the agent's versions, not the library's at step 0", () => {
  const summary = evolutionSummary(RUN);
  expect(summary.validationMs).toEqual({ p50: 20, max: 40 });
  expect(summary.loadMs).toEqual({ p50: 25, max: 50 });
});

test("a run without evolution is all zeros and no times", () => {
  const summary = evolutionSummary([reply(1), reply(2)]);
  expect(summary).toMatchObject({ toolVersionsWritten: 0, accepted: 0, rejectedTotal: 0, toolCalls: 0, steps: 2, shareOfStepsUsingTools: 0, toolsCreated: 0, perTool: [] });
  expect(summary.validationMs).toBeUndefined();
  expect(summary.loadMs).toBeUndefined();
  expect(evolutionSummary([]).shareOfStepsUsingTools).toBe(0);
});
