import { describe, expect, test } from "vitest";
import { applyEvent, emptyView, type RunView, type StepView } from "../../bin/ui/live/view-state.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { runStartedFields } from "../run-started.ts";

// The live view's fold: events in, the run as the terminal shows it out. Events are built as the
// agent, the executor and the evolution layer emit them, in the order they emit them.

let clock = 1_700_000_000_000;
/** An event of the given type, with its timestamp filled in (each event a little after the one before). */
function ev<T extends MoltEvent["type"]>(type: T, fields: Omit<EventOf<T>, "type" | "ts">): EventOf<T> {
  clock += 10;
  return { type, ts: clock, ...fields } as EventOf<T>;
}

const runStarted = (): EventOf<"run_started"> =>
  ev(
    "run_started",
    runStartedFields({
      runId: "20260101-120000-abcd",
      spec: { base: "0123456789abcdef0123456789abcdef01234567", issue: "\n  add() subtracts instead of adding\n\nSteps to reproduce: call add(1, 2)." },
      workspace: "/tmp/molt-x/repo",
      outputDir: "/home/me/src/calc/molt-runs/20260101-120000-abcd",
    }),
  );

const response = (step: number, content: string, promptTokens: number, completionTokens: number, cost: number): EventOf<"model_response"> =>
  ev("model_response", {
    step,
    content,
    toolCalls: [{ id: `call_${step}`, name: "bash", arguments: "{}" }],
    usage: { promptTokens, completionTokens },
    cost,
    ms: 800,
  });

const finishedCommand = (step: number, fields: Partial<Omit<EventOf<"command_finished">, "type" | "ts" | "step">> = {}): EventOf<"command_finished"> =>
  ev("command_finished", { step, call: 0, exitCode: 0, ms: 42, output: "", outputTail: "", elidedChars: 0, timedOut: false, notes: [], ...fields });

const REMINDER = "[molt] Reflect: would a new or better tool help with the next steps? Write it to $MOLT_EVOLVED/<name>.ts.";
const V1 = 'export default defineTool({ name: "count_words", run: () => 1 });\n';
const V2 = 'export default defineTool({ name: "count_words", run: () => "2 words" });\n';
const V3 = 'export default defineTool({ name: "count_words", run: () => "2 words, 2 distinct" });\n';

/** Folds the events in order and collects the steps the fold handed back as finished. */
function fold(events: MoltEvent[], view: RunView = emptyView()): { view: RunView; finished: StepView[] } {
  const finished: StepView[] = [];
  for (const event of events) {
    const done = applyEvent(view, event);
    if (done) finished.push(structuredClone(done));
  }
  return { view, finished };
}

describe("a run's first step", () => {
  test("run_started fills the header: repo, first line of the issue, model, sandbox, limits, output folder, start time", () => {
    const started = runStarted();
    const { view } = fold([started]);
    expect(view).toMatchObject({
      runId: "20260101-120000-abcd",
      repo: "/home/me/src/calc",
      issueLine: "add() subtracts instead of adding",
      model: "gpt-4.1",
      sandbox: "bwrap (workspace writable, rest read-only, no network)",
      stepLimit: 25,
      costLimit: 3,
      outputDir: "/home/me/src/calc/molt-runs/20260101-120000-abcd",
      startedAt: started.ts,
      phase: "starting",
      step: 0,
    });
    expect(view.current).toBeUndefined();
    expect(view.finished).toBeUndefined();
  });

  test("streamed text is appended as it comes, then replaced by the full reply; tokens and cost add up", () => {
    const view = emptyView();
    fold([runStarted(), ev("model_request", { step: 1, messages: 2 })], view);
    expect(view.phase).toBe("thinking");
    expect(view.step).toBe(1);
    expect(view.current).toEqual({ step: 1, thought: "", earlier: [], notes: [] });

    for (const text of ["Let ", "me ", "look ", "at"]) applyEvent(view, ev("model_delta", { step: 1, text }));
    expect(view.current?.thought).toBe("Let me look at");
    // A delta that belongs to another step does not leak into this one.
    applyEvent(view, ev("model_delta", { step: 7, text: " NOT THIS" }));
    expect(view.current?.thought).toBe("Let me look at");

    applyEvent(view, response(1, "Let me look at the code first.", 1200, 40, 0.0027));
    expect(view.current?.thought).toBe("Let me look at the code first.");
    expect(view.promptTokens).toBe(1200);
    expect(view.completionTokens).toBe(40);
    expect(view.cost).toBeCloseTo(0.0027, 10);
    // The model answered, but nothing runs yet: still thinking, no command.
    expect(view.current?.command).toBeUndefined();
  });

  test("command_started shows the command and switches to running; command_finished records output, verdict and limit notes", () => {
    const view = emptyView();
    fold([runStarted(), ev("model_request", { step: 1, messages: 2 }), response(1, "Run the tests.", 1000, 30, 0.001)], view);
    const started = ev("command_started", { step: 1, call: 0, command: "npm test" });
    applyEvent(view, started);
    expect(view.phase).toBe("running");
    expect(view.current?.command).toBe("npm test");
    expect(view.current?.commandStartedAt).toBe(started.ts);

    applyEvent(
      view,
      finishedCommand(1, {
        exitCode: 137,
        ms: 61_000,
        output: "PASS a\nFAIL b\n",
        timedOut: true,
        notes: ["[molt] the command ran out of memory: each process may use 4 GiB.", "[molt] tool count_words v1 loaded in 30 ms — usage: count_words", REMINDER],
      }),
    );
    expect(view.phase).toBe("thinking");
    expect(view.current).toMatchObject({
      step: 1,
      thought: "Run the tests.",
      command: "npm test",
      output: { text: "PASS a\nFAIL b\n", tail: "", elidedChars: 0 },
      exitCode: 137,
      ms: 61_000,
      timedOut: true,
    });
    // The limit note is the user's business; the tool verdict comes from its own event, and the reminder is the agent's.
    expect(view.current?.notes).toEqual([{ kind: "note", text: "[molt] the command ran out of memory: each process may use 4 GiB." }]);
  });

  test("an elided output keeps its head, its tail and the count of characters the agent did not see", () => {
    const view = emptyView();
    fold([runStarted(), ev("model_request", { step: 1, messages: 2 }), ev("command_started", { step: 1, call: 0, command: "yes | head -c 10000000" })], view);
    applyEvent(view, finishedCommand(1, { output: "y\ny\n", outputTail: "\ny\ny", elidedChars: 9_990_000 }));
    expect(view.current?.output).toEqual({ text: "y\ny\n", tail: "\ny\ny", elidedChars: 9_990_000 });
  });
});

describe("steps go to the scrollback", () => {
  test("the next model_request hands back the finished step and the view keeps only the new one", () => {
    const { view, finished } = fold([
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("model_delta", { step: 1, text: "Look around." }),
      response(1, "Look around.", 1000, 20, 0.001),
      ev("command_started", { step: 1, call: 0, command: "ls" }),
      finishedCommand(1, { output: "calc.js\n" }),
      ev("model_request", { step: 2, messages: 4 }),
      ev("model_delta", { step: 2, text: "Fix it" }),
    ]);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ step: 1, thought: "Look around.", command: "ls", output: { text: "calc.js\n" }, exitCode: 0 });
    expect(view.current).toEqual({ step: 2, thought: "Fix it", earlier: [], notes: [] });
    expect(view.step).toBe(2);
    expect(view.phase).toBe("thinking");
  });

  test("every step leaves the view exactly once, the last one at run_finished, which fills `finished`", () => {
    const events: MoltEvent[] = [runStarted()];
    for (let step = 1; step <= 3; step++) {
      events.push(
        ev("model_request", { step, messages: 2 * step }),
        response(step, `thought ${step}`, 1000 * step, 10, 0.01),
        ev("command_started", { step, call: 0, command: `echo ${step}` }),
        finishedCommand(step, { output: `${step}\n` }),
      );
    }
    const patch = "diff --git a/calc.js b/calc.js\n--- a/calc.js\n+++ b/calc.js\n@@ -1 +1 @@\n-a - b\n+a + b\n";
    events.push(
      ev("run_finished", {
        exitStatus: "Submitted",
        reason: "the agent submitted",
        patch,
        patchFile: "/runs/x/patch.diff",
        trajectoryFile: "/runs/x/x.traj.json",
        totals: { steps: 3, promptTokens: 6000, completionTokens: 30, cost: 0.03, apiCalls: 3, elapsedMs: 4321 },
      }),
    );
    const { view, finished } = fold(events);
    expect(finished.map((step) => [step.step, step.thought, step.command])).toEqual([
      [1, "thought 1", "echo 1"],
      [2, "thought 2", "echo 2"],
      [3, "thought 3", "echo 3"],
    ]);
    expect(view.current).toBeUndefined();
    expect(view.phase).toBe("finished");
    expect(view.finished).toEqual({
      exitStatus: "Submitted",
      reason: "the agent submitted",
      patch,
      patchFile: "/runs/x/patch.diff",
      trajectoryFile: "/runs/x/x.traj.json",
      elapsedMs: 4321,
    });
    expect(view.promptTokens).toBe(6000);
    expect(view.completionTokens).toBe(30);
    expect(view.cost).toBeCloseTo(0.03, 10);
  });

  test("a run that ends before any step hands back nothing and still finishes", () => {
    const { view, finished } = fold([
      runStarted(),
      ev("run_finished", {
        exitStatus: "ModelError",
        reason: "the model endpoint refused the key",
        patch: "",
        patchFile: "/runs/x/patch.diff",
        trajectoryFile: "/runs/x/x.traj.json",
        totals: { steps: 0, promptTokens: 0, completionTokens: 0, cost: 0, apiCalls: 0, elapsedMs: 12 },
      }),
    ]);
    expect(finished).toEqual([]);
    expect(view.finished).toMatchObject({ exitStatus: "ModelError", reason: "the model endpoint refused the key", patch: "" });
  });

  test("setup_finished keeps the setup command, its exit code and time for the header, and is no step", () => {
    const { view, finished } = fold([
      runStarted(),
      ev("setup_finished", { command: "npm ci", exitCode: 0, ms: 1234, output: "added 12 packages", outputTail: "", elidedChars: 0, timedOut: false, startCommit: "abc" }),
    ]);
    expect(view.setup).toEqual({ command: "npm ci", exitCode: 0, ms: 1234, timedOut: false });
    expect(finished).toEqual([]);
    expect(view.current).toBeUndefined();
  });

  test("run_resumed carries the step count and the model of the resumed run", () => {
    const { view } = fold([ev("run_resumed", { afterStep: 7, model: "gpt-4.1-mini" })]);
    expect(view.step).toBe(7);
    expect(view.model).toBe("gpt-4.1-mini");
  });
});

describe("notes land on the step they belong to", () => {
  test("retries, format errors, a refused command and tool events, each on its own step", () => {
    const { view, finished } = fold([
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("model_retry", { step: 1, attempt: 1, of: 4, reason: "HTTP 429", delayMs: 1499.6 }),
      ev("model_retry", { step: 1, attempt: 2, reason: "the stream was cut short", delayMs: 3000 }),
      response(1, "I think the answer is 42.", 900, 12, 0),
      ev("format_error", { step: 1, reason: "no bash command in the reply", inARow: 1 }),
      ev("model_request", { step: 2, messages: 4 }),
      response(2, "Delete everything.", 950, 9, 0),
      ev("command_rejected", { step: 2, call: 0, command: "rm -rf /", message: "no, read calc.js instead" }),
      ev("model_request", { step: 3, messages: 6 }),
      response(3, "Write a tool.", 1000, 90, 0),
      ev("command_started", { step: 3, call: 0, command: "cat > $MOLT_EVOLVED/count_words.ts" }),
      ev("tool_written", { step: 3, name: "count_words", version: 1, kind: "tool", sha: "a1", source: V1 }),
      ev("tool_validated", { step: 3, name: "count_words", version: 1, ok: false, diagnostics: [{ file: "evolved/count_words.ts", line: 11, column: 11, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." }], ms: 300 }),
      ev("tool_rejected", {
        step: 3,
        name: "count_words",
        version: 1,
        stage: "validate",
        reason: "evolved/count_words.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'.\nevolved/count_words.ts:12:5 TS2304 Cannot find name 'x'.",
        diagnostics: [],
      }),
      finishedCommand(3, { notes: ["[molt] tool count_words v1 rejected: evolved/count_words.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'.", REMINDER] }),
      ev("model_request", { step: 4, messages: 8 }),
      response(4, "Fix the tool.", 1100, 90, 0),
      ev("command_started", { step: 4, call: 0, command: "cat > $MOLT_EVOLVED/count_words.ts" }),
      ev("tool_written", { step: 4, name: "count_words", version: 2, kind: "tool", sha: "b2", source: V2 }),
      ev("tool_loaded", { step: 4, name: "count_words", version: 2, ms: 61.7, usage: "count_words --path <string>" }),
      finishedCommand(4, { notes: ["[molt] tool count_words v2 loaded in 62 ms — usage: count_words --path <string>", REMINDER] }),
      ev("model_request", { step: 5, messages: 10 }),
      response(5, "Use it.", 1200, 20, 0),
      ev("command_started", { step: 5, call: 0, command: "count_words --path 'my notes.txt'" }),
      ev("tool_called", { step: 5, name: "count_words", version: 2, args: ["--path", "my notes.txt"], exitCode: 0, ms: 12.2 }),
      finishedCommand(5, { output: "2 words\n", notes: [REMINDER] }),
      ev("model_request", { step: 6, messages: 12 }),
    ]);
    const [one, two, three, four, five] = finished;
    expect(one?.notes).toEqual([
      { kind: "retry", text: "retrying (1 of 4) in 1.5 s: HTTP 429" },
      { kind: "retry", text: "retrying (2) in 3.0 s: the stream was cut short" },
      { kind: "format-error", text: "format error: no bash command in the reply (1 in a row)" },
    ]);
    expect(one?.command).toBeUndefined();
    expect(two).toMatchObject({ step: 2, command: "rm -rf /", rejected: "no, read calc.js instead", notes: [] });
    expect(two?.exitCode).toBeUndefined();
    // Only the first line of the reason; the verdict note of the observation is not shown twice.
    expect(three?.notes).toEqual([{ kind: "tool-rejected", text: "tool count_words v1 rejected: evolved/count_words.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'." }]);
    expect(four?.notes).toEqual([{ kind: "tool-loaded", text: "tool count_words v2 loaded in 62 ms: count_words --path <string>" }]);
    expect(five?.notes).toEqual([{ kind: "tool-called", text: "count_words --path 'my notes.txt' → exit 0 · 12 ms" }]);
    expect(view.current).toEqual({ step: 6, thought: "", earlier: [], notes: [] });
  });

  test("tool events of the library loading (step 0) change the tools but add no note to any step", () => {
    const { view, finished } = fold([
      runStarted(),
      ev("tool_written", { step: 0, name: "grep_code", version: 3, kind: "tool", sha: "c3", source: "v3 source" }),
      ev("tool_loaded", { step: 0, name: "grep_code", version: 3, ms: 20, usage: "grep_code --pattern <string>" }),
      ev("model_request", { step: 1, messages: 2 }),
    ]);
    expect(finished).toEqual([]);
    expect(view.current).toEqual({ step: 1, thought: "", earlier: [], notes: [] });
    expect(view.tools.get("grep_code")).toMatchObject({ version: 3, status: "loaded", source: "v3 source" });
  });
});

describe("the tools map", () => {
  test("the library, then a rejected version, a loaded one, calls, a new version with the previous source for the diff, and a removal", () => {
    const view = emptyView();
    fold(
      [
        runStarted(),
        ev("tool_library", { dir: "/lib/evolved", fresh: false, tools: [{ name: "edit_file", version: 2, source: "edit v2" }] }),
        ev("model_request", { step: 1, messages: 2 }),
        ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "a1", source: V1 }),
        ev("tool_rejected", { step: 1, name: "count_words", version: 1, stage: "validate", reason: "TS2322", diagnostics: [] }),
      ],
      view,
    );
    expect(view.tools.get("edit_file")).toMatchObject({ name: "edit_file", version: 2, status: "loaded", calls: 0, source: "edit v2" });
    expect(view.tools.get("count_words")).toMatchObject({ name: "count_words", version: 1, status: "rejected", calls: 0, source: V1 });
    expect(view.toolsCreated).toBe(1);
    expect(view.pendingSources.size).toBe(0);

    fold(
      [
        ev("model_request", { step: 2, messages: 4 }),
        ev("tool_written", { step: 2, name: "count_words", version: 2, kind: "tool", sha: "b2", source: V2 }),
        ev("tool_loaded", { step: 2, name: "count_words", version: 2, ms: 50, usage: "count_words --path <string>" }),
        ev("model_request", { step: 3, messages: 6 }),
        ev("tool_called", { step: 3, name: "count_words", version: 2, args: ["--path", "a"], exitCode: 0, ms: 5 }),
        ev("tool_called", { step: 3, name: "count_words", version: 2, args: ["--path", "b"], exitCode: 1, ms: 5 }),
        ev("tool_called", { step: 3, name: "edit_file", version: 2, args: [], exitCode: 0, ms: 5 }),
      ],
      view,
    );
    expect(view.tools.get("count_words")).toMatchObject({ version: 2, status: "loaded", calls: 2, source: V2, previous: V1 });
    expect(view.tools.get("edit_file")?.calls).toBe(1);
    // Writing a new version of a tool is not creating a new tool.
    expect(view.toolsCreated).toBe(1);

    fold(
      [
        ev("model_request", { step: 4, messages: 8 }),
        ev("tool_written", { step: 4, name: "count_words", version: 3, kind: "tool", sha: "c3", source: V3 }),
        ev("tool_loaded", { step: 4, name: "count_words", version: 3, ms: 40, usage: "count_words --path <string>" }),
        // The agent rewrites a tool it found in the library.
        ev("tool_written", { step: 4, name: "edit_file", version: 3, kind: "tool", sha: "e3", source: "edit v3" }),
        ev("tool_loaded", { step: 4, name: "edit_file", version: 3, ms: 40, usage: "edit_file" }),
        // Helpers are checked but are not tools of their own.
        ev("tool_written", { step: 4, name: "shared", version: 1, kind: "helper", sha: "h1", source: "export const x = 1;" }),
      ],
      view,
    );
    expect(view.tools.get("count_words")).toMatchObject({ version: 3, status: "loaded", calls: 2, source: V3, previous: V2 });
    expect(view.tools.get("edit_file")).toMatchObject({ version: 3, source: "edit v3", previous: "edit v2", calls: 1 });
    expect(view.toolsCreated).toBe(1);

    fold([ev("model_request", { step: 5, messages: 10 }), ev("tool_removed", { step: 5, name: "count_words" })], view);
    expect(view.tools.get("count_words")?.status).toBe("removed");
    expect(view.current?.notes).toEqual([{ kind: "tool-removed", text: "tool count_words removed" }]);
    expect([...view.tools.keys()]).toEqual(["edit_file", "count_words"]);
  });

  test("a rejected new version leaves the loaded one in the map, with its source", () => {
    const { view } = fold([
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "b2", source: V2 }),
      ev("tool_loaded", { step: 1, name: "count_words", version: 1, ms: 50, usage: "count_words" }),
      ev("model_request", { step: 2, messages: 4 }),
      ev("tool_written", { step: 2, name: "count_words", version: 2, kind: "tool", sha: "a1", source: V1 }),
      ev("tool_rejected", { step: 2, name: "count_words", version: 2, stage: "validate", reason: "TS2322 ...", diagnostics: [] }),
    ]);
    expect(view.tools.get("count_words")).toMatchObject({ version: 1, status: "loaded", source: V2 });
    expect(view.current?.notes).toEqual([{ kind: "tool-rejected", text: "tool count_words v2 rejected: TS2322 ..." }]);
    expect(view.pendingSources.size).toBe(0);
  });
});

describe("known bugs", () => {
  // A retried reply streams from its start: the cut-off attempt's text must not stay in front of it.
  test("a retry starts the streamed thought afresh instead of appending to the cut-off attempt", () => {
    const { view } = fold([
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("model_delta", { step: 1, text: "Let me " }),
      ev("model_delta", { step: 1, text: "look" }),
      ev("model_retry", { step: 1, attempt: 1, reason: "the stream was cut short", delayMs: 500 }),
      ev("model_delta", { step: 1, text: "Let me " }),
      ev("model_delta", { step: 1, text: "look at the code" }),
    ]);
    expect(view.current?.thought).toBe("Let me look at the code");
  });

  // Every rejected version shows in the panel, and the next version's diff is against the newest one.
  test("a second rejected version replaces the first one in the tools panel, and the next loaded version diffs against it", () => {
    const { view } = fold([
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "a1", source: V1 }),
      ev("tool_rejected", { step: 1, name: "count_words", version: 1, stage: "validate", reason: "TS2322", diagnostics: [] }),
      ev("model_request", { step: 2, messages: 4 }),
      ev("tool_written", { step: 2, name: "count_words", version: 2, kind: "tool", sha: "b2", source: V2 }),
      ev("tool_rejected", { step: 2, name: "count_words", version: 2, stage: "load", reason: "SyntaxError", diagnostics: [] }),
    ]);
    expect(view.tools.get("count_words")).toMatchObject({ version: 2, status: "rejected", source: V2 });
    fold([
      ev("model_request", { step: 3, messages: 6 }),
      ev("tool_written", { step: 3, name: "count_words", version: 3, kind: "tool", sha: "c3", source: V3 }),
      ev("tool_loaded", { step: 3, name: "count_words", version: 3, ms: 40, usage: "count_words" }),
    ], view);
    expect(view.tools.get("count_words")).toMatchObject({ version: 3, status: "loaded", source: V3, previous: V2 });
  });
});
