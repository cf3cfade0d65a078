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

  test("the exit code decides when no test is named", () => {
    expect(grade({ FAIL_TO_PASS: [], PASS_TO_PASS: [] }, spec("✔ add adds (1ms)"), 0)).toMatchObject({ resolved: true, decidedBy: "exit code", verdictsFrom: { method: "exit code" } });
  });

  test("named tests with no per-test results in the output: no verdict, unless --exit-code-verdicts lets the exit code decide", () => {
    const crashed = parseTestOutput("Segmentation fault");
    expect(grade(named, crashed, 0)).toMatchObject({
      resolved: null,
      decidedBy: null,
      verdictsFrom: { method: "none", parsers: [], results: 0 },
      reason: "no test results: the output has no known test runner's output, so the named tests cannot be judged (the tests exited with 0; --exit-code-verdicts lets the exit code decide)",
    });
    expect(grade(named, crashed, 139, { exitCodeVerdicts: true })).toMatchObject({ resolved: false, decidedBy: "exit code", verdictsFrom: { method: "exit code" }, reason: "no per-test results in the output; the tests exited with 139" });
    expect(grade(named, crashed, 0, { exitCodeVerdicts: true })).toMatchObject({ resolved: true, decidedBy: "exit code" });
  });

  test("SWE-bench's tests_status, each named test's verdict and what it matched, and the names that stood for several tests", () => {
    const run = spec("▶ add\n  ✔ adds (1ms)\n✔ add (1ms)\n▶ sum\n  ✖ adds (1ms)\n✖ sum (1ms)\n✔ mul multiplies (1ms)\n﹣ later (1ms) # SKIP");
    const verdict = grade({ FAIL_TO_PASS: ["adds", "gone"], PASS_TO_PASS: ["mul multiplies", "later"] }, run, 1);
    expect(verdict.tests_status).toEqual({ FAIL_TO_PASS: { success: [], failure: ["adds", "gone"] }, PASS_TO_PASS: { success: ["mul multiplies"], failure: [] } });
    expect(verdict.namedTests.FAIL_TO_PASS).toEqual([
      { name: "adds", status: "failed", matched: ["add > adds", "sum > adds"] },
      { name: "gone", status: "missing", matched: [] },
    ]);
    expect(verdict.namedTests.PASS_TO_PASS[1]).toEqual({ name: "later", status: "skipped", matched: ["later"] });
    expect(verdict.ambiguous).toEqual([{ name: "adds", list: "FAIL_TO_PASS", matched: ["add > adds", "sum > adds"], took: "sum > adds", status: "failed" }]);
    expect(verdict.verdictsFrom).toEqual({ method: "parser", parsers: ["node-spec"], results: 6, why: "node-spec output reporting 6 tests" });
  });
});
