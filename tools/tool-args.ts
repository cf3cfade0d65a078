import { z } from "zod";

/** The command-line face of a tool's input schema: `name --field value ...` or `name '<json>'`. */

interface FieldShape {
  name: string;
  kind: "string" | "number" | "boolean" | "array" | "object" | "enum" | "other";
  itemKind?: FieldShape["kind"];
  values?: string[];
  required: boolean;
  description?: string;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  anyOf?: JsonSchema[];
};

function kindOf(schema: JsonSchema | undefined): FieldShape["kind"] {
  if (!schema) return "other";
  if (schema.enum) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "integer" || type === "number") return "number";
  if (type === "string" || type === "boolean" || type === "array" || type === "object") return type;
  if (schema.anyOf) return kindOf(schema.anyOf.find((option) => option.type !== "null"));
  return "other";
}

/** The fields of an object schema, as flags see them. */
export function fieldsOf(schema: z.ZodObject): FieldShape[] {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  } catch {
    json = { properties: Object.fromEntries(Object.keys(schema.shape).map((key) => [key, {}])) };
  }
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, field]) => ({
    name,
    kind: kindOf(field),
    itemKind: field.items ? kindOf(field.items) : undefined,
    values: field.enum?.map(String),
    required: required.has(name),
    description: field.description,
  }));
}

function placeholder(field: FieldShape): string {
  if (field.kind === "enum" && field.values) return `<${field.values.join("|")}>`;
  if (field.kind === "array") return `<${field.itemKind ?? "value"}>...`;
  return `<${field.kind === "other" ? "value" : field.kind}>`;
}

/** One line: how to call the tool. */
export function usageLine(name: string, schema: z.ZodObject): string {
  const parts = fieldsOf(schema).map((field) => {
    const flag = field.kind === "boolean" ? `--${field.name}` : `--${field.name} ${placeholder(field)}`;
    return field.required ? flag : `[${flag}]`;
  });
  return [name, ...parts].join(" ");
}

export type ParsedArgs = { ok: true; input: unknown } | { ok: false; error: string };

/** Turns a command line into the tool's input, validated (and coerced) by its schema. */
export function parseToolArgs(args: readonly string[], schema: z.ZodObject): ParsedArgs {
  let raw: unknown;
  if (args.length === 1 && args[0]!.trim().startsWith("{")) {
    try {
      raw = JSON.parse(args[0]!);
    } catch {
      return { ok: false, error: "the argument looks like JSON but is not valid JSON" };
    }
  } else {
    const flags = flagsToRecord(args, fieldsOf(schema));
    if (!flags.ok) return flags;
    raw = flags.input;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, input: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `--${issue.path.join(".")}: ` : "";
  return { ok: false, error: `${where}${issue?.message ?? "invalid input"}` };
}

function flagsToRecord(args: readonly string[], fields: FieldShape[]): ParsedArgs {
  const byName = new Map<string, FieldShape>();
  for (const field of fields) {
    byName.set(field.name, field);
    byName.set(field.name.replace(/_/g, "-"), field);
    byName.set(field.name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), field);
  }
  const record: Record<string, unknown> = {};
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith("--")) return { ok: false, error: `unexpected argument "${arg}"` };
    let flag = arg.slice(2);
    let value: string | undefined;
    const equals = flag.indexOf("=");
    if (equals >= 0) {
      value = flag.slice(equals + 1);
      flag = flag.slice(0, equals);
    }
    const negated = flag.startsWith("no-") && !byName.has(flag) ? byName.get(flag.slice(3)) : undefined;
    if (negated?.kind === "boolean") {
      record[negated.name] = false;
      continue;
    }
    const field = byName.get(flag);
    if (!field) return { ok: false, error: `unknown option --${flag}` };
    if (field.kind === "boolean") {
      const next = value ?? (args[index + 1] === "true" || args[index + 1] === "false" ? args[++index] : undefined);
      if (next !== undefined && next !== "true" && next !== "false") return { ok: false, error: `--${flag} is true or false, not "${next}"` };
      record[field.name] = next === undefined ? true : next === "true";
      continue;
    }
    if (value === undefined) {
      const next = args[index + 1];
      if (next === undefined || (next.startsWith("--") && byName.has(next.slice(2).split("=")[0]!))) return { ok: false, error: `--${flag} needs a value` };
      value = next;
      index++;
    }
    const coerced = coerce(value, field.kind === "array" ? field.itemKind : field.kind);
    if (field.kind === "array") record[field.name] = [...((record[field.name] as unknown[] | undefined) ?? []), coerced];
    else record[field.name] = coerced;
  }
  return { ok: true, input: record };
}

function coerce(value: string, kind: FieldShape["kind"] | undefined): unknown {
  if (kind === "number") {
    const number = Number(value);
    return value.trim() !== "" && Number.isFinite(number) ? number : value;
  }
  if (kind === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (kind === "object") {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}
