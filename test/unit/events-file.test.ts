import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { loadConfiguration } from "../../core/config/configuration.ts";
import { EventBus, type NewEvent } from "../../core/events/event-bus.ts";
import { EventsFile, readEvents } from "../../core/events/events-file.ts";
import { MoltEvent } from "../../core/events/events.ts";
import { runStartedFields } from "../run-started.ts";

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "molt-events-file-"));
  file = join(dir, "events.jsonl");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One of each kind a real step produces, in a run's order. */
const runEvents: NewEvent[] = [
  // An issue with quotes and a newline, which must survive the JSON line.
  { type: "run_started", ...runStartedFields({ spec: { issue: "Fix the \"duration\" parser\nIt breaks on 1h30m." } }) },
  { type: "model_request", step: 1, messages: 2 },
  { type: "model_delta", step: 1, text: "Let me " },
  { type: "model_delta", step: 1, text: "look." },
  {
    type: "model_response",
    step: 1,
    content: "Let me look.",
    toolCalls: [{ id: "call_1", name: "bash", arguments: '{"command":"ls"}' }],
    usage: { promptTokens: 120, completionTokens: 7 },
    cost: 0.0004,
    ms: 812,
  },
  { type: "command_started", step: 1, call: 0, command: "ls" },
  { type: "command_finished", step: 1, call: 0, exitCode: 0, ms: 5, output: "src\ntest\n", outputTail: "", elidedChars: 0, timedOut: false, notes: [] },
  { type: "format_error", step: 2, reason: "no bash tool call found", inARow: 1 },
  {
    type: "run_finished",
    exitStatus: "Submitted",
    reason: "the agent submitted",
    patch: "diff --git a/x b/x\n",
    patchFile: "/tmp/out/patch.diff",
    trajectoryFile: "/tmp/out/run.traj.json",
    totals: { steps: 2, promptTokens: 120, completionTokens: 7, cost: 0.0004, apiCalls: 1, elapsedMs: 900 },
  },
];

function writeRun(events: NewEvent[] = runEvents): ReturnType<EventBus["emit"]>[] {
  const bus = new EventBus();
  const sink = new EventsFile(file);
  bus.subscribe(sink);
  const emitted = events.map((event) => bus.emit(event));
  sink.close();
  return emitted;
}

function lines(): string[] {
  return readFileSync(file, "utf8").split("\n").filter((line) => line !== "");
}

describe("EventsFile", () => {
  test("writes one JSON line per event, leaving out the transient model_delta", () => {
    const emitted = writeRun();
    const kept = emitted.filter((event) => event.type !== "model_delta");
    expect(lines()).toHaveLength(kept.length);
    expect(lines().map((line) => JSON.parse(line))).toEqual(kept);
    expect(readFileSync(file, "utf8").endsWith("\n")).toBe(true);
  });

  test("every line parses back with the MoltEvent schema", () => {
    writeRun();
    for (const line of lines()) expect(MoltEvent.safeParse(JSON.parse(line)).success).toBe(true);
  });

  test("readEvents gives back exactly the recorded events", () => {
    const emitted = writeRun();
    expect(readEvents(file)).toEqual(emitted.filter((event) => event.type !== "model_delta"));
  });

  test("each event is on disk as soon as it is emitted, before close", () => {
    const bus = new EventBus();
    const sink = new EventsFile(file);
    bus.subscribe(sink);
    bus.emit({ type: "model_request", step: 1, messages: 2 });
    expect(lines()).toHaveLength(1);
    bus.emit({ type: "command_started", step: 1, call: 0, command: "ls" });
    expect(readEvents(file).map((event) => event.type)).toEqual(["model_request", "command_started"]);
    sink.close();
  });

  test("the file is appended to, never rewritten: earlier bytes stay as they were", () => {
    const bus = new EventBus();
    const sink = new EventsFile(file);
    bus.subscribe(sink);
    for (const event of runEvents.slice(0, 4)) bus.emit(event);
    const before = readFileSync(file);
    for (const event of runEvents.slice(4)) bus.emit(event);
    sink.close();
    const after = readFileSync(file);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
  });

  test("a new EventsFile on an existing record appends instead of truncating it", () => {
    writeRun(runEvents.slice(0, 2));
    const before = readFileSync(file);
    writeRun(runEvents.slice(5, 6));
    const after = readFileSync(file);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect(readEvents(file).map((event) => event.type)).toEqual(["run_started", "model_request", "command_started"]);
  });

  test("events after close are not written", () => {
    const bus = new EventBus();
    const sink = new EventsFile(file);
    bus.subscribe(sink);
    bus.emit({ type: "model_request", step: 1, messages: 2 });
    sink.close();
    bus.emit({ type: "model_request", step: 2, messages: 4 });
    expect(lines()).toHaveLength(1);
    expect(() => sink.close()).not.toThrow();
  });
});

describe("readEvents", () => {
  test("drops a torn last line, as left by a run killed mid-write", () => {
    const emitted = writeRun();
    const next = JSON.stringify({ type: "command_started", ts: Date.now(), step: 3, call: 0, command: "npm test" });
    appendFileSync(file, next.slice(0, Math.floor(next.length / 2)));
    expect(readEvents(file)).toEqual(emitted.filter((event) => event.type !== "model_delta"));
  });

  test("keeps a complete last line that merely lacks its newline", () => {
    writeFileSync(file, JSON.stringify({ type: "model_request", ts: 1, step: 1, messages: 2 }));
    expect(readEvents(file)).toEqual([{ type: "model_request", ts: 1, step: 1, messages: 2 }]);
  });

  test("an empty record has no events", () => {
    writeFileSync(file, "");
    expect(readEvents(file)).toEqual([]);
  });

  test("throws on a line in the middle that is not JSON, naming the line", () => {
    writeRun(runEvents.slice(0, 2));
    appendFileSync(file, "{\"type\":\"command_sta\n");
    writeRun(runEvents.slice(5, 7));
    expect(() => readEvents(file)).toThrow(/:3:/);
  });

  test("throws on a line in the middle that is JSON but not an event", () => {
    writeRun(runEvents.slice(0, 2));
    appendFileSync(file, JSON.stringify({ type: "command_started", ts: 1, step: 1 }) + "\n");
    writeRun(runEvents.slice(5, 7));
    expect(() => readEvents(file)).toThrow(/:3:/);
  });

  test("throws on a last complete line that is JSON but not an event", () => {
    writeRun(runEvents.slice(0, 2));
    appendFileSync(file, JSON.stringify({ type: "not_an_event", ts: 1 }) + "\n");
    expect(() => readEvents(file)).toThrow();
  });

  // Only the very last, unterminated line may be dropped as torn; a complete bad line before it is an error.
  test("a bad complete line followed by a torn last line is still an error", () => {
    writeRun(runEvents.slice(0, 2));
    appendFileSync(file, "garbage that is not json\n");
    appendFileSync(file, '{"type":"command_started","ts":1,"st');
    expect(() => readEvents(file)).toThrow();
  });
});

describe("a record written before the run spec", () => {
  // The run_started line of a molt 0.1 record, as it was written then: settings in fields of their own.
  const LEGACY = {
    type: "run_started", ts: 1, runId: "r0", moltVersion: "0.1.0", repo: "/src/calc", baseCommit: "c".repeat(40), issue: "add() subtracts",
    model: "gpt-4.1", baseUrl: "http://127.0.0.1:8080/v1", actionFormat: "text", limits: { stepLimit: 25, costLimit: 3, timeLimitSec: 0, commandTimeoutSec: 60 },
    workspace: "/tmp/w/calc", outputDir: "/runs/r0", sandbox: "local",
    settings: {
      retries: 2, price: { inPerMTok: 2, outPerMTok: 8 }, requestTimeoutSec: 120,
      sandbox: { kind: "local", network: "all", allowDomains: [], memLimitBytes: 2 ** 30, passEnv: ["HF_TOKEN"] },
      evolution: { enabled: true, library: "/lib", fresh: false, reminder: "" },
    },
  };

  test("reads back with its settings in the spec, nothing lost", () => {
    writeFileSync(file, `${JSON.stringify(LEGACY)}\n${JSON.stringify({ type: "model_request", ts: 2, step: 1, messages: 2 })}\n`);
    const [started, request] = readEvents(file);
    expect(started).toEqual({
      type: "run_started", ts: 1, runId: "r0", moltVersion: "0.1.0", workspace: "/tmp/w/calc", outputDir: "/runs/r0", sandbox: "local",
      spec: {
        repo: "/src/calc", base: "c".repeat(40), issue: "add() subtracts",
        // It ran with molt's own prompts: the default configuration's.
        agent: loadConfiguration([]).agent,
        model: { name: "gpt-4.1", baseUrl: "http://127.0.0.1:8080/v1", actionFormat: "text", retries: 2, requestTimeoutSec: 120, price: { inPerMTok: 2, outPerMTok: 8 }, kwargs: {} },
        limits: LEGACY.limits,
        sandbox: { ...LEGACY.settings.sandbox, env: {} },
        evolution: LEGACY.settings.evolution,
      },
    });
    expect(request?.type).toBe("model_request");
  });
});
