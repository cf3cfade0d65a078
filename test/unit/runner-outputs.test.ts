import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseTestOutput, type TestResults } from "../../core/test-results/index.ts";

// Each output was captured from the real runner by test/fixtures/test-output/generate.sh, running
// the suites in test/fixtures/test-output/sources/. Every suite has a test that fails (sub() is off
// by one), one that is skipped, nested suites, and a title used twice.

const output = (file: string) => readFileSync(new URL(`../fixtures/test-output/${file}`, import.meta.url), "utf8");
const verdicts = (results: TestResults) => Object.fromEntries([...results.values()].map((result) => [result.name, result.status]));
const parsed = (file: string) => parseTestOutput(output(file));

const JEST_CALC = {
  "test/calc.test.js": "failed",
  "test/calc.test.js › top level": "passed",
  "test/calc.test.js › calc › subtracts": "failed",
  "test/calc.test.js › calc › later": "skipped",
  "test/calc.test.js › calc › add › adds": "passed",
  "test/calc.test.js › calc › add › adds slowly": "passed",
};
const JEST_OTHER = { "test/other.test.js": "passed", "test/other.test.js › other › adds": "passed" };

describe("jest", () => {
  test("jest 22: durations written (24ms) are not part of the title; `○ skipped 1 test` is a count, not a test", () => {
    const withoutLater = Object.fromEntries(Object.entries(JEST_CALC).filter(([name]) => !name.endsWith("later")));
    expect(parsed("jest-22-verbose.txt")).toEqual({ runners: ["jest"], results: expect.anything() });
    expect(verdicts(parsed("jest-22-verbose.txt").results)).toEqual({ ...withoutLater, ...JEST_OTHER });
  });

  test("jest 24: (2ms) durations, the failure details and console output left out", () => {
    expect(verdicts(parsed("jest-24-verbose.txt").results)).toEqual({ ...JEST_CALC, ...JEST_OTHER });
  });

  test("two jest runs chained with &&, a coverage table after each: the second run's tests are read too", () => {
    expect(verdicts(parsed("jest-24-chained-coverage.txt").results)).toEqual({ ...JEST_OTHER, ...JEST_CALC });
    expect(verdicts(parsed("jest-29-chained.txt").results)).toEqual({ ...JEST_OTHER, ...JEST_CALC });
  });

  test("jest 29 without --verbose: the files, and the failed tests named by their details, under their file", () => {
    expect(verdicts(parsed("jest-29-default.txt").results)).toEqual({
      "test/calc.test.js": "failed",
      "test/calc.test.js › calc › subtracts": "failed",
      "test/other.test.js": "passed",
    });
  });

  test("ts-jest 27 (with a todo) and jest 29 on ES modules", () => {
    expect(verdicts(parsed("jest-27-ts-jest-verbose.txt").results)).toEqual({
      "test/calc.test.ts": "failed",
      "test/calc.test.ts › calc › subtracts": "failed",
      "test/calc.test.ts › calc › multiplies": "skipped",
      "test/calc.test.ts › calc › add › adds": "passed",
    });
    expect(verdicts(parsed("jest-29-esm-verbose.txt").results)).toEqual({
      "test/calc.test.js": "failed",
      "test/calc.test.js › calc › subtracts": "failed",
      "test/calc.test.js › calc › add › adds": "passed",
      "test/calc.test.js › calc › add › uses a mock": "passed",
    });
  });
});

describe("mocha", () => {
  test.each(["3", "5", "8", "10"])("mocha %s, spec reporter", (major) => {
    const run = parsed(`mocha-${major}-spec.txt`);
    expect(run.runners).toEqual(["mocha"]);
    expect(verdicts(run.results)).toEqual({
      "top level": "passed",
      "calc > subtracts": "failed",
      "calc > later": "skipped",
      "calc > add > adds": "passed",
      "calc > add > adds slowly": "passed",
      "other > adds": "passed",
    });
  });

  const JSON_VERDICTS = {
    "top level": "passed",
    "calc subtracts": "failed",
    "calc later": "skipped",
    "calc add adds": "passed",
    "calc add adds slowly": "passed",
    "other adds": "passed",
  };

  test.each(["3", "5", "8", "10"])("mocha %s, JSON reporter, after a line a test printed", (major) => {
    const run = parsed(`mocha-${major}-json.txt`);
    expect(run.runners).toEqual(["mocha-json"]);
    expect(verdicts(run.results)).toEqual(JSON_VERDICTS);
  });

  test("mocha's JSON under npm's header lines", () => {
    expect(verdicts(parsed("mocha-10-json-npm.txt").results)).toEqual(JSON_VERDICTS);
  });

  test("two JSON reports in one output, the second straight after the first's closing brace", () => {
    const json = output("mocha-10-json.txt").replace("{ not json\n", "");
    const second = json.replaceAll("calc subtracts", "calc subtracts again");
    expect(verdicts(parseTestOutput(`${json}${second}\n`).results)).toMatchObject({ "calc subtracts": "failed", "calc subtracts again": "failed", "calc add adds": "passed" });
  });

  test("a report after 100,000 lines that open a brace and never close it is still found, at once", { timeout: 5_000 }, () => {
    const noise = "{ not json\n".repeat(100_000);
    expect(verdicts(parseTestOutput(noise + output("mocha-10-json.txt")).results)).toEqual(JSON_VERDICTS);
  });
});

describe("vitest", () => {
  test("default reporter: the tree of a failed file; a file that passed whole is one line", () => {
    expect(verdicts(parsed("vitest-5-default.txt").results)).toEqual({
      "calc.test.js": "failed",
      "calc.test.js > calc": "failed",
      "calc.test.js > calc > add": "passed",
      "calc.test.js > calc > add > adds": "passed",
      "calc.test.js > calc > subtracts": "failed",
      "calc.test.js > calc > later": "skipped",
      "calc.test.js > top level": "passed",
      "other.test.js": "passed",
    });
  });

  test("verbose reporter", () => {
    expect(verdicts(parsed("vitest-5-verbose.txt").results)).toEqual({
      "calc.test.js > calc > add > adds": "passed",
      "calc.test.js > calc > subtracts": "failed",
      "calc.test.js > calc > later": "skipped",
      "calc.test.js > top level": "passed",
      "other.test.js > other > adds": "passed",
    });
  });
});

describe("node's test runner", () => {
  const NODE = {
    "calc > add > adds": "passed",
    "calc > add": "passed",
    "calc > subtracts": "failed",
    "calc > later": "skipped",
    "calc > wip": "skipped",
    calc: "failed",
    "other > adds": "passed",
    other: "passed",
    "top # level": "passed",
  };
  test("spec reporter: a skip's reason and a todo after the duration", () => {
    expect(verdicts(parsed("node-24-spec.txt").results)).toEqual(NODE);
  });
  test("TAP reporter", () => {
    expect(verdicts(parsed("node-24-tap.txt").results)).toEqual(NODE);
  });
});

describe("TAP producers", () => {
  test("tape: each test a `# title` comment over its assertions; a test fails with any of them", () => {
    expect(verdicts(parsed("tape-5-tap.txt").results)).toEqual({
      adds: "passed",
      "adds > should be strictly equal": "passed",
      "adds > adds twice": "passed",
      subtracts: "failed",
      "subtracts > should be strictly equal": "failed",
      later: "skipped",
    });
  });

  test("ava --tap: SKIP and TODO directives", () => {
    expect(verdicts(parsed("ava-6-tap.txt").results)).toEqual({ later: "skipped", wip: "skipped", adds: "passed", subtracts: "failed" });
  });
});

describe("pytest", () => {
  const SUMMARY = {
    "tests/test_calc.py::test_add": "passed",
    "tests/test_calc.py::TestThing::test_p[1]": "passed",
    "tests/test_other.py::test_add": "passed",
    "tests/test_calc.py::test_xf": "passed",
    "tests/test_calc.py::test_err": "failed",
    "tests/test_calc.py::test_sub": "failed",
    "tests/test_calc.py::TestThing::test_p[a b]": "failed",
    "tests/test_calc.py::TestThing::test_p[p::q]": "failed",
  };
  const VERBOSE = { ...SUMMARY, "tests/test_calc.py::test_later": "skipped" };

  test("-rA: parametrised ids with spaces and ::", () => {
    expect(verdicts(parsed("pytest-9-rA.txt").results)).toEqual(SUMMARY);
  });
  test("-v", () => {
    expect(verdicts(parsed("pytest-9-verbose.txt").results)).toEqual(VERBOSE);
  });
  test("xdist -n 2 -rA", () => {
    expect(verdicts(parsed("pytest-7-xdist-rA.txt").results)).toEqual(SUMMARY);
  });
  test("xdist -n 2 -v: `[gw0] [ 11%] PASSED id` lines", () => {
    expect(verdicts(parsed("pytest-7-xdist-verbose.txt").results)).toEqual(VERBOSE);
  });
});
