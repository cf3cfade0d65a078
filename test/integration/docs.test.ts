import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ToolValidator } from "../../tools/validator.ts";
import { cleanUp, tempDir } from "../helpers.ts";

// The tools the documentation shows must pass molt's own checks, or readers (and models) learn a broken contract.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let validator: ToolValidator;
let folder: string;

beforeAll(async () => {
  validator = new ToolValidator({ searchPath: process.env.PATH ?? "" });
  folder = join(await tempDir(), "evolved");
  await mkdir(join(folder, "node_modules"), { recursive: true });
  await symlink(ROOT, join(folder, "node_modules", "molt"), "dir");
}, 60_000);

afterAll(cleanUp);

async function documentedTools(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((code) => code.includes("defineTool({"));
}

test.each(["README.md", "evolved/README.md"])("the tools shown in %s pass validation", async (doc) => {
  const tools = await documentedTools(doc);
  expect(tools.length).toBeGreaterThan(0);
  for (const source of tools) {
    const name = /name: "([a-z_]+)"/.exec(source)![1]!;
    const path = join(folder, `${name}.ts`);
    await writeFile(path, source);
    const result = validator.validate(path, `evolved/${name}.ts`);
    expect(result.diagnostics).toEqual([]);
  }
});

test("the tool in the system prompt passes validation", async () => {
  const { evolutionPrompt } = await import("../../tools/evolution-prompt.ts");
  const source = /```ts\n([\s\S]*?)```/.exec(evolutionPrompt("/x", []))![1]!;
  const path = join(folder, "count_lines.ts");
  await writeFile(path, source);
  expect(validator.validate(path).diagnostics).toEqual([]);
});
