import { describe, expect, test } from "vitest";
import { z } from "zod";
import { fieldsOf, parseToolArgs, usageLine } from "../../tools/tool-args.ts";

/** A schema with one field of every shape a tool's input commonly has. */
const search = z.object({
  pattern: z.string().describe("what to look for"),
  limit: z.number().int().optional(),
  mode: z.enum(["fast", "slow"]).default("fast"),
  all: z.boolean().default(false),
  paths: z.array(z.string()).optional(),
  lines: z.array(z.number()).optional(),
  max_count: z.number().optional(),
  dryRun: z.boolean().optional(),
});

function parsed(args: string[], schema: z.ZodObject = search): unknown {
  const result = parseToolArgs(args, schema);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(args)} to parse, got: ${result.error}`);
  return result.input;
}

function failure(args: string[], schema: z.ZodObject = search): string {
  const result = parseToolArgs(args, schema);
  if (result.ok) throw new Error(`expected ${JSON.stringify(args)} to be refused, got ${JSON.stringify(result.input)}`);
  return result.error;
}

describe("usageLine", () => {
  test("puts required fields bare and optional or defaulted ones in brackets, with a placeholder per kind", () => {
    expect(usageLine("search", search)).toBe(
      "search --pattern <string> [--limit <number>] [--mode <fast|slow>] [--all] [--paths <string>...] [--lines <number>...] [--max_count <number>] [--dryRun]",
    );
  });

  test("a required field is not bracketed, whatever its kind", () => {
    const schema = z.object({ count: z.number(), kind: z.enum(["a", "b"]), force: z.boolean() });
    expect(usageLine("t", schema)).toBe("t --count <number> --kind <a|b> --force");
  });

  test("an empty schema gives just the name", () => {
    expect(usageLine("hello", z.object({}))).toBe("hello");
  });
});

describe("fieldsOf", () => {
  test("reports kind, required, enum values, item kind and description per field", () => {
    const fields = fieldsOf(search);
    expect(fields.map((field) => field.name)).toEqual(["pattern", "limit", "mode", "all", "paths", "lines", "max_count", "dryRun"]);
    const byName = Object.fromEntries(fields.map((field) => [field.name, field]));
    expect(byName.pattern).toMatchObject({ kind: "string", required: true, description: "what to look for" });
    expect(byName.limit).toMatchObject({ kind: "number", required: false });
    expect(byName.mode).toMatchObject({ kind: "enum", values: ["fast", "slow"], required: false });
    expect(byName.all).toMatchObject({ kind: "boolean", required: false });
    expect(byName.lines).toMatchObject({ kind: "array", itemKind: "number" });
  });

  test("a nullable number is still a number", () => {
    const [field] = fieldsOf(z.object({ n: z.number().nullable() }));
    expect(field).toMatchObject({ name: "n", kind: "number" });
  });
});

describe("parseToolArgs with flags", () => {
  test("fills defaults for what is not given", () => {
    expect(parsed(["--pattern", "TODO"])).toEqual({ pattern: "TODO", mode: "fast", all: false });
  });

  test("accepts --flag=value as well as --flag value", () => {
    expect(parsed(["--pattern=a=b", "--mode=slow"])).toEqual({ pattern: "a=b", mode: "slow", all: false });
  });

  test("a bare boolean flag is true", () => {
    expect(parsed(["--pattern", "x", "--all"])).toMatchObject({ all: true });
  });

  test("a boolean flag takes an explicit true or false after it", () => {
    const schema = z.object({ all: z.boolean().default(true), pattern: z.string() });
    expect(parsed(["--all", "false", "--pattern", "x"], schema)).toEqual({ all: false, pattern: "x" });
    expect(parsed(["--all", "true", "--pattern", "x"], schema)).toEqual({ all: true, pattern: "x" });
    expect(parsed(["--all=false", "--pattern", "x"], schema)).toEqual({ all: false, pattern: "x" });
  });

  test("--no-flag makes a boolean false, overriding a true default", () => {
    const schema = z.object({ all: z.boolean().default(true) });
    expect(parsed(["--no-all"], schema)).toEqual({ all: false });
  });

  test("a boolean field whose own name starts with no_ is set by its own flag, not negated", () => {
    const schema = z.object({ no_cache: z.boolean().optional() });
    expect(parsed(["--no-cache"], schema)).toEqual({ no_cache: true });
  });

  test("a boolean flag does not swallow the next flag", () => {
    expect(parsed(["--all", "--pattern", "x"])).toMatchObject({ all: true, pattern: "x" });
  });

  // A boolean flag only takes true or false: `--all=yes` must be a usage error, not a silent false.
  test("an unrecognised boolean value (--all=yes) is refused, not silently false", () => {
    expect(failure(["--pattern", "x", "--all=yes"])).toMatch(/all/);
  });

  test("numbers are coerced from strings, negative and fractional ones too", () => {
    const schema = z.object({ offset: z.number(), ratio: z.number().optional() });
    expect(parsed(["--offset", "-5", "--ratio", "0.25"], schema)).toEqual({ offset: -5, ratio: 0.25 });
  });

  test("a value that is not a number gives an error naming the field", () => {
    expect(failure(["--pattern", "x", "--limit", "ten"])).toMatch(/^--limit: .*number/);
  });

  test("an integer field refuses a fraction, naming the field", () => {
    expect(failure(["--pattern", "x", "--limit", "1.5"])).toMatch(/^--limit: /);
  });

  test("an empty string for a number is refused, not read as 0", () => {
    expect(failure(["--pattern", "x", "--limit", ""])).toMatch(/^--limit: /);
  });

  test("a string field keeps a number-looking value as a string", () => {
    expect(parsed(["--pattern", "42"])).toMatchObject({ pattern: "42" });
  });

  test("an enum value outside the choices is refused, naming the field and the choices", () => {
    const error = failure(["--pattern", "x", "--mode", "medium"]);
    expect(error).toMatch(/^--mode: /);
    expect(error).toContain("fast");
    expect(error).toContain("slow");
  });

  test("repeated flags fill an array, in order, with items coerced to the item kind", () => {
    expect(parsed(["--pattern", "x", "--paths", "b.ts", "--paths", "a.ts", "--lines", "3", "--lines", "1"])).toMatchObject({
      paths: ["b.ts", "a.ts"],
      lines: [3, 1],
    });
  });

  test("a single array flag gives a one-element array", () => {
    expect(parsed(["--pattern", "x", "--paths", "only.ts"])).toMatchObject({ paths: ["only.ts"] });
  });

  test("snake_case fields take kebab-case flags, and their own name", () => {
    expect(parsed(["--pattern", "x", "--max-count", "3"])).toMatchObject({ max_count: 3 });
    expect(parsed(["--pattern", "x", "--max_count", "4"])).toMatchObject({ max_count: 4 });
  });

  test("camelCase fields take kebab-case flags, negated ones too", () => {
    expect(parsed(["--pattern", "x", "--dry-run"])).toMatchObject({ dryRun: true });
    expect(parsed(["--pattern", "x", "--no-dry-run"])).toMatchObject({ dryRun: false });
    expect(parsed(["--pattern", "x", "--dryRun"])).toMatchObject({ dryRun: true });
  });

  test("an object field takes a JSON value", () => {
    const schema = z.object({ options: z.object({ depth: z.number() }) });
    expect(parsed(["--options", '{"depth": 2}'], schema)).toEqual({ options: { depth: 2 } });
  });

  test("a missing required field is refused, naming it", () => {
    expect(failure([])).toMatch(/^--pattern: /);
  });

  test("an unknown flag is refused, naming it", () => {
    expect(failure(["--pattern", "x", "--colour", "red"])).toBe("unknown option --colour");
  });

  test("--no- on a field that is not a boolean is an unknown option", () => {
    expect(failure(["--pattern", "x", "--no-limit"])).toBe("unknown option --no-limit");
  });

  test("a flag missing its value at the end is refused", () => {
    expect(failure(["--pattern"])).toBe("--pattern needs a value");
    expect(failure(["--pattern", "x", "--max-count"])).toBe("--max-count needs a value");
  });

  test("a stray positional argument is refused, naming it", () => {
    expect(failure(["--pattern", "x", "extra"])).toBe('unexpected argument "extra"');
    expect(failure(["x"])).toBe('unexpected argument "x"');
  });
});

describe("parseToolArgs with one JSON argument", () => {
  test("takes the input from the JSON object, with defaults filled", () => {
    expect(parsed(['{"pattern": "TODO", "limit": 2, "paths": ["a", "b"]}'])).toEqual({
      pattern: "TODO",
      limit: 2,
      paths: ["a", "b"],
      mode: "fast",
      all: false,
    });
  });

  test("leading whitespace before the JSON is fine", () => {
    expect(parsed(['  {"pattern": "x"}'])).toMatchObject({ pattern: "x" });
  });

  test("the JSON is validated by the schema, with the field named", () => {
    expect(failure(['{"pattern": "x", "limit": "ten"}'])).toMatch(/^--limit: /);
    expect(failure(['{"limit": 3}'])).toMatch(/^--pattern: /);
  });

  test("JSON values are not coerced from strings: a JSON string is no number", () => {
    expect(failure(['{"pattern": "x", "limit": "5"}'])).toMatch(/^--limit: /);
  });

  test("invalid JSON is refused with a clear message", () => {
    expect(failure(['{"pattern": "x"'])).toBe("the argument looks like JSON but is not valid JSON");
    expect(failure(["{pattern: x}"])).toBe("the argument looks like JSON but is not valid JSON");
  });

  test("a single value that does not look like JSON is a stray positional", () => {
    expect(failure(['["x"]'])).toBe('unexpected argument "["x"]"');
  });
});
