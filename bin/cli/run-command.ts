import { RUN_HELP } from "./help.ts";
import { parseFlags, runConfigOf, type FlagName } from "./run-flags.ts";
import { runSession, type SessionIO } from "../runtime/run.ts";

/** The flags `molt run` takes. */
export const RUN_COMMAND_FLAGS = [
  "repo", "base", "issue", "issue-file", "model", "base-url", "output", "action-format", "step-limit",
  "cost-limit", "time-limit", "timeout", "retries", "price-in", "price-out", "json", "keep", "apply",
  "evolved", "fresh", "no-evolve", "reminder", "sandbox", "allow-network", "allow-domain", "mem-limit", "pass-env",
  "request-timeout", "confirm", "theme", "screen-reader", "plain", "setup", "help",
] as const satisfies readonly FlagName[];

export async function runCommand(args: string[], io: SessionIO): Promise<number> {
  const flags = parseFlags(args, RUN_COMMAND_FLAGS);
  if (flags.help) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  const config = await runConfigOf(flags, process.env, process.stdin);
  return runSession(config, io);
}
