import { findTest, type ParsedRun, type TestStatus } from "../test-results/index.ts";

export interface NamedTests {
  FAIL_TO_PASS: readonly string[];
  PASS_TO_PASS: readonly string[];
}
type ListName = keyof NamedTests;

/** The named tests of one list by verdict; `failed` includes those the run never mentioned. */
export interface ListVerdict {
  passed: string[];
  failed: string[];
  skipped: string[];
}

/** One named test: its verdict ("missing": not in the output) and the output's tests it stood for. */
export interface NamedTestVerdict {
  name: string;
  status: TestStatus | "missing";
  /** The full names, in the output, of the tests the name was found as (more than one: ambiguous). */
  matched: string[];
}

/** A name that stood for several tests of the output, and which one's verdict was taken. */
export interface AmbiguousName {
  name: string;
  list: ListName;
  matched: string[];
  took: string;
  status: TestStatus;
}

/** SWE-bench's tests_status: success (passed) and failure (failed or missing); a skipped test is in neither. */
export interface TestsStatus {
  FAIL_TO_PASS: { success: string[]; failure: string[] };
  PASS_TO_PASS: { success: string[]; failure: string[] };
}

/** How the verdicts were read: by the output's per-test results, by the exit code, or not at all. */
export interface VerdictsFrom {
  method: "parser" | "exit code" | "none";
  /** The runners whose output was recognised. */
  parsers: string[];
  /** How many tests the output reported. */
  results: number;
  why: string;
}

export interface Grade {
  /** Null when nothing could decide: tests named, no per-test results, the exit code not allowed to. */
  resolved: boolean | null;
  /** "tests" when per-test verdicts decided, "exit code" when the test command's exit code did. */
  decidedBy: "tests" | "exit code" | null;
  tests: { FAIL_TO_PASS: ListVerdict; PASS_TO_PASS: ListVerdict };
  namedTests: { FAIL_TO_PASS: NamedTestVerdict[]; PASS_TO_PASS: NamedTestVerdict[] };
  tests_status: TestsStatus;
  ambiguous: AmbiguousName[];
  /** Named tests the output did not mention (counted as failed). */
  missing: string[];
  verdictsFrom: VerdictsFrom;
  reason: string;
}

export interface GradeOptions {
  /** --exit-code-verdicts: when tests are named but the output reports none, the exit code decides. */
  exitCodeVerdicts?: boolean;
}

/**
 * SWE-bench's rule: when the instance names tests and the output names any, the instance is
 * resolved iff no FAIL_TO_PASS or PASS_TO_PASS test failed, a test the output does not mention
 * counting as failed and a skipped one counting neither way. Real suites exit non-zero for
 * reasons outside the task, so these verdicts win over the exit code. Without named tests the
 * exit code decides (0: resolved); with named tests but no per-test results in the output there
 * is no verdict, unless `exitCodeVerdicts` lets the exit code decide.
 */
export function grade(named: NamedTests, run: ParsedRun, exitCode: number, options: GradeOptions = {}): Grade {
  const missing: string[] = [];
  const ambiguous: AmbiguousName[] = [];
  const judge = (list: ListName) => {
    const verdict: ListVerdict = { passed: [], failed: [], skipped: [] };
    const each: NamedTestVerdict[] = [];
    for (const name of named[list]) {
      const found = findTest(name, run.results);
      if (found === undefined) missing.push(name);
      else if (found.matches.length > 1) ambiguous.push({ name, list, matched: found.matches.map((match) => match.name), took: found.taken.name, status: found.status });
      verdict[found?.status ?? "failed"].push(name);
      each.push({ name, status: found?.status ?? "missing", matched: found?.matches.map((match) => match.name) ?? [] });
    }
    return { verdict, each };
  };
  const f2p = judge("FAIL_TO_PASS");
  const p2p = judge("PASS_TO_PASS");
  const tests = { FAIL_TO_PASS: f2p.verdict, PASS_TO_PASS: p2p.verdict };
  const namedTests = { FAIL_TO_PASS: f2p.each, PASS_TO_PASS: p2p.each };
  const tests_status: TestsStatus = { FAIL_TO_PASS: statusOf(f2p.verdict), PASS_TO_PASS: statusOf(p2p.verdict) };
  const base = { tests, namedTests, tests_status, ambiguous, missing };
  const parsers = run.runners;
  const results = run.results.size;
  const namesTests = named.FAIL_TO_PASS.length + named.PASS_TO_PASS.length > 0;

  if (!namesTests) {
    const why = `no FAIL_TO_PASS or PASS_TO_PASS tests named: the exit code ${exitCode} decides`;
    return { ...base, resolved: exitCode === 0, decidedBy: "exit code", verdictsFrom: { method: "exit code", parsers, results, why }, reason: `no tests named; the tests exited with ${exitCode}` };
  }
  if (results === 0) {
    const seen = parsers.length === 0 ? "no known test runner's output" : `${parsers.join(", ")} output, but no test named in it`;
    if (options.exitCodeVerdicts) {
      const why = `no per-test results in the output (${seen}): the exit code ${exitCode} decides, as --exit-code-verdicts allows`;
      return { ...base, resolved: exitCode === 0, decidedBy: "exit code", verdictsFrom: { method: "exit code", parsers, results, why }, reason: `no per-test results in the output; the tests exited with ${exitCode}` };
    }
    const why = `no per-test results in the output (${seen}); pass --exit-code-verdicts to let the exit code decide`;
    return { ...base, resolved: null, decidedBy: null, verdictsFrom: { method: "none", parsers, results, why }, reason: `no test results: the output has ${seen}, so the named tests cannot be judged (the tests exited with ${exitCode}; --exit-code-verdicts lets the exit code decide)` };
  }

  const f2pFailed = tests.FAIL_TO_PASS.failed;
  const p2pFailed = tests.PASS_TO_PASS.failed;
  const resolved = f2pFailed.length === 0 && p2pFailed.length === 0;
  const problems = [
    ...(f2pFailed.length > 0 ? [`FAIL_TO_PASS failed: ${listed(f2pFailed, missing)}`] : []),
    ...(p2pFailed.length > 0 ? [`PASS_TO_PASS failed: ${listed(p2pFailed, missing)}`] : []),
  ];
  const note = exitCode === 0 ? "" : ` (the tests exited with ${exitCode})`;
  const why = `${parsers.join(", ")} output reporting ${results} test${results === 1 ? "" : "s"}`;
  return { ...base, resolved, decidedBy: "tests", verdictsFrom: { method: "parser", parsers, results, why }, reason: resolved ? `the named tests passed${note}` : problems.join("; ") };
}

function statusOf(verdict: ListVerdict): { success: string[]; failure: string[] } {
  return { success: [...verdict.passed], failure: [...verdict.failed] };
}

function listed(names: readonly string[], missing: readonly string[]): string {
  const shown = names.slice(0, 3).map((name) => (missing.includes(name) ? `${name} (not in the output)` : name));
  return shown.join(", ") + (names.length > 3 ? ` and ${names.length - 3} more` : "");
}
