import { describe, expect, test } from "vitest";
import type { CommandResult } from "../../core/environment.ts";
import { renderObservation } from "../../core/observation.ts";

function result(overrides: Partial<CommandResult>): CommandResult {
  return { exitCode: 0, output: "", outputTail: "", elidedChars: 0, timedOut: false, ms: 12, ...overrides };
}

describe("renderObservation", () => {
  test("shows the exit code and the whole output", () => {
    const text = renderObservation(result({ exitCode: 2, output: "ls: cannot access 'nope': No such file or directory\n" }), 60);
    expect(text).toContain("<returncode>2</returncode>");
    expect(text).toContain("ls: cannot access 'nope': No such file or directory");
    expect(text).toMatch(/<output>[\s\S]*No such file or directory[\s\S]*<\/output>/);
    expect(text).not.toMatch(/warning/i);
  });

  test("a zero exit code with empty output still shows both", () => {
    const text = renderObservation(result({ exitCode: 0, output: "" }), 60);
    expect(text).toContain("<returncode>0</returncode>");
    expect(text).toMatch(/<output>\s*<\/output>/);
  });

  test("a truncated result shows the head, the elided count, the tail and a warning", () => {
    const head = "HEAD-START " + "h".repeat(4989);
    const tail = "t".repeat(4991) + " TAIL-END";
    const text = renderObservation(result({ exitCode: 0, output: head, outputTail: tail, elidedChars: 123_456 }), 60);
    expect(text).toContain("<returncode>0</returncode>");
    expect(text).toContain(head);
    expect(text).toContain(tail);
    expect(text).toMatch(/123,?456 characters elided/);
    expect(text).toMatch(/<warning>/);
    // The head comes before the count, the count before the tail.
    const headAt = text.indexOf("HEAD-START");
    const countAt = text.search(/123,?456 characters elided/);
    const tailAt = text.indexOf("TAIL-END");
    expect(headAt).toBeLessThan(countAt);
    expect(countAt).toBeLessThan(tailAt);
  });

  test("the warning of a truncated result states the full length", () => {
    const text = renderObservation(result({ output: "a".repeat(5000), outputTail: "b".repeat(5000), elidedChars: 20_000 }), 60);
    expect(text).toMatch(/30,?000 characters/);
  });

  test("a timed-out result says it timed out and after how many seconds", () => {
    const text = renderObservation(result({ exitCode: 137, output: "waiting...\n", timedOut: true }), 45);
    expect(text).toContain("<returncode>137</returncode>");
    expect(text).toMatch(/timed out/i);
    expect(text).toMatch(/\b45 ?s/);
    expect(text).toContain("waiting...");
  });

  test("a result that did not time out does not claim it did", () => {
    expect(renderObservation(result({ exitCode: 1, output: "boom\n" }), 45)).not.toMatch(/timed out/i);
  });

  test("notes are appended at the end, in order", () => {
    const notes = ["<tool_verdict>find_symbol loaded</tool_verdict>", "Reminder: would a tool help here?"];
    const text = renderObservation(result({ output: "ok\n", notes }), 60);
    expect(text.endsWith(notes[1]!)).toBe(true);
    const first = text.indexOf(notes[0]!);
    expect(first).toBeGreaterThan(text.indexOf("ok\n"));
    expect(first).toBeLessThan(text.indexOf(notes[1]!));
  });

  test("notes come after the tail of a truncated result", () => {
    const text = renderObservation(result({ output: "H".repeat(10), outputTail: "TAIL", elidedChars: 5, notes: ["NOTE"] }), 60);
    expect(text.endsWith("NOTE")).toBe(true);
    expect(text.indexOf("TAIL")).toBeLessThan(text.indexOf("NOTE"));
  });
});
