import { worse, type TestResult, type TestResults, type TestStatus } from "./verdicts.ts";

/** How suites and titles are joined in the names task files give: mocha/node/vitest, jest, pytest, plain words. */
const SEPARATORS = [" > ", " › ", "::", " "];

/**
 * Which rule found a named test: its full name as molt writes it (`name`), a benchmark harness's
 * name for it (`harness`: Multi-SWE-bench's `FILE:TITLE`, SWE-bench's `- title` for TAP or its
 * first word of a pytest id), or its last parts (`title`: the title alone, or with the suites just
 * above it).
 */
export type MatchRule = "name" | "harness" | "title";

export interface FoundTest {
  status: TestStatus;
  rule: MatchRule;
  /** Every test of the output the name stands for, in the output's order; more than one when it is ambiguous. */
  matches: TestResult[];
  /** The one whose verdict was taken: the first that failed, else the first that passed. */
  taken: TestResult;
}

/**
 * Finds a test named in FAIL_TO_PASS or PASS_TO_PASS among a run's results; undefined when the run
 * did not report it. The rules are tried in order and the first that finds any test decides:
 * the full name; a harness's name; the last parts joined by " > ", " › ", "::" or a space. A name
 * that stands for several tests (a title used in two suites or files) takes the worst of them:
 * it passes only if none failed.
 */
export function findTest(name: string, results: TestResults): FoundTest | undefined {
  const wanted = name.trim();
  const exact = results.get(wanted);
  if (exact) return found("name", [exact]);
  const index = indexOf(results);
  const harness = index.aliases.get(wanted);
  if (harness) return found("harness", harness);
  const titled = index.tails.get(wanted);
  if (titled) return found("title", titled);
  return undefined;
}

interface Index {
  size: number;
  /** Each harness name, with the tests it stands for. */
  aliases: Map<string, TestResult[]>;
  /** Each tail of each test (its title, or suites and title, joined by each separator), with the tests it stands for. */
  tails: Map<string, TestResult[]>;
}

// Built once per run's results, so that naming many tests among many results stays fast.
const indexes = new WeakMap<TestResults, Index>();

function indexOf(results: TestResults): Index {
  const known = indexes.get(results);
  if (known && known.size === results.size) return known;
  const index: Index = { size: results.size, aliases: new Map(), tails: new Map() };
  const add = (map: Map<string, TestResult[]>, key: string, result: TestResult) => {
    const list = map.get(key);
    if (!list) map.set(key, [result]);
    else if (list.at(-1) !== result) list.push(result);
  };
  for (const result of results.values()) {
    for (const alias of result.aliases) add(index.aliases, alias, result);
    const { parts } = result;
    for (let from = parts.length - 1; from >= 0; from--) {
      const tail = parts.slice(from);
      for (const separator of SEPARATORS) add(index.tails, tail.join(separator), result);
    }
  }
  indexes.set(results, index);
  return index;
}

/** The verdict on a named test, or undefined when the run did not report it. */
export function verdictFor(name: string, results: TestResults): TestStatus | undefined {
  return findTest(name, results)?.status;
}

function found(rule: MatchRule, matches: TestResult[]): FoundTest {
  const status = matches.map((match) => match.status).reduce(worse);
  return { status, rule, matches, taken: matches.find((match) => match.status === status)! };
}
