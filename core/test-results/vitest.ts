import { IndentTree, indentOf } from "./indent-tree.ts";
import { record, type TestResults, type TestStatus } from "./verdicts.ts";

const SEPARATOR = " > ";
const LINE = /^([✓✔√×✗❯↓]) (.*)$/;
const MARKS: Record<string, TestStatus> = { "✓": "passed", "✔": "passed", "√": "passed", "×": "failed", "✗": "failed", "❯": "failed", "↓": "skipped" };
/** `(4)` after a suite, `(5 tests | 1 failed)` after a file: a header, not a test. */
const COUNT = / \((\d+)(?: tests?)?(?: \|[^)]*)?\)$/;
const DURATION = / \d+(?:\.\d+)?m?s$/;
const FAILURE = /^FAIL +(.* > .*)$/;
/** `RUN v5.1.1 /path`: a run starts (a command may run vitest more than once). */
const RUN = /^RUN\s+v\d/;
/** `⎯⎯⎯ Failed Tests 1 ⎯⎯⎯`: the failures' details follow, with `❯ file:6:41` code frames that are not tests. */
const DETAILS = /^⎯/;

/**
 * Vitest: the verbose reporter's `✓ file > suite > title 2ms` lines; the default reporter's
 * tree (a file, its suites with their counts, `✓ title`, `× title`, `↓ title` indented under
 * them; a file that passed whole is one line, its tests unnamed); and the `FAIL file > … > title`
 * headers of the failure details.
 */
export function parseVitest(lines: readonly string[], results: TestResults): void {
  const tree = new IndentTree();
  let inDetails = false;
  for (const raw of lines) {
    const text = raw.trim();
    if (RUN.test(text)) {
      tree.reset();
      inDetails = false;
      continue;
    }
    if (DETAILS.test(text)) inDetails = true;
    const failure = FAILURE.exec(text);
    if (failure) {
      record(results, failure[1]!.split(SEPARATOR), "failed");
      continue;
    }
    if (inDetails) continue;
    const match = LINE.exec(text);
    if (!match) continue;
    const status = MARKS[match[1]!]!;
    const indent = indentOf(raw);
    let title = match[2]!.replace(DURATION, "").replace(/ \[[^\]]*\]$/, "");
    const header = COUNT.exec(title);
    if (header) {
      title = title.slice(0, header.index);
      // A header is a result too (a suite or file that passed or failed), and a parent.
      record(results, [...tree.parentsAt(indent), title], status);
      tree.open(indent, title);
    } else if (title.includes(SEPARATOR) && indent <= 1) {
      record(results, title.split(SEPARATOR), status);
    } else {
      record(results, [...tree.parentsAt(indent), title], status);
    }
  }
}
