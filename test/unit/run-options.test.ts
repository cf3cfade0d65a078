import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseFlags as parseTable, pick } from "../../bin/cli/flags.ts";
import { configurationOf } from "../../bin/cli/run-configuration.ts";
import { limitsOf, readIssue, RUN_FLAGS } from "../../bin/cli/run-flags.ts";
import { UsageError } from "../../bin/cli/usage-error.ts";

type FlagName = keyof typeof RUN_FLAGS;

/** The values of these flags, parsed against a table that holds only `allowed`. */
function parseFlags(args: string[], allowed: readonly FlagName[]) {
  return parseTable(pick(RUN_FLAGS, allowed), args).values;
}

const ALL: readonly FlagName[] = [
  "repo", "base", "issue", "issue-file", "model", "base-url", "output", "action-format", "step-limit", "cost-limit",
  "time-limit", "timeout", "retries", "price-in", "price-out", "json", "keep", "apply", "help",
];

/** The UsageError that parsing these flags throws; fails the test when none is thrown. */
function usageErrorOf(args: string[], allowed: readonly FlagName[] = ALL): UsageError {
  try {
    parseFlags(args, allowed);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`parseFlags(${JSON.stringify(args)}) did not throw`);
}

const tty = { isTTY: true } as NodeJS.ReadStream;
const quiet = { write: () => true };

function piped(text: string): NodeJS.ReadStream {
  return Readable.from([Buffer.from(text)]) as unknown as NodeJS.ReadStream;
}

describe("parseFlags", () => {
  test("no flags give the defaults", () => {
    const flags = parseFlags([], ALL);
    expect(flags).toMatchObject({
      repo: ".",
      json: false,
      keep: false,
      apply: false,
      help: false,
    });
    expect(flags.issue).toBeUndefined();
    expect(flags.model).toBeUndefined();
    expect(flags["base-url"]).toBeUndefined();
    // With no flag and no -c, the limits are molt's own configuration's.
    expect(limitsOf(configurationOf(flags, quiet))).toEqual({ stepLimit: 250, costLimit: 3, timeLimitSec: 0, commandTimeoutSec: 60 });
  });

  test("valid values parse to numbers and strings", () => {
    const flags = parseFlags(
      [
        "--repo", "/src/app", "--model", "gpt-4o", "--base-url", "http://localhost:8080/v1", "--action-format", "text",
        "--step-limit", "12", "--cost-limit", "0.5", "--time-limit", "600", "--timeout", "2.5", "--retries", "0",
        "--price-in", "1.5", "--price-out", ".75", "-o", "out", "--json", "--keep", "--apply",
      ],
      ALL,
    );
    expect(flags).toMatchObject({
      repo: "/src/app",
      model: "gpt-4o",
      "base-url": "http://localhost:8080/v1",
      "action-format": "text",
      "step-limit": 12,
      "cost-limit": 0.5,
      "time-limit": 600,
      timeout: 2.5,
      retries: 0,
      "price-in": 1.5,
      "price-out": 0.75,
      output: "out",
      json: true,
      keep: true,
      apply: true,
    });
    expect(limitsOf(configurationOf(flags, quiet))).toEqual({ stepLimit: 12, costLimit: 0.5, timeLimitSec: 600, commandTimeoutSec: 2.5 });
  });

  test("--flag=value works like --flag value", () => {
    expect(parseFlags(["--step-limit=7"], ALL)["step-limit"]).toBe(7);
  });

  test.each([
    ["--step-limit abc", ["--step-limit", "abc"], "--step-limit"],
    ["--step-limit 1.5", ["--step-limit", "1.5"], "--step-limit"],
    ["--timeout 0", ["--timeout", "0"], "--timeout"],
    ["--cost-limit lots", ["--cost-limit", "lots"], "--cost-limit"],
    ["--retries 99", ["--retries", "99"], "--retries"],
    ["--action-format xml", ["--action-format", "xml"], "--action-format"],
    ["--base-url notaurl", ["--base-url", "notaurl"], "--base-url"],
    ["--base-url ftp://host", ["--base-url", "ftp://host"], "--base-url"],
    ["--step-limit with no value", ["--step-limit"], "--step-limit"],
  ])("%s is a UsageError naming the flag", (_label, args, flag) => {
    expect(usageErrorOf(args).message).toContain(flag);
  });

  test("a bad value is quoted back to the user", () => {
    expect(usageErrorOf(["--step-limit", "abc"]).message).toContain("abc");
    expect(usageErrorOf(["--action-format", "xml"]).message).toContain("xml");
  });

  test("an unknown flag is a UsageError naming it", () => {
    expect(usageErrorOf(["--stepLimit", "5"]).message).toContain("--stepLimit");
  });

  test("a known flag that this command does not allow is a UsageError naming it", () => {
    parseFlags(["--apply"], ["apply"]);
    expect(usageErrorOf(["--apply"], ["output", "json"]).message).toContain("--apply");
  });

  test("a positional argument is a UsageError naming it", () => {
    expect(usageErrorOf(["--json", "fix-the-bug.md"]).message).toContain("fix-the-bug.md");
  });
});

describe("readIssue", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "molt-run-options-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("--issue gives the text as written", async () => {
    const flags = parseFlags(["--issue", "The parser rejects 1h30m."], ALL);
    expect(await readIssue(flags, tty)).toBe("The parser rejects 1h30m.");
  });

  test("--issue-file gives the file's contents", async () => {
    const file = join(dir, "issue.md");
    writeFileSync(file, "# Bug\n\nDurations like 1h30m are rejected. ✓\n");
    const flags = parseFlags(["--issue-file", file], ALL);
    expect(await readIssue(flags, tty)).toBe("# Bug\n\nDurations like 1h30m are rejected. ✓\n");
  });

  test("--issue-file naming a missing file is a UsageError saying there is no such file", async () => {
    const file = join(dir, "nope.md");
    const flags = parseFlags(["--issue-file", file], ALL);
    const error = await readIssue(flags, tty).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain("no such file");
    expect((error as Error).message).toContain(file);
  });

  test("--issue-file naming a folder is a UsageError", async () => {
    const flags = parseFlags(["--issue-file", dir], ALL);
    await expect(readIssue(flags, tty)).rejects.toBeInstanceOf(UsageError);
  });

  test.each([
    ["an empty --issue", () => ["--issue", ""]],
    ["a blank --issue", () => ["--issue", "  \n\t "]],
    ["an empty --issue-file", () => {
      const file = join(dir, "empty.md");
      writeFileSync(file, "\n\n");
      return ["--issue-file", file];
    }],
  ])("%s is a UsageError saying the issue is empty", async (_label, args) => {
    const flags = parseFlags(args(), ALL);
    const error = await readIssue(flags, tty).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/empty/);
  });

  test("--issue and --issue-file together are a UsageError", async () => {
    const file = join(dir, "both.md");
    writeFileSync(file, "from the file");
    const flags = parseFlags(["--issue", "from the flag", "--issue-file", file], ALL);
    const error = await readIssue(flags, tty).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain("--issue");
    expect((error as Error).message).toContain("--issue-file");
  });

  test("with neither flag, the issue is read from piped standard input", async () => {
    expect(await readIssue(parseFlags([], ALL), piped("Issue from a pipe\n"))).toBe("Issue from a pipe\n");
  });

  test("with neither flag and a terminal on standard input, it is a UsageError", async () => {
    await expect(readIssue(parseFlags([], ALL), tty)).rejects.toBeInstanceOf(UsageError);
  });
});
