import { z } from "zod";
import { ConfigError, parseConfigArgument } from "../../core/config/config.ts";
import { loadRecord, RecordError, type RunRecord } from "../../core/record/record.ts";
import { InputError } from "../runtime/input-error.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import { isInteractive, type CommandIO } from "./io.ts";
import { RUN_FLAGS, rerunSandboxFlags, sandboxOf } from "./run-flags.ts";
import { runArgument } from "./run-argument.ts";
import { UsageError } from "./usage-error.ts";

export const REPLAY_FLAGS = {
  print: flag({ schema: z.boolean().default(false), help: "the timeline as text: each step's thought, command, clipped output and exit code, each tool event with its verdict, the end, and the evolution summary" }),
  json: flag({ schema: z.boolean().default(false), help: "the run's events, one JSON line each" }),
  checkout: flag({
    value: "STEP DIR",
    schema: z.string().regex(/^\d+$/, "needs a step number").transform(Number).optional(),
    help: "write the repository as it was after step STEP (0: the start, after any setup command) into DIR",
  }),
  exec: flag({
    schema: z.boolean().default(false),
    help: "re-run the recorded replies, without a model, in a fresh workspace at the same base commit (after the run's setup command, if it had one); report each observation that differs and whether the patch is identical (exit 0 when it is, 1 when not)",
  }),
  evolved: flag({ value: "DIR", schema: z.string().min(1, "must name a folder").optional(), help: "with --exec: the tool library to use and keep (default: a scratch copy of the library as the run began)" }),
  output: flag({ value: "DIR", schema: z.string().min(1, "must name a folder").optional(), help: "with --exec: where the re-run's files go (default: a temporary folder)" }),
  config: flag({ ...RUN_FLAGS.config, help: "with --exec: a configuration to re-run with instead of the recorded one, or one setting to change in it (agent.step_limit=5); repeatable" }),
  ...withExec(rerunSandboxFlags()),
  step: flag({ value: "N", schema: z.string().regex(/^[1-9]\d*$/, "must be a step number").transform(Number).optional(), help: "open the view at step N" }),
  ...pick(RUN_FLAGS, ["theme", "screen-reader", "help"]),
};

const SANDBOX_FLAGS = ["sandbox", "allow-network", "allow-domain", "mem-limit", "pass-env"] as const;

/** These flags, their help saying they go with --exec. */
function withExec<T extends Record<string, { help: string }>>(table: T): T {
  return Object.fromEntries(Object.entries(table).map(([name, definition]) => [name, { ...definition, help: `with --exec: ${definition.help}` }])) as T;
}

export function replayHelp(): string {
  return `Usage: molt replay RUN [--print | --json | --checkout STEP DIR | --exec] [flags]

RUN is a run's folder, its events.jsonl, or a *.traj.json (molt's own or mini-SWE-agent's, in any
of its layouts). On a terminal the run opens step by step; elsewhere it prints as --print does.

${flagHelp(pick(REPLAY_FLAGS, ["print", "json", "checkout", "exec", "evolved", "output", "config", "step", "theme", "screen-reader"]))}

With --exec, the sandbox is this command line's, never the record's (anyone may edit a record):
${flagHelp(pick(REPLAY_FLAGS, SANDBOX_FLAGS))}

Keys: ←/→ step · Home/End first/last · n/N next/previous evolution event · o full output ·
t tools at that step (↑/↓ choose) · d the step's change to the repository · D all changes so
far · ↑/↓ PgUp/PgDn scroll · Esc back to the step · q quit
`;
}

/**
 * \`molt replay RUN\`: a recorded run (molt's, or a mini-SWE-agent trajectory) in the live view's
 * pieces, step by step; or printed (--print, --json); or its repository at a step (--checkout);
 * or re-executed against a fresh workspace (--exec).
 */
export async function replayCommand(args: string[], io: CommandIO): Promise<number> {
  const { values: flags, positionals, given } = parseFlags(REPLAY_FLAGS, args, { positionals: true });
  if (flags.help) {
    io.stdout.write(replayHelp());
    return 0;
  }
  const [runArg, ...rest] = positionals;
  if (runArg === undefined) throw new UsageError("molt replay needs a run: its folder, its events.jsonl, or a *.traj.json");
  const modes = [flags.print, flags.json, flags.exec, flags.checkout !== undefined].filter(Boolean).length;
  if (modes > 1) throw new UsageError("choose one of --print, --json, --checkout and --exec");
  if (flags.checkout === undefined && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if ((flags.evolved !== undefined || flags.output !== undefined || flags.config.length > 0) && !flags.exec) throw new UsageError("--evolved, --output and -c go with --exec");
  const sandboxFlag = SANDBOX_FLAGS.find((name) => given[name] !== undefined);
  if (sandboxFlag !== undefined && !flags.exec) throw new UsageError(`--${sandboxFlag} goes with --exec`);

  const record = readRecord(runArgument(runArg));
  if (flags.json) {
    for (const event of record.events) io.stdout.write(`${JSON.stringify(event)}\n`);
    return 0;
  }
  if (flags.checkout !== undefined) {
    const [dir, ...more] = rest;
    if (dir === undefined) throw new UsageError("--checkout needs a step and a folder: --checkout STEP DIR");
    if (more.length > 0) throw new UsageError(`unexpected argument "${more[0]}"`);
    const { checkoutStep } = await import("../runtime/replay/checkout.ts");
    const done = await checkoutStep(record, flags.checkout, dir);
    io.stdout.write(`${done.dir}: the repository after step ${flags.checkout}${done.atBase ? " (as at the base commit)" : ""}\n`);
    return 0;
  }
  if (flags.exec) {
    const [{ replayExec }, { formatComparison }] = await Promise.all([import("../runtime/replay/replay-exec.ts"), import("../ui/replay/comparison-text.ts")]);
    const config = flags.config.map((argument) => {
      try {
        return parseConfigArgument(argument);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        throw error;
      }
    });
    const sandbox = { ...sandboxOf(flags, { env: {} }), memLimitBytes: flags["mem-limit"] };
    const { folder, comparison, sandboxNote } = await replayExec(record, { output: flags.output, evolved: flags.evolved, config, sandbox, apiKey: process.env.OPENAI_API_KEY || undefined });
    if (sandboxNote !== undefined) io.stderr.write(`molt: ${sandboxNote}\n`);
    io.stdout.write(`re-run ${folder.dir}\n${formatComparison(comparison)}`);
    return comparison.patch.same ? 0 : 1;
  }
  if (flags.print || !isInteractive(io)) {
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
    if (error instanceof RecordError) throw new InputError(error.message);
    throw error;
  }
}
