import { describe, expect, test } from "vitest";
import { grade } from "../../core/eval/grading.ts";
import { sequenceRatio } from "../../core/eval/sequence-ratio.ts";
import { sweRlReward } from "../../core/eval/swe-rl-reward.ts";
import { parseTestOutput } from "../../core/test-results/index.ts";

describe("sequenceRatio, as Python's difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()", () => {
  // Each value computed with CPython 3.11's difflib.
  test.each([
    ["abcd", "bcde", 0.75],
    ["", "", 1],
    ["abc", "", 0],
    ["same", "same", 1],
    ["private Thread currentThread;", "private volatile Thread currentThread;", 0.8656716417910447],
    ["qabxcd", "abycdf", 0.6666666666666666],
    ["é😀ab", "😀abé", 0.75],
  ])("%j vs %j", (a, b, ratio) => expect(sequenceRatio(a, b)).toBeCloseTo(ratio, 12));
});

const GOLD = `diff --git a/calc.js b/calc.js
--- a/calc.js
+++ b/calc.js
@@ -1,2 +1,2 @@
-export const add = (a, b) => a - b;
+export const add = (a, b) => a + b;
 export const mul = (a, b) => a * b;
`;

describe("SWE-RL's reward", () => {
  test("1 for the gold patch, whatever its headers; 0 for an empty one; −1 for a malformed one", () => {
    expect(sweRlReward(GOLD, GOLD)).toBe(1);
    expect(sweRlReward(GOLD.replace("diff --git a/calc.js b/calc.js\n", ""), GOLD)).toBe(1);
    expect(sweRlReward("", GOLD)).toBe(0);
    expect(sweRlReward("not a diff at all", GOLD)).toBe(-1);
    expect(sweRlReward("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\nzzz\n", GOLD)).toBe(-1);
  });

  test("averages over the files either side changed", () => {
    const other = GOLD.replaceAll("calc.js", "other.js");
    expect(sweRlReward(GOLD + other, GOLD)).toBe(0.5);
    const close = sweRlReward(GOLD.replace("a + b", "b + a"), GOLD);
    expect(close).toBeGreaterThan(0.9);
    expect(close).toBeLessThan(1);
  });
});

describe("grading an instance", () => {
  const spec = (lines: string) => parseTestOutput(`${lines}\nℹ tests 3\n`);
  const named = { FAIL_TO_PASS: ["add adds"], PASS_TO_PASS: ["mul multiplies"] };

  test("resolved when the named tests pass, whatever the exit code", () => {
    const verdict = grade(named, spec("✔ add adds (1ms)\n✔ mul multiplies (1ms)\n✖ clock is in UTC (1ms)"), 1);
    expect(verdict).toMatchObject({ resolved: true, decidedBy: "tests", missing: [], reason: "the named tests passed (the tests exited with 1)" });
  });

  test("a missing test fails; a skipped one counts neither way, as in SWE-bench", () => {
    expect(grade(named, spec("✔ mul multiplies (1ms)"), 0)).toMatchObject({ resolved: false, missing: ["add adds"], reason: "FAIL_TO_PASS failed: add adds (not in the output)" });
    expect(grade(named, spec("﹣ add adds (1ms) # SKIP\n✔ mul multiplies (1ms)"), 0)).toMatchObject({ resolved: true, tests: { FAIL_TO_PASS: { skipped: ["add adds"] } } });
    expect(grade(named, spec("✔ add adds (1ms)\n✖ mul multiplies (1ms)"), 1).reason).toBe("PASS_TO_PASS failed: mul multiplies");
  });

  test("the exit code decides when no test is named or the output names none", () => {
    expect(grade({ FAIL_TO_PASS: [], PASS_TO_PASS: [] }, spec("✔ add adds (1ms)"), 0)).toMatchObject({ resolved: true, decidedBy: "exit code" });
    expect(grade(named, parseTestOutput("Segmentation fault"), 139)).toMatchObject({ resolved: false, decidedBy: "exit code", reason: "no per-test results in the output; the tests exited with 139" });
  });
});
