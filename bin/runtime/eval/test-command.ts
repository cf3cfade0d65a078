import { join } from "node:path";
import { shellQuote } from "../../../sandbox/shell-quote.ts";
import { readPlainFile } from "../../../sandbox/unlinked-files.ts";

/**
 * The command that runs an instance's tests: its own `test_cmd`; else, for tests named the pytest
 * way (`path::test`), pytest with `-rA` on the Python files the test patch touches (SWE-bench's
 * way); else `npm test` when the repository's package.json has a test script. Otherwise none: the
 * instance is an error rather than a guess.
 */
export async function testCommandFor(
  instance: { test_cmd?: string | undefined; FAIL_TO_PASS?: string[] | undefined; PASS_TO_PASS?: string[] | undefined },
  testFiles: readonly string[],
  workspace: string,
): Promise<string | undefined> {
  if (instance.test_cmd?.trim()) return instance.test_cmd;
  const named = [...(instance.FAIL_TO_PASS ?? []), ...(instance.PASS_TO_PASS ?? [])];
  const pythonFiles = testFiles.filter((file) => file.endsWith(".py"));
  if (named.length > 0 && named.every((name) => name.includes("::")) && pythonFiles.length > 0) {
    return `"$(command -v python || command -v python3)" -m pytest -rA -p no:cacheprovider ${pythonFiles.map(shellQuote).join(" ")}`;
  }
  // The workspace is the instance's: a link (or a pipe) there is never followed.
  const pkg = await readPlainFile(join(workspace, "package.json"), 1024 * 1024).catch(() => undefined);
  if (pkg !== undefined && hasTestScript(pkg)) return "npm test";
  return undefined;
}

function hasTestScript(text: string): boolean {
  try {
    const json = JSON.parse(text) as { scripts?: { test?: unknown } };
    const test = json.scripts?.test;
    return typeof test === "string" && test.trim() !== "" && !test.includes("no test specified");
  } catch {
    return false;
  }
}
