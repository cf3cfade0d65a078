import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { findTest, parseTestOutput } from "../../core/test-results/index.ts";

// The benchmark harnesses publish the log parsers that named the tests of their data sets. For the
// same real logs (test/fixtures/test-output, captured by generate.sh), each table below writes
// down the verdict the harness's published parser gives each name it produces — worked out by
// reading that parser — and molt must agree: "passed" where the harness counts a success (PASSED,
// XFAIL / PASS), "failed" where it counts a failure, "skipped", and undefined where the harness
// would not have the name at all (so it is missing for molt too).

const parsed = (file: string) => parseTestOutput(readFileSync(new URL(`../fixtures/test-output/${file}`, import.meta.url), "utf8")).results;
const agree = (file: string, expected: [string, string | undefined][]) => {
  const results = parsed(file);
  for (const [name, status] of expected) expect([name, findTest(name, results)?.status]).toEqual([name, status]);
};

describe("SWE-bench (swebench/harness/log_parsers)", () => {
  test("parse_log_pytest on pytest -rA: node ids; FAILED keeps the first word, so test_p[a b] is test_p[a; XFAIL passes, ERROR fails", () => {
    agree("pytest-9-rA.txt", [
      ["tests/test_calc.py::test_add", "passed"],
      ["tests/test_other.py::test_add", "passed"],
      ["tests/test_calc.py::TestThing::test_p[1]", "passed"],
      ["tests/test_calc.py::TestThing::test_p[a", "failed"],
      ["tests/test_calc.py::TestThing::test_p[p::q]", "failed"],
      ["tests/test_calc.py::test_sub", "failed"],
      ["tests/test_calc.py::test_err", "failed"],
      ["tests/test_calc.py::test_xf", "passed"],
      // `SKIPPED [1] tests/test_calc.py:18: later` names no test.
      ["tests/test_calc.py::test_later", undefined],
    ]);
  });

  test("parse_log_pytest_options (requests, pylint, pydicom): a parameter that is an absolute path is named by its last part", () => {
    const results = parseTestOutput("PASSED tests/test_io.py::test_read[/data/files/a.txt]\nFAILED tests/test_io.py::test_read[//host/b.txt] - x\n").results;
    expect(findTest("tests/test_io.py::test_read[/a.txt]", results)?.status).toBe("passed");
    expect(findTest("tests/test_io.py::test_read[//host/b.txt]", results)?.status).toBe("failed");
    expect(findTest("tests/test_io.py::test_read[/b.txt]", results)).toBeUndefined();
  });

  test("parse_log_pytest on pytest-xdist -rA: the same ids", () => {
    agree("pytest-7-xdist-rA.txt", [
      ["tests/test_calc.py::test_add", "passed"],
      ["tests/test_calc.py::TestThing::test_p[a", "failed"],
      ["tests/test_calc.py::test_err", "failed"],
    ]);
  });

  test("parse_log_jest (--verbose): the bare title, its duration dropped", () => {
    agree("jest-29-chained.txt", [
      ["adds", "passed"],
      ["adds slowly", "passed"],
      ["subtracts", "failed"],
      ["later", "skipped"],
      ["top level", "passed"],
    ]);
  });

  test("parse_log_vitest (--reporter=verbose): the text after the mark, the file and suites included", () => {
    agree("vitest-5-verbose.txt", [
      ["calc.test.js > calc > add > adds", "passed"],
      ["calc.test.js > calc > subtracts", "failed"],
      ["calc.test.js > calc > later", "skipped"],
      ["other.test.js > other > adds", "passed"],
    ]);
  });

  test("parse_log_tap: the text after the number, `- ` and all; tape's assertions by their message", () => {
    agree("ava-6-tap.txt", [
      ["- adds", "passed"],
      ["- subtracts", "failed"],
    ]);
    agree("tape-5-tap.txt", [
      ["adds twice", "passed"],
      // Two assertions share the message; the harness keeps the last, a failure.
      ["should be strictly equal", "failed"],
    ]);
  });
});

describe("Multi-SWE-bench (multi_swe_bench/harness/repos)", () => {
  test("iamkun/dayjs: jest, FILE:TITLE with the describe blocks left out, and each file; every run of `npm test` read", () => {
    for (const file of ["jest-24-chained-coverage.txt", "jest-22-verbose.txt"]) {
      agree(file, [
        ["test/calc.test.js", "failed"],
        ["test/other.test.js", "passed"],
        ["test/other.test.js:adds", "passed"],
        ["test/calc.test.js:adds", "passed"],
        ["test/calc.test.js:adds slowly", "passed"],
        ["test/calc.test.js:top level", "passed"],
        ["test/calc.test.js:subtracts", "failed"],
      ]);
    }
  });

  test("expressjs/express: mocha's JSON reporter under npm's header, by fullTitle; failures win over passes", () => {
    agree("mocha-10-json-npm.txt", [
      ["calc add adds", "passed"],
      ["calc add adds slowly", "passed"],
      ["calc subtracts", "failed"],
      ["calc later", "skipped"],
      ["other adds", "passed"],
      ["top level", "passed"],
    ]);
    // mocha 3 writes a root test's fullTitle with a leading space.
    agree("mocha-3-json.txt", [
      [" top level", "passed"],
      ["calc subtracts", "failed"],
    ]);
  });

  test("expressjs/express (spec reporter instances): the bare title of `✔ title` and `1) title`", () => {
    agree("mocha-10-spec.txt", [
      ["adds slowly", "passed"],
      ["subtracts", "failed"],
      ["top level", "passed"],
      ["adds", "passed"],
    ]);
  });
});

describe("which test a name takes", () => {
  test("a full name wins over a title that other tests share; a shared title takes every test it names, a failure first", () => {
    const results = parsed("jest-24-verbose.txt");
    expect(findTest("test/calc.test.js › calc › add › adds", results)).toMatchObject({ status: "passed", rule: "name", matches: [{ name: "test/calc.test.js › calc › add › adds" }] });
    const shared = findTest("adds", results)!;
    expect(shared).toMatchObject({ status: "passed", rule: "title" });
    expect(shared.matches.map((match) => match.name)).toEqual(["test/calc.test.js › calc › add › adds", "test/other.test.js › other › adds"]);
    expect(shared.taken.name).toBe("test/calc.test.js › calc › add › adds");
  });

  test("the harness's name for a test is found even when another test has it as a title", () => {
    const results = parsed("mocha-10-json.txt");
    expect(findTest("other adds", results)).toMatchObject({ status: "passed", rule: "name", matches: [{ name: "other adds" }] });
    expect(findTest("adds", results)).toMatchObject({ status: "passed", rule: "title", matches: [{ name: "calc add adds" }, { name: "other adds" }] });
  });

  test("a title shared by a passing and a failing test: the failing one is taken", () => {
    const results = parseTestOutput("▶ a\n  ✔ same (1ms)\n✔ a (1ms)\n▶ b\n  ✖ same (1ms)\n✖ b (1ms)\nℹ tests 2\n").results;
    expect(findTest("same", results)).toMatchObject({ status: "failed", taken: { name: "b > same" } });
  });
});
