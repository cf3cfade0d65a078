/**
 * The pieces of `molt replay --exec` that need no workspace: the model and the gate played back
 * from a record, the library seeded from it, and the comparison of two records.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { compareRuns } from "../../bin/runtime/replay/compare.ts";
import { formatComparison } from "../../bin/ui/replay/comparison-text.ts";
import { runStartedFields } from "../run-started.ts";
import { normalizerFor } from "../../bin/runtime/replay/normalize.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { ModelError } from "../../core/endpoint/errors.ts";
import { RecordedGate } from "../../core/record/recorded-gate.ts";
import { RecordedModel } from "../../core/record/recorded-model.ts";
import { seedLibrary } from "../../tools/library-seed.ts";
import { shaOf, ToolLibrary } from "../../tools/library.ts";

const ts = 1_700_000_000_000;

function reply(step: number, command: string): EventOf<"model_response"> {
  return {
    type: "model_response",
    ts,
    step,
    content: `step ${step}`,
    toolCalls: [{ id: `call_${step}`, name: "bash", arguments: JSON.stringify({ command }) }],
    usage: { promptTokens: 10 * step, completionTokens: step },
    cost: 0.01,
    ms: 5,
  };
}

function finished(step: number, output: string, notes: string[] = []): EventOf<"command_finished"> {
  return { type: "command_finished", ts, step, call: 0, exitCode: 0, ms: 3, output, outputTail: "", elidedChars: 0, timedOut: false, notes };
}

function started(step: number, command: string): EventOf<"command_started"> {
  return { type: "command_started", ts, step, call: 0, command };
}

function runStarted(workspace: string, outputDir: string): EventOf<"run_started"> {
  return { type: "run_started", ts, ...runStartedFields({ workspace, outputDir, sandbox: "local" }) };
}

function runFinished(patch: string, steps: number): EventOf<"run_finished"> {
  return {
    type: "run_finished",
    ts,
    exitStatus: "Submitted",
    reason: "the agent submitted",
    patch,
    patchFile: "p",
    trajectoryFile: "t",
    totals: { steps, promptTokens: 0, completionTokens: 0, cost: 0, apiCalls: steps, elapsedMs: 0 },
  };
}

describe("RecordedModel", () => {
  test("answers each request with the next step's recorded reply, streaming its text, and then says the record has run out", async () => {
    const model = new RecordedModel("m", [reply(1, "ls"), started(1, "ls"), finished(1, "a"), reply(2, "pwd")]);
    const deltas: string[] = [];
    const first = await model.complete([], { onDelta: (text) => deltas.push(text) });
    expect(first).toEqual({ content: "step 1", toolCalls: reply(1, "ls").toolCalls, usage: { promptTokens: 10, completionTokens: 1 }, cost: 0.01, ms: 5, finishReason: null });
    expect(deltas).toEqual(["step 1"]);
    expect((await model.complete([], {})).content).toBe("step 2");
    await expect(model.complete([], {})).rejects.toThrow(new ModelError("the record has no reply for step 3"));
  });
});

describe("RecordedGate", () => {
  test("turns down what the user turned down, runs what they edited, and lets the rest run as proposed", async () => {
    const gate = new RecordedGate(
      [
        reply(1, "rm -rf build"),
        { type: "command_rejected", ts, step: 1, call: 0, command: "rm -rf build", message: "keep the build" },
        reply(2, "npm test"),
        started(2, "npm test -- --run"),
        finished(2, "ok"),
        reply(3, "ls"),
        started(3, "ls"),
        finished(3, "a"),
      ],
      "tools",
    );
    expect(await gate.confirm(1, "rm -rf build", 0)).toEqual({ kind: "reject", message: "keep the build" });
    expect(await gate.confirm(2, "npm test", 0)).toEqual({ kind: "run", command: "npm test -- --run" });
    expect(await gate.confirm(3, "ls", 0)).toEqual({ kind: "run", command: "ls" });
  });

  test("stops the run before a step whose command the record never saw finish", async () => {
    const gate = new RecordedGate([reply(1, "ls"), started(1, "ls"), finished(1, "a"), reply(2, "sleep 100"), started(2, "sleep 100")], "tools");
    await gate.beforeStep(1);
    expect(gate.signal.aborted).toBe(false);
    await gate.beforeStep(2);
    expect(gate.signal.aborted).toBe(true);
  });
});

describe("seedLibrary", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function written(step: number, name: string, version: number, source: string): EventOf<"tool_written"> {
    return { type: "tool_written", ts, step, name, version, kind: "tool", sha: shaOf(source), source };
  }

  test("the library holds the recorded tools, and its history numbers new versions as the recorded run did", async () => {
    dir = await mkdtemp(join(tmpdir(), "molt-seed-test-"));
    const events: MoltEvent[] = [
      { type: "tool_library", ts, dir: "/lib", fresh: false, tools: [{ name: "count", version: 3, source: "v3" }] },
      written(0, "count", 3, "v3"),
      // An old version the library knew by its source, then two new ones.
      written(2, "count", 2, "v2"),
      written(4, "count", 5, "v5"),
      written(5, "count", 6, "v6"),
      // A tool the library had seen up to v1 but no longer kept.
      written(6, "other", 2, "o2"),
    ];
    await seedLibrary(dir, events, "seed");
    const library = new ToolLibrary(dir);
    expect((await library.files()).map((file) => [file.name, file.source])).toEqual([["count", "v3"]]);
    expect(library.versionOf("count", "v3")).toBe(3);
    expect(library.versionOf("count", "v2")).toBe(2);
    expect(library.latestVersion("count")).toBe(4);
    expect(library.versionOf("count", "v5")).toBeUndefined();
    expect(library.latestVersion("other")).toBe(1);
  });
});

describe("the comparison", () => {
  test("paths, durations and clock times of each run do not count as differences", () => {
    const normalize = normalizerFor(runStarted("/tmp/molt-AbC123/repo", "/runs/one"));
    expect(normalize("/tmp/molt-AbC123/repo/src /tmp/molt-AbC123/evolved molt-AbC123 /runs/one/events.jsonl")).toBe(
      "<workspace>/src <workspace>/../evolved <workspace folder> <run folder>/events.jsonl",
    );
    expect(normalize("[molt] tool x v2 loaded in 123 ms — usage: x; 3 passed in 0.42s")).toBe("[molt] tool x v2 loaded in N ms — usage: x; 3 passed in N s");
    expect(normalize("-rw-r--r-- 1 root root 6 Nov  4 10:38 a.txt")).toBe("-rw-r--r-- 1 root root 6 <time> a.txt");
    expect(normalize("Date: Tue Nov 24 10:38:14 2026 +0000; 2026-11-24 10:38:12.606358129 +0000 a.txt")).toBe("Date: <time>; <time> a.txt");
  });

  test("reports each step, the patch, how both runs ended and how many observations match", () => {
    const recorded = [
      runStarted("/tmp/molt-one111/repo", "/runs/one"),
      reply(1, "pwd"),
      started(1, "pwd"),
      finished(1, "/tmp/molt-one111/repo\n", ["[molt] tool x v1 loaded in 90 ms"]),
      reply(2, "cat a"),
      started(2, "cat a"),
      finished(2, "one\ntwo\n"),
      reply(3, "x"),
      { type: "format_error", ts, step: 3, reason: "no command", inARow: 1 } as const,
      runFinished("+a\n", 3),
    ];
    const rerun = [
      runStarted("/tmp/molt-two222/repo", "/runs/two"),
      reply(1, "pwd"),
      started(1, "pwd"),
      finished(1, "/tmp/molt-two222/repo\n", ["[molt] tool x v1 loaded in 120 ms"]),
      reply(2, "cat a"),
      started(2, "cat a"),
      finished(2, "one\nthree\n"),
      runFinished("+b\n", 2),
    ];
    const report = formatComparison(compareRuns(recorded, rerun));
    expect(report).toBe(
      [
        "step 1  same",
        "step 2  differs",
        "    --- recorded",
        "    +++ re-run",
        "    @@ -1,4 +1,4 @@",
        "     $ cat a",
        "     exit 0",
        "     one",
        "    -two",
        "    +three",
        "step 3  not reached: the re-run had ended",
        "patch  differs",
        "    --- recorded",
        "    +++ re-run",
        "    @@ -1,1 +1,1 @@",
        "    -+a",
        "    ++b",
        "end    recorded Submitted after 3 steps; re-run Submitted after 2 steps",
        "1 of 3 observations match",
        "",
      ].join("\n"),
    );
  });
});
