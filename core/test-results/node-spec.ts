import { IndentTree, indentOf } from "./indent-tree.ts";
import { record, type TestResults, type TestStatus } from "./verdicts.ts";

const MARKS: Record<string, TestStatus> = { "✔": "passed", "✖": "failed", "﹣": "skipped", "⚠": "skipped" };
/** The mark, the title, and after the duration a directive: `# SKIP`, a skip's reason, or `# TODO`. */
const LINE = /^(▶|✔|✖|﹣|⚠) (.*?)(?: \([\d.]+m?s\)(?: # (.*))?)?$/;

/**
 * Node's spec reporter (its default since Node 23): `▶ suite` opens a suite, `✔ name (1ms)`,
 * `✖ name`, `﹣ name (0.1ms) # SKIP` (or the skip's reason) and `✔ name (0.1ms) # TODO` (`⚠` in
 * some versions) close a test or a suite; a todo counts as skipped. The list under
 * "✖ failing tests:" repeats failures without their suites, so reading stops there.
 */
export function parseNodeSpec(lines: readonly string[], results: TestResults): void {
  const tree = new IndentTree();
  for (const raw of lines) {
    const text = raw.trim();
    if (text === "✖ failing tests:") {
      tree.reset();
      break;
    }
    const match = LINE.exec(text);
    if (!match) continue;
    const indent = indentOf(raw);
    if (match[1] === "▶") tree.open(indent, match[2]!);
    else record(results, [...tree.parentsAt(indent), match[2]!], /^TODO\b/.test(match[3] ?? "") ? "skipped" : MARKS[match[1]!]!);
  }
}
