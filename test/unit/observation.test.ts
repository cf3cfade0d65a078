import { describe, expect, test } from "vitest";
import { loadConfiguration } from "../../core/config/configuration.ts";
import type { CommandResult } from "../../core/environment.ts";
import { observedOutput, withNotes } from "../../core/observation.ts";
import { Prompts } from "../../core/prompts.ts";

// What the agent reads after a command, through molt's own observation template.

const prompts = new Prompts(loadConfiguration([]).agent, "tools", {});
const counters = { n_model_calls: 1, model_cost: 0, elapsed_seconds: 0 };

function result(overrides: Partial<CommandResult>): CommandResult {
  return { exitCode: 0, output: "", outputTail: "", elidedChars: 0, timedOut: false, ms: 12, ...overrides };
}

function render(overrides: Partial<CommandResult>, command = "make", timeoutSec = 60): string {
  const given = result(overrides);
  const { output, elided } = observedOutput(given, command, timeoutSec);
  return withNotes(prompts.observation(output, "the issue", counters, elided), given.notes);
}

describe("molt's observation", () => {
  test("shows the exit code and the whole output", () => {
    expect(render({ exitCode: 2, output: "ls: cannot access 'nope': No such file or directory\n" })).toBe(
      "<returncode>2</returncode>\n<output>\nls: cannot access 'nope': No such file or directory\n</output>",
    );
  });

  test("a zero exit code with empty output still shows both", () => {
    expect(render({ exitCode: 0, output: "" })).toBe("<returncode>0</returncode>\n<output>\n</output>");
  });

  test("a truncated result shows the head, the elided count, the tail and a warning with the whole length", () => {
    const head = "HEAD-START " + "h".repeat(4989);
    const tail = "t".repeat(4991) + " TAIL-END";
    const text = render({ output: head, outputTail: tail, elidedChars: 123_456 });
    expect(text).toContain(`<output_head>\n${head}\n</output_head>`);
    expect(text).toContain(`<output_tail>\n${tail}\n</output_tail>`);
    expect(text).toContain("<elided_chars>\n123456 characters elided\n</elided_chars>");
    expect(text).toContain("The output was 133456 characters long");
    expect(text.indexOf("HEAD-START")).toBeLessThan(text.indexOf("characters elided"));
    expect(text.indexOf("characters elided")).toBeLessThan(text.indexOf("TAIL-END"));
  });

  test("a timed-out result says so, with return code -1 as mini-SWE-agent reports it", () => {
    const text = render({ exitCode: 137, output: "waiting...\n", timedOut: true }, "sleep 100", 45);
    expect(text).toContain("<returncode>-1</returncode>");
    expect(text).toContain("Command 'sleep 100' timed out after 45 seconds");
    expect(text).toContain("waiting...");
  });

  test("a result that did not time out does not claim it did", () => {
    expect(render({ exitCode: 1, output: "boom\n" })).not.toMatch(/timed out/i);
  });

  test("notes come after the observation, in order, and after the tail of a truncated result", () => {
    const notes = ["<tool_verdict>find_symbol loaded</tool_verdict>", "Reminder: would a tool help here?"];
    expect(render({ output: "ok\n", notes })).toBe(`<returncode>0</returncode>\n<output>\nok\n</output>\n${notes.join("\n")}`);
    const text = render({ output: "H".repeat(5000), outputTail: "TAIL".repeat(1250), elidedChars: 5, notes: ["NOTE"] });
    expect(text.endsWith("</output_tail>\nNOTE")).toBe(true);
  });
});

describe("observedOutput", () => {
  test("an elided output reads, for templates, as long as the whole: its length counts the elided characters", () => {
    const { output, elided } = observedOutput(result({ output: "a".repeat(5000), outputTail: "b".repeat(5000), elidedChars: 20_000 }), "cat big", 60);
    expect(output.output).toHaveLength(10_000);
    expect(elided).toEqual([{ text: output.output, head: 5000, elided: 20_000 }]);
  });
});
