import { z } from "zod";
import { prepareResume } from "../runtime/resume-run.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { presentRun, viewKindOf } from "./run-display.ts";
import { headersOf, RUN_FLAGS, rerunSandboxFlags, sandboxOf } from "./run-flags.ts";
import { runArgument } from "./run-argument.ts";
import { UsageError } from "./usage-error.ts";

export const RESUME_FLAGS = {
  model: flag({ value: "NAME", schema: z.string().min(1, "must name a model").optional(), help: "another model (or the same one with a new key); default: the run's own" }),
  "base-url": flag({ ...RUN_FLAGS["base-url"], help: "another endpoint; default: the run's own" }),
  confirm: flag({ ...RUN_FLAGS.confirm, help: "ask before every command (y / n / e), whether or not the run did" }),
  "no-confirm": flag({ schema: z.boolean().default(false), help: "stop asking before every command (a run started with --confirm asks again by default)" }),
  ...pick(RUN_FLAGS, ["header", "json", "plain", "theme", "screen-reader", "keep", "apply", "help"]),
  ...rerunSandboxFlags(),
};

export function resumeHelp(): string {
  return `Usage: molt resume RUN [flags]     (RUN: the run's id, or its folder)

Carries on a run that was interrupted (Ctrl-C, SIGTERM) or killed (kill -9, a power cut) from its
last completed step, in the same workspace and with the same settings. The conversation is rebuilt
from the run's events.jsonl, so the model calls already made are not paid for again; the run then
ends with the same files as one that was never stopped.

A run started with --confirm (or agent.mode: confirm) asks before every command again.

${flagHelp(pick(RESUME_FLAGS, ["model", "base-url", "header", "confirm", "no-confirm", "json", "plain", "theme", "screen-reader", "keep", "apply"]))}

The sandbox is this command line's, never the record's (a record is a file anyone may edit): a run
started with --sandbox local, --allow-network or --pass-env is resumed with them only when they are
given again.
${flagHelp(pick(RESUME_FLAGS, ["sandbox", "allow-network", "allow-domain", "mem-limit", "pass-env"]))}
`;
}

/**
 * `molt resume RUN_DIR`: carries on a run that was interrupted or killed, from its last completed
 * step, in the same workspace, without asking the model again for what the record already holds.
 */
export async function resumeCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseFlags(RESUME_FLAGS, args, { positionals: true });
  if (values.help) {
    io.stdout.write(resumeHelp());
    return 0;
  }
  const [dir, ...extra] = positionals;
  if (dir === undefined) throw new UsageError("molt resume needs the run: its id or its folder (molt resume <run id>)");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.confirm && values["no-confirm"]) throw new UsageError("choose --confirm or --no-confirm, not both");
  const confirm = values.confirm ? true : values["no-confirm"] ? false : undefined;
  const sandbox = { ...sandboxOf(values, { env: {} }), memLimitBytes: values["mem-limit"] };
  const { run: prepared, sandboxNote } = await prepareResume(
    runArgument(dir),
    { model: values.model, baseUrl: values["base-url"], sandbox, confirm },
    { keep: values.keep, apply: values.apply, apiKey: process.env.OPENAI_API_KEY || undefined, headers: headersOf(values) },
  );
  const asks = prepared.spec.agent.confirm;
  if (asks && (values.json || values.plain)) {
    throw new UsageError(`the run asks before every command, which needs the live view; drop ${values.json ? "--json" : "--plain"}, or pass --no-confirm`);
  }
  if (sandboxNote !== undefined) io.stderr.write(`molt: ${sandboxNote}\n`);
  const display = { json: values.json, plain: values.plain, confirm: asks, theme: values.theme, screenReader: values["screen-reader"] || process.env.INK_SCREEN_READER === "true" };
  return presentRun(prepared, display, viewKindOf(display, io), io);
}
