import { stripVTControlCharacters } from "node:util";
import chalk from "chalk";
import { render } from "ink-testing-library";
import { createElement as h, type ReactElement } from "react";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { App } from "../../bin/ui/live/app.ts";
import { ConfirmPrompt } from "../../bin/ui/live/confirm-prompt.ts";
import { FinalView } from "../../bin/ui/live/final-view.ts";
import { LiveStore } from "../../bin/ui/live/live-store.ts";
import { StatusBar } from "../../bin/ui/live/status-bar.ts";
import { StepBlock } from "../../bin/ui/live/step-block.ts";
import { themeFor } from "../../bin/ui/live/theme.ts";
import { ToolsPanel } from "../../bin/ui/live/tools-panel.ts";
import { applyEvent, emptyView, type RunView, type StepView, type ToolView } from "../../bin/ui/live/view-state.ts";
import type { CommandDecision } from "../../core/step-gate.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { runStartedFields } from "../run-started.ts";

// The live view's pieces, rendered with ink-testing-library (100 columns), and the App driven
// with keys through its stdin while a LiveStore is fed events, as the agent would feed it.

const DARK = themeFor("dark", {});
const NO_COLOR = themeFor("dark", { NO_COLOR: "1" });
const BOX = /[\u2500-\u257f]/;

// Tests run without a terminal, so chalk (which ink colours with) would print no escape codes at
// all and every colour check would pass vacuously. Ask it for the 16 colours a terminal has.
let savedLevel: typeof chalk.level;
beforeAll(() => {
  savedLevel = chalk.level;
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = savedLevel;
});

const mounted: { unmount(): void }[] = [];
afterEach(() => {
  for (const instance of mounted.splice(0)) instance.unmount();
  vi.restoreAllMocks();
});

function show(element: ReactElement) {
  const instance = render(element);
  mounted.push(instance);
  return instance;
}

/** The frame as the user reads it: without escape codes. */
const text = (frame: string | undefined) => stripVTControlCharacters(frame ?? "");

/** The SGR sequences of a frame that set a colour (foreground or background), not bold, dim or inverse. */
function colourCodes(frame: string | undefined): string[] {
  const found: string[] = [];
  for (const match of (frame ?? "").matchAll(/\u001b\[([0-9;]*)m/g)) {
    const params = (match[1] ?? "").split(";").map(Number);
    if (params.some((p) => (p >= 30 && p <= 49) || (p >= 90 && p <= 107))) found.push(match[0]);
  }
  return found;
}

// Near the real time: the App measures how long the run and the command have taken against Date.now().
let clock = Date.now();
function ev<T extends MoltEvent["type"]>(type: T, fields: Omit<EventOf<T>, "type" | "ts">): EventOf<T> {
  clock += 10;
  return { type, ts: clock, ...fields } as EventOf<T>;
}

const runStarted = () => ev("run_started", runStartedFields());

const PATCH = `diff --git a/calc.js b/calc.js
index dc1ead9..d0f87bf 100644
--- a/calc.js
+++ b/calc.js
@@ -1 +1 @@
-export const add = (a, b) => a - b;
+export const add = (a, b) => a + b;
`;

const finishedRun = (exitStatus: EventOf<"run_finished">["exitStatus"] = "Submitted", reason = "the agent submitted", patch = PATCH) =>
  ev("run_finished", {
    exitStatus,
    reason,
    patch,
    patchFile: "/home/me/src/calc/molt-runs/r1/patch.diff",
    trajectoryFile: "/home/me/src/calc/molt-runs/r1/r1.traj.json",
    totals: { steps: 3, promptTokens: 12_345, completionTokens: 678, cost: 0.0312, apiCalls: 3, elapsedMs: 4321 },
  });

const step = (fields: Partial<StepView> = {}): StepView => ({ step: 3, thought: "Run the tests to see what fails.", earlier: [], notes: [], ...fields });

const numbered = (count: number) => Array.from({ length: count }, (_, index) => `line ${index + 1}`).join("\n") + "\n";

const V1 = `import { defineTool, z } from "molt/tool";
export default defineTool({
  name: "count_words",
  async run({ path }) {
    const count: number = words.join(" ");
    return String(count);
  },
});
`;
const V2 = V1.replace('    const count: number = words.join(" ");\n    return String(count);', "    return `${words.length} words`;");

const tools = (): ToolView[] => [
  { name: "count_words", version: 2, status: "loaded", calls: 3, source: V2, previous: V1 },
  { name: "edit_file", version: 1, status: "rejected", calls: 0, source: "export default 1;\n" },
  { name: "old_tool", version: 4, status: "removed", calls: 1, source: "export default 4;\n" },
];

describe("StepBlock", () => {
  test("shows the thought, the command, the verdict and the notes of a finished step", () => {
    const { lastFrame } = show(
      h(StepBlock, {
        step: step({
          command: "npm test",
          output: { text: "PASS a\nFAIL b\n", tail: "", elidedChars: 0 },
          exitCode: 1,
          ms: 2500,
          notes: [
            { kind: "tool-loaded", text: "tool count_words v2 loaded in 60 ms: count_words --path <string>" },
            { kind: "format-error", text: "format error: no bash command (1 in a row)" },
          ],
        }),
        theme: DARK,
        plain: false,
      }),
    );
    const frame = text(lastFrame());
    expect(frame.split("\n")).toEqual([
      "● 3 Run the tests to see what fails.",
      "  $ npm test",
      "    PASS a",
      "    FAIL b",
      "  ✗ exit 1 · 2.5 s",
      "  ⚙ tool count_words v2 loaded in 60 ms: count_words --path <string>",
      "  ! format error: no bash command (1 in a row)",
    ]);
  });

  test("a long output shows a few head and tail lines and says how many lines it hides", () => {
    const { lastFrame } = show(h(StepBlock, { step: step({ command: "seq", output: { text: numbered(50), tail: "", elidedChars: 0 }, exitCode: 0, ms: 10 }), theme: DARK, plain: false }));
    const frame = text(lastFrame());
    for (const shown of ["line 1", "line 2", "line 3", "line 4", "line 49", "line 50"]) expect(frame).toMatch(new RegExp(`^    ${shown}$`, "m"));
    for (const hidden of ["line 5", "line 25", "line 48"]) expect(frame).not.toMatch(new RegExp(`^    ${hidden}$`, "m"));
    expect(frame).toContain("… 44 more lines (all of it is in events.jsonl)");
    expect(frame).not.toContain("did not see");
    // Head lines, the hint, then the tail: in that order.
    expect(frame.indexOf("line 4")).toBeLessThan(frame.indexOf("44 more lines"));
    expect(frame.indexOf("44 more lines")).toBeLessThan(frame.indexOf("line 49"));
  });

  test("an output short enough is shown whole, with no hint", () => {
    const { lastFrame } = show(h(StepBlock, { step: step({ command: "seq 7", output: { text: numbered(7), tail: "", elidedChars: 0 }, exitCode: 0, ms: 10 }), theme: DARK, plain: false }));
    const frame = text(lastFrame());
    for (let line = 1; line <= 7; line++) expect(frame).toContain(`line ${line}\n`.slice(0, -1));
    expect(frame).not.toContain("more lines");
  });

  test("when characters were elided, it says how many the agent did not see, and shows the tail", () => {
    const head = Array.from({ length: 60 }, (_, index) => `head ${index}`).join("\n");
    const tail = Array.from({ length: 60 }, (_, index) => `tail ${index}`).join("\n");
    const { lastFrame } = show(
      h(StepBlock, { step: step({ command: "cat big.log", output: { text: head, tail, elidedChars: 9_876_543 }, exitCode: 0, ms: 900 }), theme: DARK, plain: false }),
    );
    const frame = text(lastFrame());
    expect(frame).toContain("head 0");
    expect(frame).toContain("tail 59");
    expect(frame).toMatch(/… 114 more lines, 9,876,543 characters the agent did not see/);
  });

  test("one huge line that was elided: no lines hidden, but the elided characters are named", () => {
    const { lastFrame } = show(
      h(StepBlock, { step: step({ command: "cat min.js", output: { text: "x".repeat(5000), tail: "y".repeat(5000), elidedChars: 40_000 }, exitCode: 0, ms: 9 }), theme: DARK, plain: false }),
    );
    const frame = text(lastFrame());
    expect(frame).toContain("… 40,000 characters the agent did not see");
    expect(frame).not.toContain("more lines");
    // Long lines are cut at the terminal's width, not wrapped into a wall of text.
    for (const line of frame.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  test("a timed-out step says so, in red", () => {
    const { lastFrame } = show(h(StepBlock, { step: step({ command: "sleep 999", output: { text: "", tail: "", elidedChars: 0 }, exitCode: 137, ms: 30_000, timedOut: true }), theme: DARK, plain: false }));
    expect(text(lastFrame())).toContain("✗ timed out · exit 137 · 30.0 s");
    expect(lastFrame()).toMatch(/\u001b\[31m[^\n]*timed out/);
  });

  test("a refused command shows what the user said", () => {
    const { lastFrame } = show(h(StepBlock, { step: step({ command: "rm -rf /", rejected: "never do that" }), theme: DARK, plain: false }));
    const frame = text(lastFrame());
    expect(frame).toContain("$ rm -rf /");
    expect(frame).toContain("refused by you: never do that");
    expect(frame).not.toContain("exit");
  });

  test("while live, a thinking step spins and a running command shows for how long it has run", () => {
    const thinking = show(h(StepBlock, { step: step({ thought: "Hmm" }), theme: DARK, plain: false, live: { phase: "thinking", sinceMs: 0, spinner: "⠙" } }));
    expect(text(thinking.lastFrame())).toBe("● 3 Hmm ⠙");
    const running = show(h(StepBlock, { step: step({ command: "npm test" }), theme: DARK, plain: false, live: { phase: "running", sinceMs: 12_300, spinner: "⠹" } }));
    expect(text(running.lastFrame())).toContain("  ⠹ running · 12.3 s");
  });

  test("a long command shows its first lines and how many more it has", () => {
    const command = Array.from({ length: 10 }, (_, index) => `echo ${index}`).join("\n");
    const { lastFrame } = show(h(StepBlock, { step: step({ command }), theme: DARK, plain: false }));
    const frame = text(lastFrame());
    expect(frame).toContain("echo 5");
    expect(frame).not.toContain("echo 6");
    expect(frame).toContain("… 4 more lines");
  });

  test("screen-reader mode: words instead of symbols", () => {
    const { lastFrame } = show(
      h(StepBlock, {
        step: step({
          command: "npm test",
          output: { text: numbered(30), tail: "", elidedChars: 0 },
          exitCode: 0,
          ms: 20,
          notes: [{ kind: "tool-called", text: "count_words → exit 0 · 3 ms" }],
        }),
        theme: DARK,
        plain: true,
      }),
    );
    const frame = text(lastFrame());
    expect(frame).toContain("Step 3. Run the tests");
    expect(frame).toContain("Command: npm test");
    expect(frame).toContain("Result: exit 0");
    expect(frame).toContain("tool: count_words");
    expect(frame).not.toMatch(/[●✓✗⚙↻✋]/);
    expect(frame).not.toMatch(BOX);
  });
});

describe("ToolsPanel", () => {
  test("lists every tool with its version, status and calls, and shows the selected one's source and its diff to the version before", () => {
    const { lastFrame } = show(h(ToolsPanel, { tools: tools(), selected: 0, theme: DARK, plain: false }));
    const frame = text(lastFrame());
    expect(frame).toContain("Tools (3)");
    expect(frame).toMatch(/▸ count_words\s+v2\s+loaded\s+3 calls/);
    expect(frame).toMatch(/ {2}edit_file\s+v1\s+rejected\s+0 calls/);
    expect(frame).toMatch(/ {2}old_tool\s+v4\s+removed\s+1 call$/m);
    // The source, with line numbers.
    expect(frame).toContain('  1 import { defineTool, z } from "molt/tool";');
    expect(frame).toContain("  5     return `${words.length} words`;");
    // The change from v1.
    expect(frame).toContain("Changes from the version before");
    expect(frame).toContain('-    const count: number = words.join(" ");');
    expect(frame).toContain("-    return String(count);");
    expect(frame).toContain("+    return `${words.length} words`;");
    expect(frame).toContain("+++ count_words v2");
  });

  test("another selection shows another tool; a first version has nothing to compare with", () => {
    const { lastFrame } = show(h(ToolsPanel, { tools: tools(), selected: 1, theme: DARK, plain: false }));
    const frame = text(lastFrame());
    expect(frame).toMatch(/▸ edit_file/);
    expect(frame).toContain("edit_file v1");
    expect(frame).toContain("  1 export default 1;");
    expect(frame).toContain("the first version: nothing to compare with");
    expect(frame).not.toContain("return `${words.length} words`");
  });

  test("statuses are coloured: loaded green, rejected red", () => {
    const { lastFrame } = show(h(ToolsPanel, { tools: tools(), selected: 2, theme: DARK, plain: false }));
    expect(lastFrame()).toMatch(/\u001b\[32mloaded/);
    expect(lastFrame()).toMatch(/\u001b\[31mrejected/);
  });

  test("with no tools it says so", () => {
    const { lastFrame } = show(h(ToolsPanel, { tools: [], selected: 0, theme: DARK, plain: false }));
    expect(text(lastFrame())).toContain("No tools yet");
  });

  test("a long source is cut with a count of the lines left out", () => {
    const source = numbered(40);
    const { lastFrame } = show(h(ToolsPanel, { tools: [{ name: "big", version: 1, status: "loaded", calls: 0, source }], selected: 0, theme: DARK, plain: true }));
    const frame = text(lastFrame());
    expect(frame).toContain(" 12 line 12");
    expect(frame).not.toContain("line 13");
    expect(frame).toContain("… 28 more lines");
    expect(frame).toMatch(/^> big/m);
  });
});

function finishedView(exitStatus: EventOf<"run_finished">["exitStatus"] = "Submitted", reason = "the agent submitted", patch = PATCH): RunView {
  const view = emptyView();
  for (const event of [
    runStarted(),
    ev("model_request", { step: 1, messages: 2 }),
    ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "a", source: V2 }),
    ev("tool_loaded", { step: 1, name: "count_words", version: 1, ms: 10, usage: "count_words" }),
    ev("model_response", { step: 1, content: "", toolCalls: [], usage: { promptTokens: 12_345, completionTokens: 678 }, cost: 0.0312, ms: 5 }),
    ev("model_request", { step: 2, messages: 4 }),
    ev("model_request", { step: 3, messages: 6 }),
    finishedRun(exitStatus, reason, patch),
  ] as MoltEvent[]) {
    applyEvent(view, event);
  }
  return view;
}

describe("FinalView", () => {
  test("shows the exit status, the totals, the patch and where the files are", () => {
    const { lastFrame } = show(h(FinalView, { view: finishedView(), theme: DARK, rows: 60, columns: 100 }));
    const frame = text(lastFrame());
    expect(frame).toMatch(/^Submitted$/m);
    expect(frame).toContain("3 steps · 12.3k tokens in, 678 out · $0.0312 · 4.3 s · 1 tool created");
    expect(frame).toContain("-export const add = (a, b) => a - b;");
    expect(frame).toContain("+export const add = (a, b) => a + b;");
    expect(frame).toContain("patch  /home/me/src/calc/molt-runs/r1/patch.diff (1 file)");
    expect(frame).toContain("run    /home/me/src/calc/molt-runs/r1");
    expect(frame).toContain("q or Enter: leave");
    // Additions green, removals red.
    expect(lastFrame()).toMatch(/\u001b\[32m\+export const add = \(a, b\) => a \+ b;/);
    expect(lastFrame()).toMatch(/\u001b\[31m-export const add = \(a, b\) => a - b;/);
  });

  test("a run that did not submit says why; an empty patch says so", () => {
    const { lastFrame } = show(h(FinalView, { view: finishedView("LimitsExceeded", "the step limit of 3 was reached", ""), theme: DARK, rows: 60, columns: 100 }));
    const frame = text(lastFrame());
    expect(frame).toContain("LimitsExceeded: the step limit of 3 was reached");
    expect(frame).toContain("The patch is empty: the agent changed nothing.");
    expect(frame).toContain("(0 files)");
    expect(lastFrame()).toMatch(/\u001b\[31m[^\n]*LimitsExceeded/);
  });

  test("a long patch is cut to fit the terminal, with a count of the lines left out and where they are", () => {
    const long = `diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n@@ -0,0 +1,100 @@\n${Array.from({ length: 100 }, (_, index) => `+added ${index}`).join("\n")}\n`;
    const frame = text(show(h(FinalView, { view: finishedView("Submitted", "", long), theme: DARK, rows: 24, columns: 80 })).lastFrame());
    // Everything, the status and the totals first, fits 24 rows (one is the cursor's).
    expect(frame.split("\n").length).toBeLessThanOrEqual(23);
    expect(frame).toMatch(/^\s*Submitted$/m);
    expect(frame).toContain("q or Enter: leave");
    expect(frame).toMatch(/… \d+ more lines in patch\.diff/);
    const shown = Number(/… (\d+) more lines/.exec(frame)![1]);
    expect(frame).toContain(`+added ${99 - shown}`);
    expect(frame).not.toContain(`+added ${100 - shown}`);
  });
  // The final view counts the whole run, as run_finished tells it, a resumed run too.
  test("after a resume, the final view shows the whole run's tokens and cost, as run_finished tells them", () => {
    const view = emptyView();
    for (const event of [
      ev("run_resumed", { afterStep: 4, model: "gpt-4.1" }),
      ev("model_request", { step: 5, messages: 10 }),
      ev("model_response", { step: 5, content: "", toolCalls: [], usage: { promptTokens: 100, completionTokens: 10 }, cost: 0.001, ms: 5 }),
      ev("run_finished", {
        exitStatus: "Submitted",
        reason: "the agent submitted",
        patch: PATCH,
        patchFile: "/runs/r1/patch.diff",
        trajectoryFile: "/runs/r1/r1.traj.json",
        totals: { steps: 5, promptTokens: 12_345, completionTokens: 678, cost: 0.0312, apiCalls: 5, elapsedMs: 4321 },
      }),
    ] as MoltEvent[]) {
      applyEvent(view, event);
    }
    const frame = text(show(h(FinalView, { view, theme: DARK, rows: 60, columns: 100 })).lastFrame());
    expect(frame).toContain("5 steps · 12.3k tokens in, 678 out · $0.0312");
  });
});

describe("screen-reader mode and colours", () => {
  function liveView(): RunView {
    const view = emptyView();
    for (const event of [
      runStarted(),
      ev("model_request", { step: 1, messages: 2 }),
      ev("model_response", { step: 1, content: "Look around.", toolCalls: [], usage: { promptTokens: 900, completionTokens: 20 }, cost: 0.002, ms: 5 }),
    ] as MoltEvent[]) {
      applyEvent(view, event);
    }
    return view;
  }
  const statusProps = (plain: boolean, theme = DARK) => ({ view: liveView(), theme, plain, now: clock + 5000, state: "thinking", keys: "t tools · p pause" });

  test("the status bar: a rule above it normally, no box-drawing characters in screen-reader mode", () => {
    const boxed = show(h(StatusBar, statusProps(false)));
    expect(boxed.lastFrame()).toMatch(BOX);
    const plain = show(h(StatusBar, statusProps(true)));
    const frame = text(plain.lastFrame());
    expect(frame).not.toMatch(BOX);
    expect(frame).toContain("molt calc, add() subtracts instead of adding");
    expect(frame).toContain("Step 1/25, 900 in, 20 out, $0.0020 of $3.00");
    expect(frame).toContain("thinking");
  });

  test("no box-drawing characters anywhere in screen-reader mode", () => {
    const frames = [
      show(h(StepBlock, { step: step({ command: "ls", output: { text: numbered(20), tail: "", elidedChars: 1234 }, exitCode: 0, ms: 5 }), theme: DARK, plain: true })).lastFrame(),
      show(h(ToolsPanel, { tools: tools(), selected: 0, theme: DARK, plain: true })).lastFrame(),
      show(h(StatusBar, statusProps(true))).lastFrame(),
      show(h(ConfirmPrompt, { command: "rm -rf build", mode: "choose", draft: "", theme: DARK, plain: true, onDraft: () => undefined, onSubmit: () => undefined })).lastFrame(),
    ];
    for (const frame of frames) expect(text(frame)).not.toMatch(BOX);
    expect(text(frames.at(-1))).toContain("$ rm -rf build");
  });

  test("NO_COLOR: not one colour code, in any piece; the dark theme colours each of them", () => {
    const pieces = (theme: typeof DARK) => [
      h(StepBlock, { step: step({ command: "npm test", output: { text: "ok\n", tail: "", elidedChars: 0 }, exitCode: 1, ms: 5, timedOut: true, notes: [{ kind: "tool-rejected", text: "tool x v1 rejected" }] }), theme, plain: false }),
      h(ToolsPanel, { tools: tools(), selected: 0, theme, plain: false }),
      h(FinalView, { view: finishedView(), theme, rows: 60, columns: 100 }),
      h(StatusBar, statusProps(false, theme)),
    ];
    for (const piece of pieces(NO_COLOR)) expect(colourCodes(show(piece).lastFrame())).toEqual([]);
    for (const piece of pieces(DARK)) expect(colourCodes(show(piece).lastFrame()).length).toBeGreaterThan(0);
  });

  test("NO_COLOR set to the empty string does not count; the light theme avoids yellow and cyan", () => {
    expect(themeFor("dark", { NO_COLOR: "" })).toEqual(DARK);
    const light = themeFor("light", {});
    const frame = show(h(StepBlock, { step: step({ command: "ls", notes: [{ kind: "note", text: "limit hit" }] }), theme: light, plain: false })).lastFrame();
    expect(colourCodes(frame).length).toBeGreaterThan(0);
    // 33 is yellow, 36 cyan: both wash out on a white background.
    expect(colourCodes(frame).join("")).not.toMatch(/\[(33|36)m/);
  });
});

// The App, with a real LiveStore fed events as the agent would, and keys typed on its stdin.

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

function app(options: { confirm?: boolean; plain?: boolean } = {}) {
  const drawn: StepView[] = [];
  const interrupts = { count: 0 };
  const store = new LiveStore({
    confirm: options.confirm ?? false,
    onInterrupt: () => interrupts.count++,
    draw: (finished) => {
      drawn.push(structuredClone(finished));
      return `[step ${finished.step} drawn]`;
    },
  });
  const instance = show(h(App, { store, theme: DARK, plain: options.plain ?? false }));
  /** The live region as the user reads it; the status bar may wrap a long state onto the next line, so whitespace is folded. */
  const frame = () => text(instance.lastFrame());
  const flat = () => frame().replace(/\s+/g, " ");
  /** Types keys, then waits for the redraw they cause (ink throttles redraws), or a while when they cause none. */
  const press = async (keys: string) => {
    const before = instance.frames.length;
    instance.stdin.write(keys);
    const deadline = Date.now() + 300;
    while (instance.frames.length === before && Date.now() < deadline) await tick(5);
    await tick(60);
  };
  /** Every write to the terminal so far, escape codes removed: what the scrollback received. */
  const written = () => instance.frames.map(text).join("\n");
  return { store, instance, frame, flat, press, drawn, interrupts, written };
}

const ESC = "\u001b";
const DOWN = "\u001b[B";
const UP = "\u001b[A";

function startStep(store: LiveStore, stepNumber: number, thought = `thought ${stepNumber}`): void {
  store.apply(ev("model_request", { step: stepNumber, messages: 2 * stepNumber }));
  store.apply(ev("model_response", { step: stepNumber, content: thought, toolCalls: [], usage: { promptTokens: 100, completionTokens: 10 }, cost: 0, ms: 5 }));
}

describe("App", () => {
  test("the step in progress and the status show; finished steps are drawn once for the scrollback and leave the live region", async () => {
    const { store, frame, drawn, written } = app();
    store.apply(runStarted());
    store.apply(ev("setup_finished", { command: "npm ci", exitCode: 0, ms: 1234, output: "", outputTail: "", elidedChars: 0, timedOut: false }));
    startStep(store, 1, "Look around.");
    store.apply(ev("command_started", { step: 1, call: 0, command: "ls -la" }));
    await until("the running command", () => frame().includes("$ ls -la"));
    expect(frame()).toMatch(/running · \d/);
    expect(frame()).toContain("molt calc · add() subtracts instead of adding");
    expect(frame()).toMatch(/Step 1\/25 · 100 in, 10 out · \$0\.0000 of \$3\.00 · .* · running/);
    store.apply(ev("command_finished", { step: 1, call: 0, exitCode: 0, ms: 5, output: "calc.js\n", outputTail: "", elidedChars: 0, timedOut: false, notes: [] }));
    startStep(store, 2, "Fix it.");
    await until("step 2", () => frame().includes("● 2 Fix it."));
    expect(drawn.map((s) => [s.step, s.command, s.output?.text])).toEqual([[1, "ls -la", "calc.js\n"]]);
    // Step 1 went to the terminal above the live region, as drawn (on the next redraw), and is no longer part of the live region.
    await until("step 1 in the scrollback", () => written().includes("[step 1 drawn]"));
    // The setup is a line of its own, before step 1.
    expect(written()).toContain("setup  $ npm ci  → exit 0 · 1.2 s");
    expect(frame()).not.toContain("$ ls -la");
    expect(frame()).not.toContain("Look around.");
  });

  test("streamed text appears in the live step", async () => {
    const { store, frame } = app();
    store.apply(runStarted());
    store.apply(ev("model_request", { step: 1, messages: 2 }));
    store.apply(ev("model_delta", { step: 1, text: "Let me " }));
    store.apply(ev("model_delta", { step: 1, text: "read calc.js" }));
    await until("the streamed text", () => frame().includes("● 1 Let me read calc.js"));
  });

  test("t opens the tools panel, ↓ and ↑ choose a tool, t closes it", async () => {
    const { store, frame, press } = app();
    store.apply(runStarted());
    store.apply(ev("tool_library", { dir: "/lib", fresh: false, tools: [{ name: "edit_file", version: 2, source: "// edit_file source\n" }] }));
    startStep(store, 1);
    store.apply(ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "a", source: "// count_words source\n" }));
    store.apply(ev("tool_loaded", { step: 1, name: "count_words", version: 1, ms: 10, usage: "count_words" }));
    await tick();
    expect(frame()).not.toContain("Tools (2)");
    await press("t");
    expect(frame()).toContain("Tools (2)");
    expect(frame()).toMatch(/▸ edit_file\s+v2\s+loaded/);
    expect(frame()).toContain("// edit_file source");
    await press(DOWN);
    expect(frame()).toMatch(/▸ count_words\s+v1\s+loaded/);
    expect(frame()).toContain("// count_words source");
    expect(frame()).not.toContain("// edit_file source");
    await press(UP);
    expect(frame()).toContain("// edit_file source");
    await press("t");
    expect(frame()).not.toContain("Tools (2)");
  });

  test("after a command that wrote a tool, the step says molt is checking the tool, not that the command still runs", async () => {
    const { store, flat } = app();
    store.apply(runStarted());
    startStep(store, 1);
    store.apply(ev("command_started", { step: 1, call: 0, command: "cat > $MOLT_EVOLVED/count_words.ts" }));
    await until("the running step", () => flat().includes("running ·"));
    store.apply(ev("tool_written", { step: 1, name: "count_words", version: 2, kind: "tool", sha: "b2", source: "export default 1;" }));
    await until("the check", () => flat().includes("checking the tool count_words v2 ·"));
    expect(flat()).not.toContain("running ·");
  });

  test("p pauses after the current step: the next step waits until p again", async () => {
    const { store, frame, flat, press } = app();
    store.apply(runStarted());
    startStep(store, 1);
    store.apply(ev("command_started", { step: 1, call: 0, command: "sleep 5" }));
    await press("p");
    expect(flat()).toContain("pausing after this step (p resumes)");
    store.apply(ev("command_finished", { step: 1, call: 0, exitCode: 0, ms: 5000, output: "", outputTail: "", elidedChars: 0, timedOut: false, notes: [] }));
    await until("the paused state", () => flat().includes("· paused (p resumes)"));
    // Paused, nothing is in progress: no spinner turns.
    expect(frame()).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    let started = false;
    const gate = store.beforeStep().then(() => (started = true));
    await tick(100);
    expect(started).toBe(false);
    await press("p");
    await gate;
    expect(started).toBe(true);
    await until("the pause to end", () => !frame().includes("paused"));
  });

  test("--confirm: the prompt waits for y, and y runs the command as proposed", async () => {
    const { store, frame, press } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    let decided: CommandDecision | undefined;
    const decision = store.confirm(1, "rm -rf build").then((value) => (decided = value));
    await until("the prompt", () => frame().includes("The agent wants to run:"));
    expect(frame()).toContain("$ rm -rf build");
    expect(frame()).toContain("y run it · n refuse it and tell the agent why · e edit it first");
    expect(frame()).toContain("waiting for you");
    // Nothing is in progress while the user decides: no spinner anywhere.
    expect(frame()).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    // Keys that mean something else leave the decision open; t opens the tools panel, as the footer says.
    await press("x");
    await press("t");
    await until("the tools panel", () => frame().includes("No tools yet. t closes this panel."));
    await press("t");
    await tick(50);
    expect(decided).toBeUndefined();
    await press("y");
    await decision;
    expect(decided).toEqual({ kind: "run", command: "rm -rf build" });
    await until("the prompt to go", () => !frame().includes("The agent wants to run:"));
  });

  test("--confirm: n, a message and Enter refuse the command with that message", async () => {
    const { store, frame, press } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    const decision = store.confirm(1, "git push --force");
    await until("the prompt", () => frame().includes("$ git push --force"));
    await press("n");
    expect(frame()).toContain("Tell the agent why (Enter sends, Esc goes back)");
    // y typed now is part of the message, not a decision.
    await press("y");
    await press("ou may not push");
    expect(frame()).toContain("you may not push");
    await press("\r");
    expect(await decision).toEqual({ kind: "reject", message: "you may not push" });
    await until("the prompt to go", () => !frame().includes("Tell the agent why"));
  });

  test("--confirm: Esc goes back from the message to the choice", async () => {
    const { store, frame, press, interrupts } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    const decision = store.confirm(1, "make deploy");
    await until("the prompt", () => frame().includes("$ make deploy"));
    await press("n");
    expect(frame()).toContain("Tell the agent why");
    await press(ESC);
    await until("the choice again", () => frame().includes("y run it"));
    expect(interrupts.count).toBe(0);
    await press("y");
    expect(await decision).toEqual({ kind: "run", command: "make deploy" });
  });

  test("--confirm: e edits the command before it runs", async () => {
    const { store, frame, press } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    const decision = store.confirm(1, "npm test");
    await until("the prompt", () => frame().includes("$ npm test"));
    await press("e");
    expect(frame()).toContain("Edit the command (Enter runs it, Esc goes back): npm test");
    await press(" -- --grep add");
    await press("\r");
    expect(await decision).toEqual({ kind: "run", command: "npm test -- --grep add" });
  });

  test("--confirm: e on a command of several lines edits it as lines: Enter adds a line, ↑ moves up, Ctrl-D runs it", async () => {
    const { store, frame, press } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    const heredoc = "cat > notes.txt <<'EOF'\nfirst line\nEOF";
    const decision = store.confirm(1, heredoc);
    await until("the prompt", () => frame().includes("first line"));
    await press("e");
    await until("the editor", () => frame().includes("Ctrl-D runs it"));
    // The cursor starts at the end; ↑ keeps its column, → goes on to the end of "first line".
    await press(UP);
    for (let i = 0; i < "st line".length; i++) await press("\u001b[C");
    await press("\r");
    await press("second line");
    await press("\u0004");
    const edited = await decision;
    expect(edited.kind).toBe("run");
    expect(edited.kind === "run" ? edited.command : "").toBe("cat > notes.txt <<'EOF'\nfirst line\nsecond line\nEOF");
  });

  test("Esc twice within a second stops the run (and answers a pending prompt); once does not", async () => {
    const { store, instance, frame, press, interrupts } = app({ confirm: true });
    store.apply(runStarted());
    startStep(store, 1);
    const decision = store.confirm(1, "sleep 1000");
    await until("the prompt", () => frame().includes("$ sleep 1000"));
    instance.stdin.write(ESC);
    await tick(100);
    expect(interrupts.count).toBe(0);
    expect(store.interrupted).toBe(false);
    await press(ESC);
    expect(interrupts.count).toBe(1);
    expect(await decision).toEqual({ kind: "stop" });
    await until("the stopping state", () => frame().includes("stopping"));
  });

  test("two Esc more than a second apart do not stop the run", async () => {
    const { store, press, interrupts } = app();
    store.apply(runStarted());
    startStep(store, 1);
    await press(ESC);
    await tick(1100);
    await press(ESC);
    expect(interrupts.count).toBe(0);
    // A third, soon after the second: now it is a double Esc.
    await press(ESC);
    expect(interrupts.count).toBe(1);
  });

  test("Ctrl-C stops the run cleanly; a second Ctrl-C forces the exit", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const { store, frame, press, interrupts } = app();
    store.apply(runStarted());
    startStep(store, 1);
    await press("\u0003");
    expect(interrupts.count).toBe(1);
    expect(exit).not.toHaveBeenCalled();
    await until("the stopping state", () => frame().includes("stopping"));
    await press("\u0003");
    expect(exit).toHaveBeenCalledWith(130);
  });

  test("the end: the final view, its last step drawn for the scrollback, and q leaves", async () => {
    const { store, frame, press, drawn } = app();
    store.apply(runStarted());
    startStep(store, 1);
    store.apply(ev("command_started", { step: 1, call: 0, command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" }));
    store.apply(ev("command_finished", { step: 1, call: 0, exitCode: 0, ms: 5, output: "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n", outputTail: "", elidedChars: 0, timedOut: false, notes: [] }));
    store.apply(finishedRun());
    await until("the final view", () => frame().includes("q or Enter: leave"));
    expect(frame()).toMatch(/^Submitted$/m);
    expect(frame()).toContain("+export const add = (a, b) => a + b;");
    expect(frame()).not.toContain("t tools · p pause");
    expect(drawn.map((s) => s.step)).toEqual([1]);
    let left = false;
    const leaving = store.whenDismissed().then(() => (left = true));
    await press("x");
    expect(left).toBe(false);
    await press("q");
    await leaving;
    expect(store.dismissed).toBe(true);
    await until("the live region to empty", () => frame().trim() === "");
  });

  test("Enter leaves the final view too", async () => {
    const { store, frame, press } = app();
    store.apply(runStarted());
    store.apply(finishedRun("LimitsExceeded", "the step limit of 1 was reached", ""));
    await until("the final view", () => frame().includes("LimitsExceeded: the step limit of 1 was reached"));
    await press("\r");
    await store.whenDismissed();
    expect(store.dismissed).toBe(true);
  });

  test("screen-reader mode: no spinner animation, words for the state", async () => {
    const { store, frame } = app({ plain: true });
    store.apply(runStarted());
    startStep(store, 1, "Look around.");
    await until("the step", () => frame().includes("Step 1. Look around. …"));
    const first = frame();
    await tick(300);
    expect(frame()).toBe(first);
    expect(frame()).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏●]/);
  });

  // The tools panel keeps working in the final view: ↑/↓ choose a tool there too.
  test("in the final view, ↓ chooses the next tool in the tools panel", async () => {
    const { store, frame, press } = app();
    store.apply(runStarted());
    store.apply(ev("tool_library", { dir: "/lib", fresh: false, tools: [{ name: "edit_file", version: 2, source: "// edit_file source\n" }] }));
    startStep(store, 1);
    store.apply(ev("tool_written", { step: 1, name: "count_words", version: 1, kind: "tool", sha: "a", source: "// count_words source\n" }));
    store.apply(ev("tool_loaded", { step: 1, name: "count_words", version: 1, ms: 10, usage: "count_words" }));
    store.apply(finishedRun());
    await until("the final view", () => frame().includes("q or Enter: leave"));
    await press("t");
    expect(frame()).toContain("Tools (2) · ↑/↓ choose · t close");
    expect(frame()).toContain("// edit_file source");
    await press(DOWN);
    expect(frame()).toMatch(/▸ count_words/);
    expect(frame()).toContain("// count_words source");
  });
});
