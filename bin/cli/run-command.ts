import { checkedSource, prepareRun } from "../runtime/run.ts";
import { flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { presentRun, viewKindOf } from "./run-display.ts";
import { configurationOf } from "./run-configuration.ts";
import { complete, displayOf, endpointOf, headersOf, readIssue, RUN_FLAGS, runSpecOf } from "./run-flags.ts";

/** The flags that shape a run and how it is shown, as `molt run` and `molt demo` list them. */
export const SHOWN_RUN_FLAGS = [
  "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit",
  "output", "json", "plain", "confirm", "theme", "screen-reader", "keep",
] as const;
export const SANDBOX_FLAGS = ["sandbox", "allow-network", "allow-domain", "mem-limit", "pass-env"] as const;
export const EVOLUTION_FLAGS = ["evolved", "fresh", "no-evolve", "reminder"] as const;

export const LIVE_KEYS = `On a terminal, runs show live: the agent's thought as it streams, each command, its output
clipped to a few lines (all of it is in events.jsonl), its tools as they are written and loaded.
Keys: t tools panel (↑/↓ choose) · p pause after this step · Esc Esc or Ctrl-C stop the run
(a second Ctrl-C forces the exit) · q or Enter leave the final view.`;

export const EVOLUTION_TEXT = `Self-evolution (on by default): the agent writes its own tools into $MOLT_EVOLVED; molt
checks them, loads the good ones as commands, and keeps them in the library for later runs.`;

export function runHelp(): string {
  return `Usage: molt run --model NAME [--repo DIR] (--issue TEXT | --issue-file FILE | < issue.md) [flags]

Works an issue in a private clone of the repository at HEAD (or --base), then writes the
agent's change as patch.diff. Your checkout, its branches and its index are never changed,
unless you pass --apply.

${flagHelp(pick(RUN_FLAGS, ["repo", "base", "issue", "issue-file", "model", "base-url", "config", "apply", "setup"]))}

The model's requests:
${flagHelp(pick(RUN_FLAGS, ["model-kwargs", "header", "cache-control", "price-in", "price-out", "price-cached", "retries", "request-timeout"]))}
${flagHelp(pick(RUN_FLAGS, SHOWN_RUN_FLAGS))}

${LIVE_KEYS}

Sandbox: commands run in a private workspace under bubblewrap.
${flagHelp(pick(RUN_FLAGS, SANDBOX_FLAGS))}

${EVOLUTION_TEXT}
${flagHelp(pick(RUN_FLAGS, EVOLUTION_FLAGS))}

The run folder holds events.jsonl (every event, one JSON line each, written as it happens),
patch.diff, <run id>.traj.json (mini-SWE-agent's trajectory layout), and snapshots.git (the
repository after each step that changed it, for molt replay; it borrows your repository's objects).
`;
}

/** `molt run`: works an issue in a private workspace of the repository and leaves a patch. */
export async function runCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(RUN_FLAGS, args);
  if (values.help) {
    io.stdout.write(runHelp());
    return 0;
  }
  const configuration = configurationOf(values, io.stderr);
  // What is wrong with the repository and the issue is said before what is wrong with the model's key.
  await checkedSource(complete(values).repo, values.base);
  const issue = await readIssue(values, process.stdin);
  const endpoint = endpointOf(values, process.env, configuration);
  const spec = runSpecOf(values, process.env, issue, endpoint, configuration);
  const display = displayOf(values, process.env, configuration);
  const view = viewKindOf(display, io);
  const prepared = await prepareRun(spec, { output: values.output, keep: values.keep, apply: values.apply, apiKey: endpoint.apiKey, headers: headersOf(values) });
  return presentRun(prepared, display, view, io);
}
