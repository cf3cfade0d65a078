/** What one test run said about each test it named. */
export type TestStatus = "passed" | "failed" | "skipped";

export interface TestResult {
  /** The full name as molt writes it: the parts joined by the runner's separator. */
  name: string;
  /** The path to the test: file or suites first, its own title last. */
  parts: string[];
  status: TestStatus;
  /** Other names a benchmark harness gives this test, as its published log parser would write them. */
  aliases: string[];
}

/** The tests of one run, by full name. */
export type TestResults = Map<string, TestResult>;

const RANK: Record<TestStatus, number> = { skipped: 0, passed: 1, failed: 2 };

/** The worse of two verdicts: a failure beats a pass, a pass beats a skip. */
export function worse(a: TestStatus, b: TestStatus): TestStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Records a verdict. A test reported twice (a retry, the failures list repeating it, two runs or
 * two runners in one command) keeps its worst verdict: one failure is enough to fail it.
 */
export function record(results: TestResults, parts: string[], status: TestStatus, separator = " > ", aliases: string[] = []): void {
  const clean = parts.map((part) => part.trim()).filter((part) => part !== "");
  if (clean.length === 0) return;
  const name = clean.join(separator);
  const before = results.get(name);
  const names = [...new Set([...(before?.aliases ?? []), ...aliases.map((alias) => alias.trim())])].filter((alias) => alias !== "" && alias !== name);
  results.set(name, { name, parts: clean, status: before ? worse(before.status, status) : status, aliases: names });
}
