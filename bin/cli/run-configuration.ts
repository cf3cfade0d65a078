import { ConfigError, parseConfigArgument, type ConfigSource } from "../../core/config/config.ts";
import { loadConfiguration, type Configuration } from "../../core/config/configuration.ts";
import { RUN_FLAGS, type RunValues } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The configuration a command line asks for: molt's own, or the files it names, then its
 * `-c key=value` settings, then the flags that stand for configuration keys (they win). What molt
 * takes differently, and keys it does not know, are said once on `notes`.
 */
export function configurationOf(values: RunValues, notes: { write(text: string): unknown }): Configuration {
  let configuration: Configuration;
  try {
    const sources = [...(values.config ?? []).map(parseConfigArgument), ...flagSettings(values)];
    configuration = loadConfiguration(sources, values["action-format"]);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  for (const note of configuration.notes) notes.write(`molt: config: ${note}\n`);
  if (configuration.unknown.length > 0) notes.write(`molt: config: unknown keys, ignored: ${configuration.unknown.join(", ")}\n`);
  return configuration;
}

/** The flags given that set configuration keys, as settings after the files. */
function flagSettings(values: RunValues): ConfigSource[] {
  const settings: ConfigSource[] = [];
  for (const [name, definition] of Object.entries(RUN_FLAGS)) {
    const value = values[name as keyof RunValues];
    if (definition.config === undefined || value === undefined || name === "action-format") continue;
    if (name === "confirm") {
      if (value === true) settings.push({ kind: "set", key: "agent.mode", value: "confirm" });
    } else if (name === "model-kwargs") {
      // Key by key, over the configuration's own.
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) settings.push({ kind: "set", key: `model.model_kwargs.${key}`, value: inner });
    } else if (name === "cache-control") settings.push({ kind: "set", key: definition.config, value: value === "none" ? null : value });
    else settings.push({ kind: "set", key: definition.config, value });
  }
  return settings;
}
