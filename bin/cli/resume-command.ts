import { z } from "zod";
import { prepareResume } from "../runtime/resume-run.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { presentRun, viewKindOf } from "./run-display.ts";
import { headersOf, RUN_FLAGS, rerunSandboxFlags, sandboxOf } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

export const RESUME_FLAGS = {
  model: flag({ value: "NAME", schema: z.string().min(1, "must name a model").optional(), help: "another model (or the same one with a new key); default: the run's own" }),
  "base-url": flag({ ...RUN_FLAGS["base-url"], help: "another endpoint; default: the run's own" }),
  ...pick(RUN_FLAGS, ["header", "json", "keep", "apply", "help"]),
  ...rerunSandboxFlags(),
};

export function resumeHelp(): string {
  return `Usage: molt resume RUN_DIR [flags]

Carries on a run that was interrupted (Ctrl-C, SIGTERM) or killed (kill -9, a power cut) from its
last completed step, in the same workspace and with the same settings. The conversation is rebuilt
from the run's events.jsonl, so the model calls already made are not paid for again; the run then
ends with the same files as one that was never stopped.

${flagHelp(pick(RESUME_FLAGS, ["model", "base-url", "header", "json", "keep", "apply"]))}

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
  if (dir === undefined) throw new UsageError("molt resume needs the run's folder (molt resume molt-runs/<run id>)");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const sandbox = { ...sandboxOf(values, { env: {} }), memLimitBytes: values["mem-limit"] };
  const { run: prepared, sandboxNote } = await prepareResume(
    dir,
    { model: values.model, baseUrl: values["base-url"], sandbox },
    { keep: values.keep, apply: values.apply, apiKey: process.env.OPENAI_API_KEY || undefined, headers: headersOf(values) },
  );
  if (sandboxNote !== undefined) io.stderr.write(`molt: ${sandboxNote}\n`);
  const display = { json: values.json, plain: false, confirm: false, theme: "dark" as const, screenReader: false };
  return presentRun(prepared, display, viewKindOf(display, io), io);
}
