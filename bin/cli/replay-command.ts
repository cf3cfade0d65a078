import { parseArgs } from "node:util";
import { z } from "zod";
import { loadRecord, RecordError, type RunRecord } from "../../core/record/record.ts";
import { REPLAY_HELP } from "./help.ts";
import { describeParseError } from "./run-flags.ts";
import type { SessionIO } from "../runtime/run.ts";
import { UsageError } from "./usage-error.ts";

const Flags = z.object({
  print: z.boolean().default(false),
  json: z.boolean().default(false),
  exec: z.boolean().default(false),
  checkout: z.string().optional(),
  evolved: z.string().optional(),
  output: z.string().optional(),
  step: z.coerce.number({ error: "--step must be a step number" }).int("--step must be a step number").positive("--step must be a step number").optional(),
  theme: z.enum(["dark", "light"], { error: "--theme must be dark or light" }).default("dark"),
  "screen-reader": z.boolean().default(false),
});

/**
 * `molt replay RUN`: a recorded run (molt's, or a mini-SWE-agent trajectory) in the live view's
 * pieces, step by step; or printed (--print, --json); or its repository at a step (--checkout);
 * or re-executed against a fresh workspace (--exec).
 */
export async function replayCommand(args: string[], io: SessionIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        print: { type: "boolean" },
        json: { type: "boolean" },
        exec: { type: "boolean" },
        checkout: { type: "string" },
        evolved: { type: "string" },
        output: { type: "string" },
        step: { type: "string" },
        theme: { type: "string" },
        "screen-reader": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.values.help) {
    io.stdout.write(REPLAY_HELP);
    return 0;
  }
  const checked = Flags.safeParse(parsed.values);
  if (!checked.success) throw new UsageError(checked.error.issues[0]?.message ?? "invalid flags");
  const flags = checked.data;
  const [runArg, ...rest] = parsed.positionals;
  if (runArg === undefined) throw new UsageError("molt replay needs a run: its folder, its events.jsonl, or a *.traj.json");
  const modes = [flags.print, flags.json, flags.exec, flags.checkout !== undefined].filter(Boolean).length;
  if (modes > 1) throw new UsageError("choose one of --print, --json, --checkout and --exec");
  if (flags.checkout === undefined && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if ((flags.evolved !== undefined || flags.output !== undefined) && !flags.exec) throw new UsageError("--evolved and --output go with --exec");

  const record = readRecord(runArg);
  if (flags.json) {
    for (const event of record.events) io.stdout.write(`${JSON.stringify(event)}\n`);
    return 0;
  }
  if (flags.checkout !== undefined) {
    const [dir, ...more] = rest;
    if (dir === undefined) throw new UsageError("--checkout needs a step and a folder: --checkout STEP DIR");
    if (more.length > 0) throw new UsageError(`unexpected argument "${more[0]}"`);
    const { checkoutStep } = await import("../runtime/replay/checkout.ts");
    return checkoutStep(record, flags.checkout, dir, io);
  }
  if (flags.exec) {
    const { replayExec } = await import("../runtime/replay/replay-exec.ts");
    return replayExec(record, { output: flags.output, evolved: flags.evolved }, io);
  }
  const terminal = io.stdout.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
  if (flags.print || !terminal) {
    const { printReplay } = await import("../ui/replay/print.ts");
    const colour = io.stdout.isTTY === true && !process.env.NO_COLOR;
    printReplay(record, io.stdout, { columns: io.stdout.isTTY ? io.stdout.columns || 100 : 100, colour });
    return 0;
  }
  const { showReplay } = await import("../ui/replay/replay-view.ts");
  return showReplay(record, { stdout: io.stdout, stdin: process.stdin, theme: flags.theme, screenReader: flags["screen-reader"] || process.env.INK_SCREEN_READER === "true", startStep: flags.step });
}

function readRecord(path: string): RunRecord {
  try {
    return loadRecord(path);
  } catch (error) {
    if (error instanceof RecordError) throw new UsageError(error.message);
    throw error;
  }
}
