import { withoutDuration } from "./duration.ts";
import { IndentTree, indentOf } from "./indent-tree.ts";
import { record, type TestResults, type TestStatus } from "./verdicts.ts";

const SEPARATOR = " › ";
const FILE = /^(PASS|FAIL) +(\S.*?)(?: \([\d.]+ ?m?s\))?$/;
const TEST = /^([✓√✕×○✎]) (.*)$/;
const MARKS: Record<string, TestStatus> = { "✓": "passed", "√": "passed", "✕": "failed", "×": "failed", "○": "skipped", "✎": "skipped" };
/** jest ≤ 22 folds a suite's skipped tests into one line: `○ skipped 2 tests`. */
const SKIPPED_COUNT = /^skipped \d+ tests?$/;
const FAILURE = /^● (.*)$/;
const NOT_A_TEST = /^(?:Test suite failed to run|Console)\b/;
/** The summary that ends one jest run; another run's `PASS file` may follow (`jest a && jest b`). */
const SUMMARY = /^Test Suites:/;

/**
 * Jest: `PASS file` / `FAIL file`, then (with --verbose, or for a single file) the suites as
 * indented titles and `✓ title (3 ms)`, `✕ title`, `○ skipped title`, `✎ todo title`, the
 * duration written `(3ms)` up to jest 24. Each failure is detailed under `● suite › title`, which
 * names failed tests even without --verbose. A command may run jest several times: each run ends
 * with its `Test Suites:` summary, and test lines count only under a file. Full names join the
 * file, the suites and the title with " › ", as jest does; Multi-SWE-bench's name for a test,
 * `FILE:TITLE` (its own title, the suites left out), is kept as an alias.
 */
export function parseJest(lines: readonly string[], results: TestResults): void {
  const tree = new IndentTree();
  let file: string | undefined;
  // After a `●` come the failure's details, up to the next file.
  let inDetails = false;
  const recordTest = (path: string[], status: TestStatus) => {
    if (file === undefined) return;
    record(results, [file, ...path], status, SEPARATOR, [`${file}:${path.at(-1) ?? ""}`]);
  };
  for (const raw of lines) {
    const text = raw.trim();
    if (text === "") continue;
    if (SUMMARY.test(text)) {
      tree.reset();
      file = undefined;
      inDetails = false;
      continue;
    }
    const indent = indentOf(raw);
    const header = FILE.exec(text);
    if (header && indent <= 1) {
      tree.reset();
      inDetails = false;
      file = header[2]!;
      record(results, [file], header[1] === "PASS" ? "passed" : "failed", SEPARATOR);
      continue;
    }
    const failure = FAILURE.exec(text);
    if (failure) {
      if (!NOT_A_TEST.test(failure[1]!)) recordTest(failure[1]!.split(SEPARATOR), "failed");
      inDetails = true;
      continue;
    }
    if (inDetails || file === undefined) continue;
    const test = TEST.exec(text);
    if (test) {
      const mark = test[1]!;
      if (mark === "○" && SKIPPED_COUNT.test(test[2]!)) continue;
      const title = withoutDuration(test[2]!).replace(mark === "○" ? /^skipped / : mark === "✎" ? /^todo / : /^$/, "");
      recordTest([...tree.parentsAt(indent), title], MARKS[mark]!);
    }
    // Suite titles are indented under their file.
    else if (indent > 0) tree.open(indent, text);
  }
}
