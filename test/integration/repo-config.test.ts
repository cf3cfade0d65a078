import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { EvalReport } from "../../core/eval/eval-report.ts";
import { batchFixture } from "../batch-fixture.ts";
import { cleanUp, gitOut, makeRepo, molt, tempDir } from "../helpers.ts";

// --repo-config FILE: install_cmd and test_cmd per repository, for instances that bring none of their own.

afterEach(cleanUp);

async function setupCommand(runDir: string): Promise<string | undefined> {
  const lines = (await readFile(join(runDir, "events.jsonl"), "utf8")).trimEnd().split("\n");
  const setup = lines.map((line) => MoltEvent.parse(JSON.parse(line))).find((event) => event.type === "setup_finished");
  return setup?.type === "setup_finished" ? setup.command : undefined;
}

describe("--repo-config", () => {
  test("molt batch: the repository's install_cmd runs where the instance has none; the instance's own wins", async () => {
    const f = await batchFixture();
    const instances = f.instances.map((instance) => (instance.instance_id === "acme__calc-2" ? { ...instance, install_cmd: "echo own" } : instance));
    await writeFile(f.instancesFile, instances.map((instance) => JSON.stringify(instance)).join("\n") + "\n");
    const config = join(f.root, "molt.yaml");
    await writeFile(config, "repos:\n  acme/calc:\n    install_cmd: echo from-config\n    test_cmd: node --test\n");
    const out = join(f.root, "out");
    const result = await molt(["batch", "--instances", f.instancesFile, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--sandbox", "local", "--repo-config", config]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await setupCommand(join(out, "acme__calc-1"))).toBe("echo from-config");
    expect(await setupCommand(join(out, "acme__calc-2"))).toBe("echo own");
    expect(await setupCommand(join(out, "acme__text-1"))).toBeUndefined();
  });

  test("molt eval: install_cmd and test_cmd from a JSON config", async () => {
    const made = await makeRepo({
      "calc.js": "export const add = (a, b) => a - b;\n",
      "test/calc.test.js": 'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../calc.js";\ntest("add adds", () => assert.equal(add(2, 3), 5));\n',
      "package.json": '{ "type": "module" }\n',
    });
    const repo = join(dirname(made), "acme__calc");
    await rename(made, repo);
    const dir = await tempDir();
    const instance = { instance_id: "calc-1", repo: "acme/calc", base_commit: await gitOut(repo, "rev-parse", "HEAD"), problem_statement: "add() subtracts", FAIL_TO_PASS: ["add adds"] };
    const patch = "diff --git a/calc.js b/calc.js\n--- a/calc.js\n+++ b/calc.js\n@@ -1 +1 @@\n-export const add = (a, b) => a - b;\n+export const add = (a, b) => a + b;\n";
    await writeFile(join(dir, "instances.jsonl"), JSON.stringify(instance) + "\n");
    await writeFile(join(dir, "preds.json"), JSON.stringify({ "calc-1": { instance_id: "calc-1", model_name_or_path: "m", model_patch: patch } }));
    // The tests pass only when the install ran first.
    await writeFile(join(dir, "config.json"), JSON.stringify({ repos: { "acme/calc": { install_cmd: "touch .installed", test_cmd: "test -f .installed && node --test" } } }));
    const args = ["eval", "--instances", join(dir, "instances.jsonl"), "--preds", join(dir, "preds.json"), "--repos-dir", dirname(repo), "--sandbox", "local"];

    const result = await molt([...args, "--output", join(dir, "with"), "--repo-config", join(dir, "config.json")]);
    expect(result.exitCode).toBe(0);
    const report = EvalReport.parse(JSON.parse(await readFile(join(dir, "with", "report.json"), "utf8")));
    expect(report.resolved_ids).toEqual(["calc-1"]);
    expect(report.instances["calc-1"]?.testCmd).toBe("test -f .installed && node --test");

    const without = await molt([...args, "--output", join(dir, "without")]);
    expect(without.exitCode).toBe(0);
    expect(EvalReport.parse(JSON.parse(await readFile(join(dir, "without", "report.json"), "utf8"))).resolved_ids).toEqual([]);
  });

  test.each([
    ["a misspelt field", "repos:\n  acme/calc:\n    install_command: npm ci\n", "repos.acme/calc: Unrecognized key"],
    ["not YAML", "repos: [unclosed\n", "not valid YAML or JSON"],
    ["no repos", "install_cmd: npm ci\n", "not a molt config"],
  ])("a bad config (%s) is one line, exit 2", async (_, text, message) => {
    const f = await batchFixture();
    const config = join(f.root, "molt.yaml");
    await writeFile(config, text);
    const result = await molt(["batch", "--instances", f.instancesFile, "--output", join(f.root, "out"), "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--sandbox", "local", "--repo-config", config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });

  test("the old spelling, molt batch --config with a per-repository file, still works and says where it goes now", async () => {
    const f = await batchFixture();
    const config = join(f.root, "repos.yaml");
    await writeFile(config, "repos:\n  acme/calc:\n    install_cmd: echo from-config\n");
    const out = join(f.root, "out");
    const result = await molt(["batch", "--instances", f.instancesFile, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--sandbox", "local", "--config", config]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.trim()).toBe(`molt: ${config} holds commands per repository: pass it as --repo-config (--config now takes mini-SWE-agent configurations)`);
    expect(await setupCommand(join(out, "acme__calc-1"))).toBe("echo from-config");
    const evaluated = await molt(["eval", "--instances", f.instancesFile, "--preds", join(out, "preds.json"), "--output", join(f.root, "eval"), "--config", config]);
    expect(evaluated.exitCode).toBe(2);
    expect(evaluated.stderr.trim()).toBe("molt: molt eval's per-repository commands file is now --repo-config FILE");
  });
});
