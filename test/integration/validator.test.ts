import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ToolValidator, type ValidationResult } from "../../tools/validator.ts";
import type { ToolDiagnostic } from "../../core/events/events.ts";

let root: string;
/** The evolved folder the tool files are written to. */
let dir: string;
let validator: ToolValidator;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "molt-validator-test-"));
  dir = join(root, "evolved");
  await mkdir(dir);
  validator = new ToolValidator({ searchPath: process.env.PATH! });
  // The first check loads the compiler and the library types: about a second, more on a slow machine.
  validator.warmUp(dir);
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const HEADER = 'import { defineTool, z } from "molt/tool";\n';

/** A correct tool called `name`, with `before` lines between the contract import and the definition. */
function tool(name: string, before = "", run = 'return "ok";'): string {
  return `${HEADER}${before}export default defineTool({\n  name: "${name}",\n  description: "a test tool",\n  input: z.object({ path: z.string() }),\n  async run({ path }, ctx) {\n    ${run}\n  },\n});\n`;
}

async function check(file: string, source: string): Promise<ValidationResult> {
  await writeFile(join(dir, file), source);
  return validator.validate(join(dir, file), `evolved/${file}`);
}

function codes(result: ValidationResult): string[] {
  return result.diagnostics.map((diagnostic) => diagnostic.code);
}

function only(result: ValidationResult, code: string): ToolDiagnostic {
  const matching = result.diagnostics.filter((diagnostic) => diagnostic.code === code);
  expect(matching, JSON.stringify(result.diagnostics)).toHaveLength(1);
  return matching[0]!;
}

describe("a good tool", () => {
  test("passes with no diagnostics", async () => {
    const result = await check("count_words.ts", tool("count_words", "", "return (await ctx.exec(`wc -w ${path}`)).stdout + ctx.cwd;"));
    expect(result).toMatchObject({ kind: "tool", name: "count_words", ok: true, diagnostics: [] });
    expect(result.ms).toBeGreaterThanOrEqual(0);
  });

  test("passes with examples typed against the input", async () => {
    const source = `${HEADER}export default defineTool({
  name: "with_examples",
  description: "d",
  input: z.object({ n: z.number().default(1) }),
  examples: [{ input: {}, expect: "1" }, { input: { n: 2 } }],
  run({ n }) { return String(n); },
});
`;
    expect((await check("with_examples.ts", source)).ok).toBe(true);
  });
});

describe("TypeScript's own checks", () => {
  test("a syntax error gives a TS1xxx diagnostic at its line and column, and nothing else", async () => {
    const source = `${HEADER}export default defineTool({\n  name: "broken_syntax",\n  description: "d",\n  input: z.object({}),\n  run() { return "x" ;\n`;
    const result = await check("broken_syntax.ts", source);
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toHaveLength(1);
    const [diagnostic] = result.diagnostics;
    expect(diagnostic!.code).toMatch(/^TS1\d{3}$/);
    expect(diagnostic).toMatchObject({ file: "evolved/broken_syntax.ts", line: 7, column: 1 });
  });

  test("a type error gives TS2322 at the offending name", async () => {
    const result = await check("type_error.ts", tool("type_error", 'const limit: number = "ten";\n', "return path + limit;"));
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      { file: "evolved/type_error.ts", line: 2, column: 7, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." },
    ]);
  });

  test("run returning a number instead of text is a type error", async () => {
    const result = await check("returns_number.ts", tool("returns_number", "", "return path.length;"));
    expect(result.ok).toBe(false);
    expect(codes(result)).toContain("TS2322");
  });

  test("strict mode: an implicit any is an error", async () => {
    const result = await check("implicit_any.ts", tool("implicit_any", "function twice(x) { return x + x; }\n", "return twice(path);"));
    expect(codes(result)).toEqual(["TS7006"]);
    expect(result.diagnostics[0]).toMatchObject({ line: 2, column: 16 });
  });

  test("enums are refused (erasableSyntaxOnly): Node cannot strip them", async () => {
    const result = await check("uses_enum.ts", tool("uses_enum", "enum Mode { Fast, Slow }\n", "return path + Mode.Fast;"));
    expect(result.ok).toBe(false);
    expect(only(result, "TS1294")).toMatchObject({ line: 2, column: 6 });
  });

  test("parameter properties are refused too", async () => {
    const result = await check("param_props.ts", tool("param_props", "class Box { constructor(public value: string) {} }\n", "return new Box(path).value;"));
    expect(codes(result)).toEqual(["TS1294"]);
  });
});

describe("the default export", () => {
  test("an object that is not a defineTool call is refused with molt:export at the export", async () => {
    const source = `${HEADER}\nexport default {\n  name: "plain_object",\n  description: "d",\n  input: z.object({}),\n  run() { return "x"; },\n};\n`;
    const result = await check("plain_object.ts", source);
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(["molt:export"]);
    expect(result.diagnostics[0]).toMatchObject({ file: "evolved/plain_object.ts", line: 3, column: 1 });
    expect(result.diagnostics[0]!.message).toContain("defineTool");
  });

  test("a module with no default export is refused with molt:export", async () => {
    const source = `${HEADER}export const tool = defineTool({ name: "no_default", description: "d", input: z.object({}), run() { return "x"; } });\n`;
    const result = await check("no_default.ts", source);
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(["molt:export"]);
  });

  test("a name that differs from the file name is refused with molt:name at the name", async () => {
    const result = await check("file_name.ts", tool("other_name"));
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: "molt:name", file: "evolved/file_name.ts", line: 3, column: 9 })]);
    expect(result.diagnostics[0]!.message).toContain("other_name");
  });

  test("a name that is not a string literal is refused with molt:name", async () => {
    const source = `${HEADER}const toolName = "computed_name";\nexport default defineTool({ name: toolName, description: "d", input: z.object({}), run() { return "x"; } });\n`;
    const result = await check("computed_name.ts", source);
    expect(codes(result)).toEqual(["molt:name"]);
  });
});

describe("imports", () => {
  test.each([
    ["a package", "from_package", 'import _ from "lodash";\n', '"lodash" is not allowed'],
    ["a built-in without node:", "bare_builtin", 'import { readFileSync } from "fs";\n', 'write "node:fs"'],
    ["a file outside the folder", "outside_import", 'import "../outside.ts";\n', "outside the evolved folder"],
    ["a sibling without .ts", "no_extension", 'import "./_util";\n', "with their .ts extension"],
    ["a re-export from a package", "re_export", 'export { x } from "lodash";\n', '"lodash" is not allowed'],
    ["a file in a subfolder", "sub_import", 'import "./lib/_util.ts";\n', "in a subfolder"],
    ["node:child_process", "spawns", 'import { spawn } from "node:child_process";\n', "run commands with ctx.exec"],
  ])("%s is refused with molt:import at the specifier", async (_label, name, line, message) => {
    const result = await check(`${name}.ts`, tool(name, line));
    expect(result.ok).toBe(false);
    const diagnostic = only(result, "molt:import");
    expect(diagnostic.line).toBe(2);
    expect(diagnostic.message).toContain(message);
  });

  test("a dynamic import or require of a package is refused", async () => {
    const result = await check("dynamic_import.ts", tool("dynamic_import", "", 'await import("lodash"); return String(require("left-pad"));'));
    expect(codes(result).filter((code) => code === "molt:import")).toHaveLength(2);
  });

  test("a dynamic import of a computed name is refused", async () => {
    const result = await check("computed_import.ts", tool("computed_import", "", 'const which = "node:os"; await import(which); return path;'));
    expect(only(result, "molt:import").message).toContain("plain string");
  });

  test("node: built-ins, molt/tool and an existing sibling helper are allowed", async () => {
    await writeFile(join(dir, "_util.ts"), "export function shout(text: string): string {\n  return text.toUpperCase();\n}\n");
    const imports = 'import { readFile } from "node:fs/promises";\nimport { join } from "node:path";\nimport { shout } from "./_util.ts";\n';
    const result = await check("allowed_imports.ts", tool("allowed_imports", imports, "return shout(await readFile(join(ctx.cwd, path), 'utf8'));"));
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test("a /// <reference> is refused with molt:reference, and the file it names is never read", async () => {
    await writeFile(join(root, "declares.ts"), 'declare const declaredOutside: "outside";\n');
    const result = await check("referencing.ts", `/// <reference path="${join(root, "declares.ts")}" />\n${tool("referencing", "", "return declaredOutside;")}`);
    expect(only(result, "molt:reference")).toMatchObject({ line: 1, column: 1 });
    expect(only(result, "TS2304").message).toContain("declaredOutside");
  });

  test("a sibling that is a link is refused with molt:import, and what it links to is never read", async () => {
    await writeFile(join(root, "outside.ts"), 'export const hidden = "outside";\n');
    await symlink(join(root, "outside.ts"), join(dir, "_linked.ts"));
    const result = await check("imports_link.ts", tool("imports_link", 'import { hidden } from "./_linked.ts";\n', "return hidden;"));
    expect(only(result, "molt:import").message).toContain("is a link");
    expect(codes(result)).toContain("TS2307");
  });

  test("a file over 1 MiB is refused with molt:file, unread", async () => {
    const result = await check("too_big.ts", tool("too_big") + `// ${"x".repeat(1024 ** 2)}\n`);
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: "molt:file", message: expect.stringMatching(/is 1\.0 MiB; a tool file may be at most 1 MiB$/) })]);
  });

  test("a sibling that does not exist is a TypeScript error", async () => {
    const result = await check("missing_sibling.ts", tool("missing_sibling", 'import { nothing } from "./_missing.ts";\n', "return nothing;"));
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(["TS2307"]);
  });
});

describe("names", () => {
  test("a tool named like a command on PATH is refused with molt:name", async () => {
    const result = await check("grep.ts", tool("grep"));
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(["molt:name"]);
    expect(result.diagnostics[0]!.message).toContain("already a command");
  });

  test.each(["cd", "until"])("a tool named like the bash builtin or keyword %s, which is not on PATH, is refused with molt:name", async (name) => {
    const onPath = process.env.PATH!.split(delimiter).some((folder) => existsSync(join(folder, name)));
    expect(onPath, `${name} should not be a command on PATH for this test to mean anything`).toBe(false);
    const result = await check(`${name}.ts`, tool(name));
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(["molt:name"]);
    expect(result.diagnostics[0]).toMatchObject({ file: `evolved/${name}.ts`, line: 1, column: 1 });
  });

  test("a name that is not lowercase snake_case is refused with molt:name", async () => {
    const result = await check("CountWords.ts", tool("CountWords"));
    expect(result.ok).toBe(false);
    expect(result.kind).toBe("tool");
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: "molt:name", file: "evolved/CountWords.ts", line: 1, column: 1 })]);
    expect(result.diagnostics[0]!.message).toContain("lowercase");
  });

  test("a name with a dash is refused", async () => {
    expect(codes(await check("count-words.ts", tool("count-words")))).toContain("molt:name");
  });
});

describe("helpers", () => {
  test("a _helper module is checked as kind helper and needs no defineTool", async () => {
    const result = await check("_paths.ts", 'import { join } from "node:path";\nexport function under(root: string, file: string): string {\n  return join(root, file);\n}\n');
    expect(result).toMatchObject({ kind: "helper", name: "_paths", ok: true, diagnostics: [] });
  });

  test("a helper still gets type and import checks", async () => {
    const result = await check("_bad_helper.ts", 'import _ from "lodash";\nexport const n: number = "one";\n');
    expect(result.kind).toBe("helper");
    expect(codes(result)).toEqual(expect.arrayContaining(["molt:import", "TS2322"]));
  });

  test("a tool sees a helper's new exports once the changed helper is checked again", async () => {
    await check("_shared.ts", 'export const a = "a";\n');
    const first = await check("uses_shared.ts", tool("uses_shared", 'import { b } from "./_shared.ts";\n', "return b + path;"));
    expect(codes(first)).toEqual(["TS2305"]);
    expect((await check("_shared.ts", 'export const a = "a";\nexport const b = "b";\n')).ok).toBe(true);
    expect(validator.validate(join(dir, "uses_shared.ts"), "evolved/uses_shared.ts").ok).toBe(true);
  });
});

describe("files on disk", () => {
  test("a file changed between two checks is read again: first bad, then fixed", async () => {
    const bad = await check("fixed_later.ts", tool("fixed_later", "", "return 42;"));
    expect(bad.ok).toBe(false);
    expect(codes(bad)).toContain("TS2322");
    const good = await check("fixed_later.ts", tool("fixed_later"));
    expect(good).toMatchObject({ ok: true, diagnostics: [] });
    const badAgain = await check("fixed_later.ts", tool("fixed_later", "const x: string = 1;\n"));
    expect(codes(badAgain)).toEqual(["TS2322"]);
  });

  test("the diagnostic file is the display path given, or the real path without one", async () => {
    await writeFile(join(dir, "display_path.ts"), tool("display_path", "const x: string = 1;\n"));
    const shown = validator.validate(join(dir, "display_path.ts"), "somewhere/else.ts");
    expect(shown.diagnostics.map((diagnostic) => diagnostic.file)).toEqual(["somewhere/else.ts"]);
    const plain = validator.validate(join(dir, "display_path.ts"));
    expect(plain.diagnostics.map((diagnostic) => diagnostic.file)).toEqual([join(dir, "display_path.ts")]);
  });

  test("a file that does not exist gives molt:file", () => {
    const result = validator.validate(join(dir, "never_written.ts"), "evolved/never_written.ts");
    expect(result).toMatchObject({ ok: false, diagnostics: [{ code: "molt:file", file: "evolved/never_written.ts" }] });
  });

  test("forget, then a new file under the same name is checked afresh", async () => {
    expect((await check("forgotten.ts", tool("forgotten", "", "return 1;"))).ok).toBe(false);
    await rm(join(dir, "forgotten.ts"));
    validator.forget(join(dir, "forgotten.ts"));
    expect(validator.validate(join(dir, "forgotten.ts")).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(["molt:file"]);
    expect((await check("forgotten.ts", tool("forgotten"))).ok).toBe(true);
  });

  // A file checked before and deleted since must give molt:file, not crash the checker (which would
  // leave every later check of the run unanswered).
  test("a file deleted since its last check gives molt:file rather than throwing", async () => {
    expect((await check("deleted_later.ts", tool("deleted_later"))).ok).toBe(true);
    await rm(join(dir, "deleted_later.ts"));
    const result = validator.validate(join(dir, "deleted_later.ts"), "evolved/deleted_later.ts");
    expect(result).toMatchObject({ ok: false, diagnostics: [{ code: "molt:file" }] });
  });
});
