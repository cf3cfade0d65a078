import { parseArgs } from "node:util";
import { z } from "zod";
import { describeParseError } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

export interface EvalConfig {
  instancesFile: string;
  predsFile: string;
  output: string;
  reposDir: string | undefined;
  /** --config FILE: install_cmd and test_cmd per repository, for instances without their own. */
  configFile: string | undefined;
  workers: number;
  /** Seconds for all of one instance: install, patches and tests. */
  timeoutSec: number;
  sandbox: "bwrap" | "local";
  help: boolean;
}

const options = {
  instances: { type: "string" },
  preds: { type: "string" },
  output: { type: "string", short: "o" },
  "repos-dir": { type: "string" },
  config: { type: "string" },
  workers: { type: "string" },
  timeout: { type: "string" },
  sandbox: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const Flags = z.object({
  instances: z.string({ error: "is missing: pass --instances FILE (JSON, JSONL or Parquet)" }).min(1, "must name a file"),
  preds: z.string({ error: "is missing: pass --preds FILE (preds.json)" }).min(1, "must name a file"),
  output: z.string({ error: "is missing: pass --output DIR for report.json" }).min(1, "must name a folder"),
  "repos-dir": z.string().min(1, "must name a folder").optional(),
  config: z.string().min(1, "must name a file").optional(),
  workers: z.string().regex(/^\d+$/, "must be a whole number").transform(Number).refine((n) => n >= 1 && n <= 64, "must be 1 to 64").default(1),
  timeout: z.string().regex(/^\d+(\.\d+)?$/, "must be a number of seconds").transform(Number).refine((n) => n > 0, "must be more than 0 seconds").default(1800),
  sandbox: z.enum(["bwrap", "local"], { error: "must be bwrap or local" }).optional(),
  help: z.boolean().default(false),
});

/** `molt eval`'s flags, checked; any problem is a UsageError of one line. */
export function parseEvalFlags(args: string[]): EvalConfig {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (values.help) return { instancesFile: "", predsFile: "", output: "", reposDir: undefined, configFile: undefined, workers: 1, timeoutSec: 1, sandbox: "local", help: true };
  const parsed = Flags.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const value = values[name];
    throw new UsageError(`--${name} ${issue.message}${value === undefined ? "" : ` (got "${String(value)}")`}`);
  }
  const flags = parsed.data;
  return {
    instancesFile: flags.instances,
    predsFile: flags.preds,
    output: flags.output,
    reposDir: flags["repos-dir"],
    configFile: flags.config,
    workers: flags.workers,
    timeoutSec: flags.timeout,
    sandbox: flags.sandbox ?? (process.platform === "linux" ? "bwrap" : "local"),
    help: false,
  };
}
