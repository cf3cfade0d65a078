import { verdictFor, type ParsedRun } from "../test-results/index.ts";

export interface NamedTests {
  FAIL_TO_PASS: readonly string[];
  PASS_TO_PASS: readonly string[];
}

/** The named tests of one list by verdict; `failed` includes those the run never mentioned. */
export interface ListVerdict {
  passed: string[];
  failed: string[];
  skipped: string[];
}

export interface Grade {
  resolved: boolean;
  /** "tests" when per-test verdicts decided, "exit code" when the test command's exit code did. */
  decidedBy: "tests" | "exit code";
  tests: { FAIL_TO_PASS: ListVerdict; PASS_TO_PASS: ListVerdict };
  /** Named tests the output did not mention (counted as failed). */
  missing: string[];
  reason: string;
}

/**
 * SWE-bench's rule: when the instance names tests and the output names any, the instance is
 * resolved iff no FAIL_TO_PASS or PASS_TO_PASS test failed, a test the output does not mention
 * counting as failed and a skipped one counting neither way. Real suites exit non-zero for
 * reasons outside the task, so these verdicts win over the exit code; without them the exit
 * code decides (0: resolved).
 */
export function grade(named: NamedTests, run: ParsedRun, exitCode: number): Grade {
  const missing: string[] = [];
  const judge = (names: readonly string[]): ListVerdict => {
    const verdict: ListVerdict = { passed: [], failed: [], skipped: [] };
    for (const name of names) {
      const status = verdictFor(name, run.results);
      if (status === undefined) missing.push(name);
      verdict[status ?? "failed"].push(name);
    }
    return verdict;
  };
  const tests = { FAIL_TO_PASS: judge(named.FAIL_TO_PASS), PASS_TO_PASS: judge(named.PASS_TO_PASS) };
  const byTests = named.FAIL_TO_PASS.length + named.PASS_TO_PASS.length > 0 && run.results.size > 0;
  if (!byTests) {
    const resolved = exitCode === 0;
    const why = run.results.size === 0 ? "no per-test results in the output" : "no tests named";
    return { resolved, decidedBy: "exit code", tests, missing, reason: `${why}; the tests exited with ${exitCode}` };
  }
  const f2p = tests.FAIL_TO_PASS.failed;
  const p2p = tests.PASS_TO_PASS.failed;
  const resolved = f2p.length === 0 && p2p.length === 0;
  const problems = [
    ...(f2p.length > 0 ? [`FAIL_TO_PASS failed: ${listed(f2p, missing)}`] : []),
    ...(p2p.length > 0 ? [`PASS_TO_PASS failed: ${listed(p2p, missing)}`] : []),
  ];
  const note = exitCode === 0 ? "" : ` (the tests exited with ${exitCode})`;
  return { resolved, decidedBy: "tests", tests, missing, reason: resolved ? `the named tests passed${note}` : problems.join("; ") };
}

function listed(names: readonly string[], missing: readonly string[]): string {
  const shown = names.slice(0, 3).map((name) => (missing.includes(name) ? `${name} (not in the output)` : name));
  return shown.join(", ") + (names.length > 3 ? ` and ${names.length - 3} more` : "");
}
