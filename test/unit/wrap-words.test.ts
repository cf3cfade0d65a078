import { expect, test } from "vitest";
import { stepText } from "../../bin/ui/live/step-block.ts";
import { themeFor } from "../../bin/ui/live/theme.ts";
import { wrapAtWords } from "../../bin/ui/live/wrap-words.ts";

const DARK = themeFor("dark", {});
const THOUGHT = "I will read the implementation of add in calc.js and compare it with the issue, because the sign looks wrong.";

test("a wrapped thought lines up under its text, not under the step's marker", () => {
  const lines = wrapAtWords(`● 12 ${THOUGHT}`, 40).split("\n");
  expect(lines[0]).toMatch(/^● 12 I will/);
  for (const line of lines.slice(1)) expect(line).toMatch(/^ {5}\S/);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
  expect(lines.map((line) => line.trim()).join(" ").replace("● 12 ", "")).toBe(THOUGHT);
});

test("a wrapped command lines up under the command, an indented output line under itself", () => {
  expect(wrapAtWords("  $ grep -rn 'a very long pattern to look for' src tests docs examples", 40).split("\n").slice(1)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^ {4}\S/)]),
  );
  const output = wrapAtWords("    output words that go on and on past the end of the terminal's width", 30).split("\n");
  for (const line of output) expect(line).toMatch(/^ {4}\S/);
});

test("the agent's thought is drawn at full strength; its reasoning and hints are the dim lines", () => {
  const text = stepText({ step: 1, thought: "Read calc.js.", reasoning: "Thinking it over.", earlier: [], notes: [] }, DARK, false, 80);
  const dimmed = (line: string) => line.includes("\u001b[2m");
  const lines = text.split("\n");
  expect(dimmed(lines.find((line) => line.includes("Read calc.js."))!)).toBe(false);
  expect(dimmed(lines.find((line) => line.includes("Thinking it over."))!)).toBe(true);
});
