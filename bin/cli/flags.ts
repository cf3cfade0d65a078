import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { z } from "zod";
import { UsageError } from "./usage-error.ts";

/**
 * One flag of a command, declared once: how it is written, how its value is checked, its help line
 * and the config key it stands for. Parsing, `--help` and config overrides all read the same table,
 * so what a command accepts and what its help says cannot drift apart.
 */
export interface Flag<S extends z.ZodType = z.ZodType> {
  /** The value's placeholder in help (`N`, `DIR`); a flag without one is a switch. */
  value?: string;
  short?: string;
  /** Given more than once, it collects its values. */
  multiple?: boolean;
  /** Checks and converts what was given (a string, a list of them, or true for a switch), default included. */
  schema: S;
  /** What it does, for --help; wrapped to the terminal's width. */
  help: string;
  /** The key of a mini-SWE-agent config file this flag overrides (`agent.step_limit`). */
  config?: string;
  /** How a bad value is shown back in the error (a URL without its password); as given when absent. */
  echo?: (value: string) => string;
}

export type FlagTable = Record<string, Flag>;
export type FlagValues<T extends FlagTable> = { [K in keyof T]: z.output<T[K]["schema"]> };

/** Declares a flag, keeping its schema's type. */
export function flag<S extends z.ZodType>(definition: Flag<S>): Flag<S> {
  return definition;
}

/** These flags of a table, in the order given. */
export function pick<T extends FlagTable, K extends keyof T & string>(table: T, names: readonly K[]): Pick<T, K> {
  return Object.fromEntries(names.map((name) => [name, table[name]])) as Pick<T, K>;
}

export interface Parsed<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
  /** The flags given, as written (a string, strings, or true): for passing them on to another command line. */
  given: Partial<Record<keyof T, string | boolean | (string | boolean)[]>>;
}

/** Parses a command line against a table: an unknown flag, a missing value or a bad one is a UsageError of one line. */
export function parseFlags<T extends FlagTable>(table: T, args: readonly string[], options: { positionals?: boolean } = {}): Parsed<T> {
  const spec: ParseArgsOptionsConfig = Object.fromEntries(
    Object.entries(table).map(([name, definition]) => [
      name,
      { type: definition.value === undefined ? "boolean" : "string", multiple: definition.multiple ?? false, ...(definition.short ? { short: definition.short } : {}) },
    ]),
  );
  let raw: { values: Record<string, unknown>; positionals: string[] };
  try {
    raw = parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: options.positionals ?? false });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const values: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(table)) {
    const given = raw.values[name];
    const parsed = definition.schema.safeParse(given);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const got = Array.isArray(given) && typeof issue.path[0] === "number" ? given[issue.path[0]] : given;
      const shown = got === undefined ? undefined : definition.echo ? definition.echo(String(got)) : String(got);
      throw new UsageError(`--${name} ${issue.message}${shown === undefined ? "" : ` (got "${shown}")`}`);
    }
    values[name] = parsed.data;
  }
  return { values: values as FlagValues<T>, positionals: raw.positionals, given: raw.values as Parsed<T>["given"] };
}

/** These flags as they were given, written out again for another command line. */
export function argvOf<T extends FlagTable>(given: Parsed<T>["given"], names: readonly (keyof T & string)[]): string[] {
  return names.flatMap((name) => {
    const value = given[name];
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).flatMap((one) => (one === true ? [`--${name}`] : one === false ? [] : [`--${name}`, one]));
  });
}

export function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}"`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split("\n", 1)[0]!;
}

/** Where descriptions start in help, and how wide help is. */
const DESCRIPTION_COLUMN = 22;
const HELP_WIDTH = 100;

/** The help lines of these flags: `  -o, --output DIR    where …`, descriptions wrapped and aligned. */
export function flagHelp(table: FlagTable): string {
  return Object.entries(table)
    .map(([name, definition]) => {
      const left = `  ${definition.short ? `-${definition.short}, ` : ""}--${name}${definition.value ? ` ${definition.value}` : ""}`;
      const first = left.length < DESCRIPTION_COLUMN ? left.padEnd(DESCRIPTION_COLUMN) : `${left} `;
      const lines = wrap(definition.help, HELP_WIDTH - DESCRIPTION_COLUMN, HELP_WIDTH - first.length);
      return [first + (lines[0] ?? ""), ...lines.slice(1).map((line) => " ".repeat(DESCRIPTION_COLUMN) + line)].join("\n");
    })
    .join("\n");
}

/** Words in lines of at most `width` characters, the first line `firstWidth`. */
function wrap(text: string, width: number, firstWidth = width): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line !== "" && line.length + 1 + word.length > (lines.length === 0 ? firstWidth : width)) {
        lines.push(line);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}
