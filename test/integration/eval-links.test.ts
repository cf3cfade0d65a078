import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, afterEach, expect, test } from "vitest";
import { cleanUp, gitOut, makeRepo, molt, tempDir } from "../helpers.ts";

// molt eval writes the patches into a scratch folder beside the workspace and reads the test
// output back from it, on the host. The instance's commands (its install_cmd, the repository's
// tests with the model's patch in) can write that folder: a link they plant there must never
// make molt write over a file of the user's, or read one into the results.

const CALC = "export const add = (a, b) => a - b;\n";
const FIX = `diff --git a/calc.js b/calc.js
--- a/calc.js
+++ b/calc.js
@@ -1 +1 @@
-export const add = (a, b) => a - b;
+export const add = (a, b) => a + b;
`;

/** Folders outside /tmp, like a real home: the sandbox could not even see a file of the host's /tmp. */
const outside: string[] = [];
afterEach(async () => {
  await Promise.all(outside.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
afterAll(cleanUp);

test("links planted in the eval's scratch folder are never followed: the user's file is not overwritten, nor a secret read", async () => {
  const home = await mkdtemp("/var/tmp/molt-home-");
  outside.push(home);
  const precious = join(home, "precious.txt");
  const secret = join(home, "secret.txt");
  await writeFile(precious, "precious\n");
  await writeFile(secret, "SECRET-VALUE\n");

  const made = await makeRepo({ "calc.js": CALC });
  const reposDir = dirname(made);
  await rename(made, join(reposDir, "acme__calc"));
  const base = await gitOut(join(reposDir, "acme__calc"), "rev-parse", "HEAD");
  const dir = await tempDir();
  const instances = join(dir, "instances.json");
  await writeFile(
    instances,
    JSON.stringify([
      {
        instance_id: "links",
        repo: "acme/calc",
        base_commit: base,
        problem_statement: "x",
        test_patch: "diff --git a/test/added.txt b/test/added.txt\nnew file mode 100644\n--- /dev/null\n+++ b/test/added.txt\n@@ -0,0 +1 @@\n+added\n",
        // The scratch folder is ../eval from the workspace.
        install_cmd: `ln -s ${precious} ../eval/model.diff && ln -s ${precious} ../eval/test.diff`,
        test_cmd: `rm -f ../eval/test-output.txt; ln -s ${secret} ../eval/test-output.txt; echo tests-ran`,
      },
    ]),
  );
  const preds = join(dir, "preds.json");
  await writeFile(preds, JSON.stringify({ links: { instance_id: "links", model_patch: FIX } }));
  const out = join(dir, "out");

  const result = await molt(["eval", "--instances", instances, "--preds", preds, "--output", out, "--repos-dir", reposDir]);
  expect(result.exitCode).toBe(0);
  expect(await readFile(precious, "utf8")).toBe("precious\n");
  const log = await readFile(join(out, "links", "eval.log"), "utf8");
  expect(log).toContain("## model patch");
  expect(log).toMatch(/## model patch\n[^#]*Applied patch calc\.js cleanly/);
  expect(log).toMatch(/## test patch\n[^#]*Applied patch test\/added\.txt cleanly/);
  expect(await readFile(join(out, "links", "test-output.txt"), "utf8").catch(() => "")).not.toContain("SECRET-VALUE");
  expect(await readFile(join(out, "report.json"), "utf8")).not.toContain("SECRET-VALUE");
});
