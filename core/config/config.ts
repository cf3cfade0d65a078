import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml, stringify as toYaml } from "yaml";

/**
 * Configuration as mini-SWE-agent keeps it: YAML files of `agent`, `environment` and `model`
 * settings (its 1.x and 2.x layouts both), merged in order, with `key.path=value` overrides.
 * This module reads and merges them and says what molt makes of each key; configuration.ts turns
 * the result into the parts of a run's spec.
 */

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type ConfigTree = { [key: string]: unknown };

/** One `-c` argument: a file, or one value set by its dotted key. */
export type ConfigSource = { kind: "file"; path: string } | { kind: "set"; key: string; value: unknown };

/** molt's own configuration: what a run uses when no file is named. */
export const MOLT_DEFAULT_CONFIG = new URL("./default.yaml", import.meta.url);

/**
 * `-c` as mini-SWE-agent reads it: an argument with `=` sets one value (parsed as JSON, else taken
 * as a string: `agent.step_limit=50`, `agent.mode=yolo`); any other names a YAML file.
 */
export function parseConfigArgument(argument: string): ConfigSource {
  const equals = argument.indexOf("=");
  if (equals < 0) return { kind: "file", path: argument };
  const key = argument.slice(0, equals);
  if (key === "" || key.split(".").some((part) => part === "")) throw new ConfigError(`-c ${argument}: the key before "=" must be a dotted path such as agent.step_limit`);
  const text = argument.slice(equals + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return { kind: "set", key, value };
}

/** A YAML configuration file, read as mini-SWE-agent reads it (YAML 1.1, as PyYAML: `off` is false). */
export function readConfigFile(path: string | URL): ConfigTree {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read the config file ${String(path)}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (code ?? "unreadable")}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text, { version: "1.1" }) ?? {};
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n", 1)[0]!.replace(/:$/, "") : String(error);
    throw new ConfigError(`${String(path)}: not valid YAML (${message})`);
  }
  if (!isTree(value)) throw new ConfigError(`${String(path)}: not a configuration (its top is not a mapping of sections such as agent:, environment:, model:)`);
  return value;
}

/** The sources merged in order onto `base`: mappings merge key by key, anything else is replaced. */
export function mergeConfig(base: ConfigTree, sources: readonly ConfigSource[]): ConfigTree {
  let merged = base;
  for (const source of sources) {
    if (source.kind === "file") merged = merge(merged, readConfigFile(builtinOr(source.path)));
    else merged = merge(merged, nested(source.key.split("."), source.value));
  }
  return merged;
}

/** `-c default` (or default.yaml) names molt's own configuration, unless a file of that name is here. */
function builtinOr(path: string): string | URL {
  return (path === "default" || path === "default.yaml") && !existsSync(path) ? MOLT_DEFAULT_CONFIG : path;
}

export function merge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const before = out[key];
    out[key] = isTree(before) && isTree(value) ? merge(before, value) : value;
  }
  return out;
}

function nested(path: readonly string[], value: unknown): ConfigTree {
  const [head, ...rest] = path;
  return { [head!]: rest.length === 0 ? value : nested(rest, value) };
}

export function isTree(value: unknown): value is ConfigTree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, if there is one. */
export function valueAt(tree: ConfigTree, path: string): unknown {
  let at: unknown = tree;
  for (const part of path.split(".")) {
    if (!isTree(at)) return undefined;
    at = at[part];
  }
  return at;
}

/** The configuration as YAML, in mini-SWE-agent 2's layout, long templates as block scalars. */
export function configYaml(tree: ConfigTree): string {
  return toYaml(tree, { lineWidth: 0, blockQuote: "literal" });
}
