import { configYaml } from "../../core/config/config.ts";
import { effectiveTree } from "../../core/config/configuration.ts";
import { flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { configurationOf } from "./run-configuration.ts";
import { RUN_FLAGS } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

export const CONFIG_FLAGS = pick(RUN_FLAGS, ["config", "model", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "confirm", "help"]);

export function configHelp(): string {
  return `Usage: molt config show [-c FILE|KEY=VALUE]... [flags]

Prints the configuration a run with these arguments would use, as YAML in mini-SWE-agent 2's
layout: molt's own (core/config/default.yaml) when no file is named, else the files' merged in
order, then the -c settings, then the flags. Templates are Jinja2, rendered as Python's Jinja2
renders them; a run checks every variable they use before it starts.

${flagHelp(pick(CONFIG_FLAGS, ["config", "model", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "confirm"]))}
`;
}

/** `molt config show`: the effective configuration, as YAML. */
export async function configCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseFlags(CONFIG_FLAGS, args, { positionals: true });
  if (values.help || positionals.length === 0) {
    io.stdout.write(configHelp());
    return 0;
  }
  const [action, ...extra] = positionals;
  if (action !== "show") throw new UsageError(`unknown config action "${action}" (molt config show)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  io.stdout.write(configYaml(effectiveTree(configurationOf(values, io.stderr))));
  return 0;
}
