import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseTestOutput, verdictFor, type TestResults } from "../../core/test-results/index.ts";

const verdicts = (results: TestResults) => Object.fromEntries([...results.values()].map((result) => [result.name, result.status]));

// Samples: the output of each runner on a small suite with a passing, a failing, a nested and a skipped test.

const NODE_SPEC = `▶ math
  ✔ adds (1.226505ms)
  ✖ subtracts (0.897579ms)
  ▶ inner
    ✔ deep one (1.144773ms)
  ✔ inner (1.478728ms)
  ﹣ later (0.189517ms) # SKIP
  ⚠ wip (0.33603ms) # TODO
✖ math (6.022581ms)
✔ top level (0.182029ms)
ℹ tests 6
ℹ suites 2
ℹ pass 3
ℹ fail 1

✖ failing tests:

test at a.test.mjs:5:3
✖ subtracts (0.897579ms)
  AssertionError [ERR_ASSERTION]: 0 == 2
`;

const NODE_TAP = `TAP version 13
# Subtest: math
    # Subtest: adds
    ok 1 - adds
      ---
      duration_ms: 0.721185
      type: 'test'
      ...
    # Subtest: subtracts
    not ok 2 - subtracts
      ---
      duration_ms: 0.912664
      error: '0 == 2'
      stack: |-
        ok 7 - this is inside the YAML block
      ...
    # Subtest: inner
        # Subtest: deep one
        ok 1 - deep one
          ---
          duration_ms: 1.017133
          ...
        1..1
    ok 3 - inner
    # Subtest: later
    ok 4 - later # SKIP
    # Subtest: wip
    not ok 5 - wip # TODO
    1..5
not ok 1 - math
# Subtest: top \\# hash
ok 2 - top \\# hash
1..2
# tests 6
`;

const MOCHA = `

  Calculator
    add
      ✔ adds two numbers
      ✔ adds slowly (105ms)
      1) handles negatives
    - multiplies later
  2) works at the top


  2 passing (120ms)
  1 pending
  2 failing

  1) Calculator
       add
         handles negatives:
     AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:
      ✔ not a test: part of the failure details
`;

const JEST = `PASS src/mul.test.js
  mul
    ✓ multiplies (2 ms)
FAIL src/add.test.js
  add
    ✓ adds positives (3 ms)
    ✕ adds negatives (4 ms)
    ○ skipped adds strings
    ✎ todo adds dates
  ✓ loads (1 ms)

  ● add › adds negatives

    expect(received).toBe(expected) // Object.is equality

    Expected: -3
    Received: 1

      ✓ looks like a test but sits in the details

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 1 skipped, 1 todo, 3 passed, 6 total
`;

const VITEST_TREE = `
 RUN  v5.1.1 /tmp/samp/v

 ❯ b.test.mjs (5 tests | 1 failed | 1 skipped) 10ms
   ❯ math (4)
     ✓ adds 2ms
     × subtracts 5ms
     ✓ inner (1)
       ✓ deep one 0ms
     ↓ later
   ✓ top level 0ms
 ✓ c.test.mjs (1 test) 2ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  b.test.mjs > math > subtracts
AssertionError: expected +0 to be 2 // Object.is equality

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | 4 passed | 1 skipped (6)
`;

const VITEST_VERBOSE = `
\u001b[1m\u001b[30m\u001b[46m RUN \u001b[49m\u001b[39m\u001b[22m \u001b[36mv5.1.1 \u001b[39m\u001b[90m/tmp/samp/v\u001b[39m

 \u001b[32m✓\u001b[39m b.test.mjs\u001b[2m > \u001b[22mmath\u001b[2m > \u001b[22madds\u001b[32m 2\u001b[2mms\u001b[22m\u001b[39m
 × b.test.mjs > math > subtracts 6ms
   → expected +0 to be 2 // Object.is equality
 ✓ b.test.mjs > math > inner > deep one 0ms
 ↓ b.test.mjs > math > later
 ✓ b.test.mjs > top level 0ms
 ✓ c.test.mjs > other file 1ms

 Test Files  1 failed | 1 passed (2)
`;

const PYTEST_RA = `============================= test session starts ==============================
platform linux -- Python 3.11.7, pytest-9.0.3, pluggy-1.6.0
collected 8 items

tests/test_m.py .F..FsxE                                                 [100%]

=========================== short test summary info ============================
PASSED tests/test_m.py::test_add
PASSED tests/test_m.py::TestThing::test_one
PASSED tests/test_m.py::TestThing::test_p[1]
SKIPPED [1] tests/test_m.py:8: later
XFAIL tests/test_m.py::test_xf
ERROR tests/test_m.py::test_err - RuntimeError: x
FAILED tests/test_m.py::test_sub - assert (1 - 1) == 2
FAILED tests/test_m.py::TestThing::test_p[a b] - AssertionError: assert 'a b'...
========== 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 error in 0.64s ==========
`;

const PYTEST_V = `============================= test session starts ==============================
collecting ... collected 8 items

tests/test_m.py::test_add PASSED                                         [ 12%]
tests/test_m.py::test_sub FAILED                                         [ 25%]
tests/test_m.py::TestThing::test_p[a b] FAILED                           [ 62%]
tests/test_m.py::test_skip SKIPPED (later)                               [ 75%]
tests/test_m.py::test_xf XFAIL                                           [ 87%]
`;

describe("per-test verdicts from each runner's output", () => {
  test("node's spec reporter, stopping before the list of failures", () => {
    const run = parseTestOutput(NODE_SPEC);
    expect(run.runners).toEqual(["node-spec"]);
    expect(verdicts(run.results)).toEqual({
      "math > adds": "passed",
      "math > subtracts": "failed",
      "math > inner > deep one": "passed",
      "math > inner": "passed",
      "math > later": "skipped",
      "math > wip": "skipped",
      math: "failed",
      "top level": "passed",
    });
  });

  test("TAP from node's tap reporter, YAML blocks skipped, directives honoured, escapes undone", () => {
    const run = parseTestOutput(NODE_TAP);
    expect(run.runners).toEqual(["tap"]);
    expect(verdicts(run.results)).toEqual({
      "math > adds": "passed",
      "math > subtracts": "failed",
      "math > inner > deep one": "passed",
      "math > inner": "passed",
      "math > later": "skipped",
      "math > wip": "skipped",
      math: "failed",
      "top # hash": "passed",
    });
  });

  test("mocha's spec reporter, stopping at the summary", () => {
    const run = parseTestOutput(MOCHA);
    expect(run.runners).toEqual(["mocha"]);
    expect(verdicts(run.results)).toEqual({
      "Calculator > add > adds two numbers": "passed",
      "Calculator > add > adds slowly": "passed",
      "Calculator > add > handles negatives": "failed",
      "Calculator > multiplies later": "skipped",
      "works at the top": "failed",
    });
  });

  test("jest, verbose, with the failure headers (under their file) and without the details", () => {
    const run = parseTestOutput(JEST);
    expect(run.runners).toEqual(["jest"]);
    expect(verdicts(run.results)).toEqual({
      "src/mul.test.js": "passed",
      "src/mul.test.js › mul › multiplies": "passed",
      "src/add.test.js": "failed",
      "src/add.test.js › add › adds positives": "passed",
      "src/add.test.js › add › adds negatives": "failed",
      "src/add.test.js › add › adds strings": "skipped",
      "src/add.test.js › add › adds dates": "skipped",
      "src/add.test.js › loads": "passed",
    });
  });

  test("vitest's default tree", () => {
    const run = parseTestOutput(VITEST_TREE);
    expect(run.runners).toEqual(["vitest"]);
    expect(verdicts(run.results)).toEqual({
      "b.test.mjs": "failed",
      "b.test.mjs > math": "failed",
      "b.test.mjs > math > adds": "passed",
      "b.test.mjs > math > subtracts": "failed",
      "b.test.mjs > math > inner": "passed",
      "b.test.mjs > math > inner > deep one": "passed",
      "b.test.mjs > math > later": "skipped",
      "b.test.mjs > top level": "passed",
      "c.test.mjs": "passed",
    });
  });

  test("vitest's verbose reporter, in colour", () => {
    const run = parseTestOutput(VITEST_VERBOSE);
    expect(run.runners).toEqual(["vitest"]);
    expect(verdicts(run.results)).toEqual({
      "b.test.mjs > math > adds": "passed",
      "b.test.mjs > math > subtracts": "failed",
      "b.test.mjs > math > inner > deep one": "passed",
      "b.test.mjs > math > later": "skipped",
      "b.test.mjs > top level": "passed",
      "c.test.mjs > other file": "passed",
    });
  });

  test("pytest -rA: node ids, parameters with spaces, XFAIL passed, ERROR failed", () => {
    const run = parseTestOutput(PYTEST_RA);
    expect(run.runners).toEqual(["pytest"]);
    expect(verdicts(run.results)).toEqual({
      "tests/test_m.py::test_add": "passed",
      "tests/test_m.py::TestThing::test_one": "passed",
      "tests/test_m.py::TestThing::test_p[1]": "passed",
      "tests/test_m.py::test_xf": "passed",
      "tests/test_m.py::test_err": "failed",
      "tests/test_m.py::test_sub": "failed",
      "tests/test_m.py::TestThing::test_p[a b]": "failed",
    });
  });

  test("pytest -v", () => {
    expect(verdicts(parseTestOutput(PYTEST_V).results)).toEqual({
      "tests/test_m.py::test_add": "passed",
      "tests/test_m.py::test_sub": "failed",
      "tests/test_m.py::TestThing::test_p[a b]": "failed",
      "tests/test_m.py::test_skip": "skipped",
      "tests/test_m.py::test_xf": "passed",
    });
  });

  test("output of no known runner names no tests", () => {
    expect(parseTestOutput("✔ looks like a test\nok 1 - so does this\nall good\n")).toEqual({ runners: [], results: new Map() });
  });
});

describe("finding a named test", () => {
  const results = parseTestOutput(NODE_SPEC).results;
  test.each([
    ["math > adds", "passed"],
    ["adds", "passed"],
    ["subtracts", "failed"],
    ["inner > deep one", "passed"],
    ["math inner deep one", "passed"],
    ["deep one", "passed"],
    ["later", "skipped"],
    ["ads", undefined],
    ["one", undefined],
  ])("%s", (name, status) => expect(verdictFor(name, results)).toBe(status));

  test("jest's › and pytest's :: are separators too; a title in two suites passes only if both passed", () => {
    const jest = parseTestOutput(JEST).results;
    expect(verdictFor("add › adds negatives", jest)).toBe("failed");
    expect(verdictFor("mul › multiplies", jest)).toBe("passed");
    const pytest = parseTestOutput(PYTEST_RA).results;
    expect(verdictFor("tests/test_m.py::TestThing::test_one", pytest)).toBe("passed");
    expect(verdictFor("TestThing::test_one", pytest)).toBe("passed");
    const twice = parseTestOutput("▶ a\n  ✔ same (1ms)\n▶ b\n  ✖ same (1ms)\nℹ tests 2\n").results;
    expect(verdictFor("same", twice)).toBe("failed");
  });
});

describe("the real runners on this machine", () => {
  const dir = mkdtempSync(join(tmpdir(), "molt-runners-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "a.test.mjs"),
    `import { test, describe } from "node:test";
import assert from "node:assert";
describe("math", () => {
  test("adds", () => assert.equal(1 + 1, 2));
  test("subtracts", () => assert.equal(1 - 1, 2));
  test("later", { skip: true }, () => {});
});
test("top # level", () => {});
`,
  );
  const expected = { "math > adds": "passed", "math > subtracts": "failed", "math > later": "skipped", math: "failed", "top # level": "passed" };

  test.each(["spec", "tap"])("node --test --test-reporter=%s", (reporter) => {
    const run = spawnSync(process.execPath, ["--test", `--test-reporter=${reporter}`, "a.test.mjs"], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(run.status).toBe(1);
    expect(verdicts(parseTestOutput(run.stdout + run.stderr).results)).toEqual(expected);
  });

  const python = spawnSync("python3", ["-c", "import pytest"]).status === 0;
  test.skipIf(!python)("pytest -rA and -v", () => {
    mkdirSync(join(dir, "tests"));
    writeFileSync(join(dir, "tests", "test_m.py"), "import pytest\ndef test_add(): assert 1 + 1 == 2\ndef test_sub(): assert 1 - 1 == 2\nclass TestThing:\n    @pytest.mark.parametrize('x', [1, 'a b'])\n    def test_p(self, x): assert x == 1\n");
    const want = { "tests/test_m.py::test_add": "passed", "tests/test_m.py::test_sub": "failed", "tests/test_m.py::TestThing::test_p[1]": "passed", "tests/test_m.py::TestThing::test_p[a b]": "failed" };
    for (const flag of ["-rA", "-v"]) {
      const run = spawnSync("python3", ["-m", "pytest", flag, "-p", "no:cacheprovider", "tests"], { cwd: dir, encoding: "utf8" });
      expect(verdicts(parseTestOutput(run.stdout).results)).toEqual(want);
    }
  });
});
