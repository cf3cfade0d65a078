import { record, type TestResults } from "./verdicts.ts";

const RESULT = /^(not )?ok\b(?:\s+(\d+))?(?:\s+-)?\s*(.*)$/;
const SUBTEST = /^# Subtest: (.*)$/;
/** tape's skipped test: `# SKIP title`. */
const SKIPPED_TEST = /^# SKIP (.*)$/;
/** The counts that end a TAP stream: `# tests 6`, `# pass 3`, `# duration_ms 12.5`, `# ok`. */
const COUNTS = /^# (?:tests|suites|pass|fail|failed|cancelled|skip|skipped|todo|duration_ms)\s+[\d.]+$|^# ok$/;
/** The directive after an unescaped "#": `ok 4 - later # SKIP`. */
const DIRECTIVE = /(?:^|[^\\])\s#\s*(SKIP|TODO)\b.*$/i;

/**
 * TAP: node's test runner (--test-reporter=tap) nests subtests four spaces a level, each announced
 * by `# Subtest: name`; tape announces each test with a comment, `# name`, over the `ok` lines of
 * its assertions (a test fails with any of them) and writes `# SKIP name` for a skipped one; ava
 * writes one `ok N - title` a test. YAML blocks between `---` and `...` hold the details. A SKIP
 * or TODO directive makes a test skipped, whatever its ok. SWE-bench's name for a result — the
 * text after its number, `- adds` — is kept as an alias.
 */
export function parseTap(lines: readonly string[], results: TestResults): void {
  const names: string[] = [];
  // tape's current test, named by the comment above its assertions.
  let tapeTest: string | undefined;
  let inYaml = false;
  for (const raw of lines) {
    const text = raw.trim();
    if (inYaml) {
      if (text === "...") inYaml = false;
      continue;
    }
    if (text === "---") {
      inYaml = true;
      continue;
    }
    const depth = Math.floor((raw.length - raw.trimStart().length) / 4);
    const subtest = SUBTEST.exec(text);
    if (subtest) {
      names.length = depth;
      names[depth] = unescape(subtest[1]!);
      tapeTest = undefined;
      continue;
    }
    if (depth === 0 && text.startsWith("#")) {
      const skipped = SKIPPED_TEST.exec(text);
      if (skipped) record(results, [skipped[1]!], "skipped");
      tapeTest = skipped || COUNTS.test(text) ? undefined : text.slice(1).trim() || undefined;
      continue;
    }
    const result = RESULT.exec(text);
    if (!result) continue;
    const rest = result[3]!;
    const directive = DIRECTIVE.exec(rest);
    const title = unescape(directive ? rest.slice(0, directive.index + 1).trimEnd() : rest);
    const status = directive ? "skipped" : result[1] ? "failed" : "passed";
    const swebench = result[2] === undefined ? [] : [text.replace(/^(?:not )?ok \d+ /, "")];
    if (depth === 0 && tapeTest !== undefined) {
      record(results, [tapeTest, title], status, " > ", swebench);
      record(results, [tapeTest], status);
    } else {
      record(results, [...names.slice(0, depth), title], status, " > ", swebench);
    }
  }
}

function unescape(text: string): string {
  return text.replace(/\\([\\#])/g, "$1");
}
