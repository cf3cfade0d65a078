import { record, type TestResults, type TestStatus } from "./verdicts.ts";

const STATUS: Record<string, TestStatus> = { PASSED: "passed", XFAIL: "passed", XPASS: "passed", FAILED: "failed", ERROR: "failed", SKIPPED: "skipped" };
/** `-rA`'s summary: `PASSED tests/test_a.py::test_b`, `FAILED tests/test_a.py::test_c - assert …`. */
const SUMMARY = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S[^\[\s]*(?:\[.*?\])?)(?: - .*)?$/;
/** `-v`: `tests/test_a.py::test_b PASSED [ 50%]`. */
const VERBOSE = /^(\S+?::.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b/;
/** pytest-xdist's worker and progress before a `-v` result: `[gw0] [ 11%] PASSED tests/test_a.py::test_b`. */
const WORKER = /^\[gw\d+\](?: \[\s*\d+%\])? /;

/**
 * pytest's `-rA` short summary and its `-v` lines, with or without pytest-xdist's `[gw0]`
 * prefixes. Names are node ids, `path::Class::test[param]`, as SWE-bench writes them; XFAIL and
 * XPASS count as passed and ERROR as failed. SWE-bench's parser keeps only the first word of an id
 * whose parameter holds a space (`test_p[a b]` is its `test_p[a`): that is kept as an alias.
 */
export function parsePytest(lines: readonly string[], results: TestResults): void {
  for (const raw of lines) {
    const text = raw.trim().replace(WORKER, "");
    const summary = SUMMARY.exec(text);
    const verbose = summary ? undefined : VERBOSE.exec(text);
    const [id, status] = summary ? [summary[2]!, summary[1]!] : verbose ? [verbose[1]!, verbose[2]!] : [];
    // `SKIPPED [1] tests/a.py:8: reason` names a line, not a test.
    if (id === undefined || status === undefined || !id.includes("::")) continue;
    record(results, splitNodeId(id), STATUS[status]!, "::", sweBenchNames(id));
  }
}

/**
 * SWE-bench's names for an id where they differ from it: its parse_log_pytest keeps the first word
 * (`t[a b]` is `t[a`); parse_log_pytest_options (requests, pylint, pydicom) shortens a parameter
 * that is an absolute path to its last part (`t[/x/y/z.txt]` is `t[/z.txt]`).
 */
function sweBenchNames(id: string): string[] {
  const names = [id.split(/\s/, 1)[0]!];
  const option = /^(.*?)\[(.*)\]$/.exec(id);
  if (option && option[2]!.startsWith("/") && !option[2]!.startsWith("//") && !option[2]!.includes("*")) names.push(`${option[1]}[/${option[2]!.split("/").at(-1)}]`);
  return names.filter((name) => name !== id);
}

/** `a.py::C::t[x::y]` -> [a.py, C, t[x::y]]: a parameter may hold "::". */
function splitNodeId(id: string): string[] {
  const bracket = id.indexOf("[");
  const head = bracket === -1 ? id : id.slice(0, bracket);
  const parts = head.split("::");
  if (bracket !== -1) parts[parts.length - 1] += id.slice(bracket);
  return parts;
}
