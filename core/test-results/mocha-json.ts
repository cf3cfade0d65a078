import { jsonObjectsIn } from "./json-objects.ts";
import { record, type TestResults, type TestStatus } from "./verdicts.ts";

interface MochaTest {
  title: string;
  fullTitle: string;
}

/** mocha's JSON reporter's report: its stats, then the tests by outcome. */
function isReport(value: unknown): value is { passes: MochaTest[]; failures: MochaTest[]; pending: MochaTest[] } {
  if (value === null || typeof value !== "object") return false;
  const report = value as Record<string, unknown>;
  return typeof report.stats === "object" && report.stats !== null && Array.isArray(report.passes) && Array.isArray(report.failures);
}

function isTest(value: unknown): value is MochaTest {
  return value !== null && typeof value === "object" && typeof (value as MochaTest).title === "string" && typeof (value as MochaTest).fullTitle === "string";
}

/**
 * mocha's JSON reporter (`--reporter json`): one JSON object a run, `passes`, `failures` and
 * `pending` listing each test by `title` and `fullTitle` (its suites' titles and its own, joined
 * by spaces). The name is the full title, as Multi-SWE-bench names them; the title alone is its
 * last part. A failed hook is listed among the failures under its own title.
 */
export function parseMochaJson(text: string, results: TestResults): void {
  for (const report of jsonObjectsIn(text, "stats")) {
    if (!isReport(report)) continue;
    const outcomes: [unknown[], TestStatus][] = [
      [report.passes, "passed"],
      [report.failures, "failed"],
      [Array.isArray(report.pending) ? report.pending : [], "skipped"],
    ];
    for (const [tests, status] of outcomes) {
      for (const test of tests) {
        if (!isTest(test)) continue;
        const full = test.fullTitle.trim();
        const title = test.title.trim();
        if (!full.endsWith(title)) record(results, [full], status, " ");
        else record(results, [full.slice(0, full.length - title.length), title], status, " ");
      }
    }
  }
}
