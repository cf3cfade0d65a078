import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../sandbox/workspace.ts";
import { gitOut, tempDir, writeFiles } from "./helpers.ts";

// Two repositories in a --repos-dir layout with real bugs, three instances and a script for each:
// what the `molt batch` tests run.

export const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
export const IDENTITY = { GIT_AUTHOR_NAME: "test", GIT_AUTHOR_EMAIL: "t@molt.invalid", GIT_COMMITTER_NAME: "test", GIT_COMMITTER_EMAIL: "t@molt.invalid" };

export interface BatchFixture {
  root: string;
  reposDir: string;
  scripts: string;
  instancesFile: string;
  instances: Record<string, unknown>[];
}

async function commitRepo(dir: string, files: Record<string, string>): Promise<string> {
  await writeFiles(dir, files);
  await git(dir, IDENTITY).init().add(".").commit("initial");
  return gitOut(dir, "rev-parse", "HEAD");
}

/** The task set; `scripts` replaces the scripts that fix each bug and submit. */
export async function batchFixture(scripts?: Record<string, unknown[]>): Promise<BatchFixture> {
  const root = await tempDir("molt-batch-");
  const reposDir = join(root, "repos");
  const calcBase = await commitRepo(join(reposDir, "acme__calc"), {
    "calc.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a + b;\n",
    ".gitignore": "node_modules/\n",
  });
  const textBase = await commitRepo(join(reposDir, "acme__text"), { "text.js": "export const shout = (s) => s.toLowerCase();\n" });
  const instances = [
    { instance_id: "acme__calc-1", repo: "acme/calc", base_commit: calcBase, problem_statement: "add() subtracts", FAIL_TO_PASS: '["test_add"]', PASS_TO_PASS: "[]" },
    { instance_id: "acme__calc-2", repo: "acme/calc", base_commit: calcBase, problem_statement: "mul() adds", hints_text: "see calc.js", FAIL_TO_PASS: ["test_mul"] },
    { instance_id: "acme__text-1", repo: "acme/text", base_commit: textBase, problem_statement: "shout() whispers" },
  ];
  const instancesFile = join(root, "instances.jsonl");
  await writeFile(instancesFile, instances.map((instance) => JSON.stringify(instance)).join("\n") + "\n");
  const scriptsDir = join(root, "scripts");
  await writeScripts(scriptsDir, scripts ?? {
    "acme__calc-1": [{ command: "sed -i 's/a - b/a + b/' calc.js" }, SUBMIT],
    "acme__calc-2": [{ command: "sed -i 's/=> a + b;$/=> a * b;/' calc.js" }, SUBMIT],
    // An endpoint that reads most of the input from its prompt cache.
    "acme__text-1": [{ command: "sed -i 's/toLowerCase/toUpperCase/' text.js", usage: { prompt: 4000, completion: 30, cached: 3000 } }, { ...SUBMIT, usage: { prompt: 4100, completion: 20, cached: 4000 } }],
  });
  return { root, reposDir, scripts: scriptsDir, instancesFile, instances };
}

export async function writeScripts(dir: string, scripts: Record<string, unknown[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [id, script] of Object.entries(scripts)) await writeFile(join(dir, `${id}.json`), JSON.stringify(script));
}

