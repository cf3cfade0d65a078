import { describe, expect, test } from "vitest";
import { BATCH_FLAGS, batchHelp } from "../../bin/cli/batch-command.ts";
import { CONFIG_FLAGS, configHelp } from "../../bin/cli/config-command.ts";
import { DEMO_FLAGS, demoHelp } from "../../bin/cli/demo-command.ts";
import { DOCTOR_FLAGS, doctorHelp } from "../../bin/cli/doctor-command.ts";
import { EVAL_FLAGS, evalHelp } from "../../bin/cli/eval-command.ts";
import { flag, flagHelp, parseFlags, type FlagTable } from "../../bin/cli/flags.ts";
import { REPLAY_FLAGS, replayHelp } from "../../bin/cli/replay-command.ts";
import { RESUME_FLAGS, resumeHelp } from "../../bin/cli/resume-command.ts";
import { runHelp } from "../../bin/cli/run-command.ts";
import { RUN_FLAGS } from "../../bin/cli/run-flags.ts";
import { RUNS_FLAGS, runsHelp } from "../../bin/cli/runs-command.ts";
import { TOOLS_FLAGS, toolsHelp } from "../../bin/cli/tools-command.ts";
import { UsageError } from "../../bin/cli/usage-error.ts";
import { z } from "zod";

// Each command's flags come from one table, which its parser and its help both read: every flag a
// command accepts is in its help, with its value's name, and the help names no flag it does not take.

const COMMANDS: [string, FlagTable, () => string][] = [
  ["run", RUN_FLAGS, runHelp],
  ["demo", DEMO_FLAGS, demoHelp],
  ["resume", RESUME_FLAGS, resumeHelp],
  ["replay", REPLAY_FLAGS, replayHelp],
  ["runs", RUNS_FLAGS, runsHelp],
  ["tools", TOOLS_FLAGS, toolsHelp],
  ["batch", BATCH_FLAGS, batchHelp],
  ["eval", EVAL_FLAGS, evalHelp],
  ["config", CONFIG_FLAGS, configHelp],
  ["doctor", DOCTOR_FLAGS, doctorHelp],
];

describe.each(COMMANDS)("molt %s --help", (_name, table, help) => {
  test("lists every flag the command takes, with its value", () => {
    const text = help();
    const missing = Object.entries(table)
      .filter(([name]) => name !== "help")
      .filter(([name, definition]) => !text.includes(`--${name}${definition.value ? ` ${definition.value}` : ""}`))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  test("names no flag the command does not take", () => {
    const named = [...help().matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((match) => match[1]!);
    expect(named.filter((name) => !(name in table) && name !== "help")).toEqual([]);
  });

  test("every line fits in 100 columns", () => {
    expect(help().split("\n").filter((line) => line.length > 100)).toEqual([]);
  });
});

describe("a flag table", () => {
  const table = {
    count: flag({ value: "N", schema: z.string().regex(/^\d+$/, "must be a whole number").transform(Number).default(3), help: "how many" }),
    tag: flag({ value: "T", multiple: true, schema: z.array(z.string()).default([]), help: "a tag; repeatable" }),
    quiet: flag({ short: "q", schema: z.boolean().default(false), help: "say less" }),
  };

  test("parses values through their schemas, with defaults", () => {
    expect(parseFlags(table, []).values).toEqual({ count: 3, tag: [], quiet: false });
    expect(parseFlags(table, ["--count", "7", "--tag", "a", "--tag=b", "-q"]).values).toEqual({ count: 7, tag: ["a", "b"], quiet: true });
  });

  test("a bad value is one line naming the flag and quoting what was given", () => {
    expect(() => parseFlags(table, ["--count", "many"])).toThrow(new UsageError('--count must be a whole number (got "many")'));
    expect(() => parseFlags(table, ["--colour"])).toThrow(new UsageError("unknown option --colour"));
    expect(() => parseFlags(table, ["--count"])).toThrow(new UsageError("--count needs a value"));
  });

  test("its help aligns the descriptions", () => {
    expect(flagHelp(table)).toBe(["  --count N           how many", "  --tag T             a tag; repeatable", "  -q, --quiet         say less"].join("\n"));
  });
});
