import { stripVTControlCharacters } from "node:util";
import { render } from "ink-testing-library";
import { createElement as h } from "react";
import { afterEach, describe, expect, test } from "vitest";
import type { InstanceSummary } from "../../bin/runtime/batch/batch-files.ts";
import { EventBus } from "../../core/events/event-bus.ts";
import type { MoltEvent } from "../../core/events/events.ts";
import type { BatchEvent } from "../../bin/runtime/batch/batch-events.ts";
import { BatchApp } from "../../bin/ui/batch/batch-app.ts";
import { BatchStore } from "../../bin/ui/batch/batch-store.ts";
import { finishedLine } from "../../bin/ui/batch/finished-line.ts";
import { themeFor } from "../../bin/ui/live/theme.ts";

// The batch's live view, fed progress events as the runner emits them, on a clock of the test's own.

const PLAIN = themeFor("dark", { NO_COLOR: "1" });
const mounted: { unmount(): void }[] = [];
afterEach(() => {
  for (const instance of mounted.splice(0)) instance.unmount();
});

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

function summary(id: string, exit_status: InstanceSummary["exit_status"], ms: number, cost = 0.01): InstanceSummary {
  return { instance_id: id, exit_status, reason: exit_status === "Submitted" ? "" : "step limit reached", steps: 4, cost, prompt_tokens: 1000, cached_tokens: 0, ms, tools_created: [], tools_used: {}, kept_tools_used: [], ignored_paths_in_patch: [], patch_notes: [], run_dir: `/out/${id}` };
}

function setUp() {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const bus = new EventBus<BatchEvent>();
  const store = new BatchStore({ draw: (entry, done, toRun) => finishedLine(entry, done, toRun, PLAIN, false), now: clock.now });
  bus.subscribe(store);
  /** As the batch runner emits them; an instance's run events arrive as its worker sends them. */
  const progress = {
    emit: (type: string, fields: object) => bus.emit({ type, ...fields } as Parameters<typeof bus.emit>[0]),
    run: (id: string, worker: number, event: Partial<MoltEvent>) => bus.emit({ type: "instance_event", id, worker, event: { ts: 0, ...event } as MoltEvent }),
  };
  const interrupts: boolean[] = [];
  const instance = render(h(BatchApp, { store, theme: PLAIN, onInterrupt: (force) => interrupts.push(force), now: clock.now }));
  mounted.push(instance);
  const frame = async () => {
    store.changed();
    await tick();
    return stripVTControlCharacters(instance.lastFrame() ?? "");
  };
  /** Everything written so far: the finished lines are written once, above the live region. */
  const written = () => stripVTControlCharacters(instance.frames.join("\n"));
  return { clock, progress, store, instance, frame, written, interrupts };
}

describe("the batch live view", () => {
  test("a line per worker with its instance, step and command; done, statuses, cost, elapsed and time left", async () => {
    const { clock, progress, frame, written } = setUp();
    expect(await frame()).toContain("molt batch · preparing");

    progress.emit("batch_started", { total: 6, skipped: 1, toRun: 5, workers: 2 });
    progress.emit("instance_started", { id: "acme__a-1", worker: 1 });
    progress.emit("instance_started", { id: "acme__b-2", worker: 2 });
    progress.run("acme__a-1", 1, { type: "model_request", step: 1, messages: 2 });
    progress.run("acme__a-1", 1, { type: "model_response", step: 1, content: "", toolCalls: [], usage: { promptTokens: 1, completionTokens: 1 }, cost: 0.002, ms: 5 });
    clock.advance(3000);
    progress.run("acme__b-2", 2, { type: "model_request", step: 3, messages: 6 });
    progress.run("acme__b-2", 2, { type: "model_response", step: 3, content: "", toolCalls: [], usage: { promptTokens: 1, completionTokens: 1 }, cost: 0.005, ms: 5 });
    progress.run("acme__b-2", 2, { type: "command_started", step: 3, call: 0, command: "sed -i 's/a - b/a + b/' calc.js\necho more" });
    // An event of an instance the worker no longer runs changes nothing.
    progress.run("acme__z-9", 2, { type: "command_started", step: 9, call: 0, command: "rm -rf /" });
    let shown = await frame();
    expect(shown).toMatch(/^ 1 {2}acme__a-1 {2}3\.0 s {2}step 1 {2}thinking$/m);
    expect(shown).toMatch(/^ 2 {2}acme__b-2 {2}3\.0 s {2}step 3 {2}sed -i 's\/a - b\/a \+ b\/' calc\.js …$/m);
    // No time left is guessed before an instance has finished.
    expect(shown).toMatch(/^molt batch · done 0\/5 \(1 finished earlier\) · \$0\.0070 · 3\.0 s$/m);

    clock.advance(7000);
    progress.emit("instance_finished", { worker: 1, done: 1, toRun: 5, summary: summary("acme__a-1", "Submitted", 10_000) });
    shown = await frame();
    expect(shown).toMatch(/^ 1 {2}idle$/m);
    expect(written()).toContain("[1/5] ✓ acme__a-1  Submitted  4 steps  $0.0100  10.0 s\n");

    clock.advance(1000);
    progress.emit("instance_started", { id: "acme__c-3", worker: 1 });
    progress.emit("instance_finished", { worker: 2, done: 2, toRun: 5, summary: summary("acme__b-2", "LimitsExceeded", 11_000, 0.02) });
    progress.emit("instance_started", { id: "acme__d-4", worker: 2 });
    clock.advance(4000);
    shown = await frame();
    expect(written()).toContain("[2/5] ✗ acme__b-2  LimitsExceeded  4 steps  $0.0200  11.0 s  step limit reached\n");
    expect(written().match(/\[1\/5\]/g)).toHaveLength(1);
    expect(shown).toMatch(/^ 1 {2}acme__c-3 {2}4\.0 s {2}starting$/m);
    // Mean 10.5 s; c-3 and d-4 need 6.5 s more each and one is queued: (6.5 + 6.5 + 10.5) / 2 workers.
    expect(shown).toMatch(/^molt batch · done 2\/5 \(1 finished earlier\) · Submitted 1 · LimitsExceeded 1 · \$0\.0300 · 15\.0 s ·\s+about 11\.8 s left$/m);
    expect(shown).toContain("Ctrl-C: stop (finished instances are kept)");

    progress.emit("batch_finished", { ran: 2, skipped: 1, finished: 3, unfinished: 3, instances: [] });
    expect((await frame()).trim()).toBe("");
  });

  test("Ctrl-C stops the batch once, and a second forces the exit", async () => {
    const { progress, instance, frame, interrupts } = setUp();
    progress.emit("batch_started", { total: 1, skipped: 0, toRun: 1, workers: 1 });
    await frame();
    instance.stdin.write("\u0003");
    expect(await frame()).toContain("stopping: the running instances end cleanly (Ctrl-C again: force)");
    instance.stdin.write("\u0003");
    await tick();
    expect(interrupts).toEqual([false, true]);
  });

  test("colours by theme, none under NO_COLOR", () => {
    const entry = summary("acme__a-1", "Submitted", 1200);
    expect(finishedLine(entry, 1, 2, PLAIN, false)).toBe("[1/2] ✓ acme__a-1  Submitted  4 steps  $0.0100  1.2 s");
    expect(finishedLine(entry, 1, 2, themeFor("dark", {}), false)).toContain("\u001b[32mSubmitted");
    expect(finishedLine({ ...entry, exit_status: "Interrupted" }, 1, 2, themeFor("light", {}), false)).toContain("\u001b[35mInterrupted");
  });
});
