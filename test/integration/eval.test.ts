import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EvalReport } from "../../core/eval/eval-report.ts";
import { cleanUp, gitOut, makeRepo, MOLT, molt, tempDir } from "../helpers.ts";

// molt eval runs as a real subprocess on a real git repository with a bug and a node:test suite;
// every instance gets its own bubblewrap-sandboxed workspace, two at a time.

const CALC = "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n";
const TESTS = `import { test } from "node:test";
import assert from "node:assert/strict";
import { add, mul } from "../calc.js";

test("mul multiplies", () => assert.equal(mul(2, 3), 6));
`;

const calcPatch = (line: string) => `diff --git a/calc.js b/calc.js
--- a/calc.js
+++ b/calc.js
@@ -1,2 +1,2 @@
-export const add = (a, b) => a - b;
+${line}
 export const mul = (a, b) => a * b;
`;
const FIX = calcPatch("export const add = (a, b) => a + b;");
const WRONG = calcPatch("export const add = (a, b) => a * b;");
const STALE = `diff --git a/calc.js b/calc.js
--- a/calc.js
+++ b/calc.js
@@ -1,2 +1,2 @@
-export const add = (x, y) => x - y;
+export const add = (x, y) => x + y;
 export const mul = (a, b) => a * b;
`;
const TEST_PATCH = `diff --git a/test/calc.test.js b/test/calc.test.js
--- a/test/calc.test.js
+++ b/test/calc.test.js
@@ -3,3 +3,4 @@ import assert from "node:assert/strict";
 import { add, mul } from "../calc.js";
 
 test("mul multiplies", () => assert.equal(mul(2, 3), 6));
+test("add adds", () => assert.equal(add(2, 3), 5));
`;
// A test outside the task that fails on this machine: the suite exits 1 whatever the patch.
const UNRELATED_FAILURE = `diff --git a/test/clock.test.js b/test/clock.test.js
new file mode 100644
--- /dev/null
+++ b/test/clock.test.js
@@ -0,0 +1,3 @@
+import { test } from "node:test";
+import assert from "node:assert/strict";
+test("clock is in UTC", () => assert.fail("the machine is not in UTC"));
`;

const instance = (id: string, fields: Record<string, unknown> = {}) => ({
  instance_id: id,
  repo: "acme/calc",
  base_commit: "BASE",
  problem_statement: "add() subtracts",
  patch: FIX,
  test_patch: TEST_PATCH,
  FAIL_TO_PASS: ["add adds"],
  PASS_TO_PASS: ["mul multiplies"],
  test_cmd: "node --test",
  ...fields,
});

const INSTANCES = [
  instance("fixed"),
  instance("wrong"),
  instance("stale"),
  instance("noisy", { test_patch: TEST_PATCH + UNRELATED_FAILURE }),
  instance("missing", { FAIL_TO_PASS: ["add adds", "add handles negatives"] }),
  instance("empty"),
  instance("malformed"),
  // The lists as the data sets often hold them: JSON in a string; the test named with its file.
  instance("exit-code", { FAIL_TO_PASS: "[]", PASS_TO_PASS: "[]", test_patch: TEST_PATCH + UNRELATED_FAILURE }),
];
const PREDS = {
  fixed: FIX,
  wrong: WRONG,
  stale: STALE,
  noisy: FIX,
  missing: FIX,
  empty: "",
  malformed: "this is not a diff\n@@ nonsense\n",
  "exit-code": FIX,
  "not-an-instance": FIX,
};

let reposDir: string;
let repo: string;
let headBefore: string;
let files: { instances: string; preds: string };

beforeAll(async () => {
  const made = await makeRepo({ "calc.js": CALC, "test/calc.test.js": TESTS, "package.json": '{ "type": "module" }\n' });
  reposDir = dirname(made);
  repo = join(reposDir, "acme__calc");
  await rename(made, repo);
  headBefore = await gitOut(repo, "rev-parse", "HEAD");
  const dir = await tempDir();
  files = { instances: join(dir, "instances.jsonl"), preds: join(dir, "preds.json") };
  await writeFile(files.instances, INSTANCES.map((entry) => JSON.stringify({ ...entry, base_commit: headBefore })).join("\n") + "\n");
  const preds = Object.fromEntries(Object.entries(PREDS).map(([id, patch]) => [id, { instance_id: id, model_name_or_path: "m", model_patch: patch }]));
  await writeFile(files.preds, JSON.stringify(preds));
});

afterAll(cleanUp);

describe("molt eval", () => {
  let report: EvalReport;
  let stdout: string;
  let out: string;

  beforeAll(async () => {
    out = join(await tempDir(), "eval");
    const result = await molt(["eval", "--instances", files.instances, "--preds", files.preds, "--output", out, "--repos-dir", reposDir, "--workers", "2"]);
    expect(result.stderr).toBe(`molt: 1 prediction names no instance of ${files.instances}, ignored: not-an-instance`);
    expect(result.exitCode).toBe(0);
    stdout = result.stdout;
    report = EvalReport.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
  }, 60_000);

  test("sorts the instances into SWE-bench's report keys", () => {
    expect(report.resolved_ids).toEqual(["fixed", "noisy"]);
    expect(report.unresolved_ids).toEqual(["empty", "exit-code", "missing", "wrong"]);
    expect(report.error_ids).toEqual(["malformed", "stale"]);
    expect(report.empty_patch_ids).toEqual(["empty"]);
    expect(report).toMatchObject({ total_instances: 8, submitted_instances: 8, completed_instances: 6, resolved_instances: 2, unresolved_instances: 4, error_instances: 2 });
  });

  test("a fixed bug: FAIL_TO_PASS passes, PASS_TO_PASS keeps passing", () => {
    const fixed = report.instances.fixed!;
    expect(fixed).toMatchObject({ resolved: true, status: "resolved", decidedBy: "tests", exitCode: 0, runners: ["node-spec"], testCmd: "node --test" });
    expect(fixed.tests).toEqual({ FAIL_TO_PASS: { passed: ["add adds"], failed: [], skipped: [] }, PASS_TO_PASS: { passed: ["mul multiplies"], failed: [], skipped: [] } });
  });

  test("a wrong fix is unresolved, with the failing test named", () => {
    expect(report.instances.wrong).toMatchObject({ status: "unresolved", reason: "FAIL_TO_PASS failed: add adds", exitCode: 1 });
  });

  test("a patch that does not apply is an error with git's reason", () => {
    expect(report.instances.stale!.status).toBe("error");
    expect(report.instances.stale!.reason).toMatch(/^the patch does not apply: error: patch failed: calc\.js:1/);
  });

  test("the per-test verdicts win over an exit code spoilt by a test outside the task", () => {
    expect(report.instances.noisy).toMatchObject({ status: "resolved", exitCode: 1, decidedBy: "tests", reason: "the named tests passed (the tests exited with 1)" });
  });

  test("without named tests the exit code decides", () => {
    expect(report.instances["exit-code"]).toMatchObject({ status: "unresolved", decidedBy: "exit code", exitCode: 1 });
  });

  test("a named test missing from the output counts as failed", () => {
    const missing = report.instances.missing!;
    expect(missing.status).toBe("unresolved");
    expect(missing.tests?.FAIL_TO_PASS).toEqual({ passed: ["add adds"], failed: ["add handles negatives"], skipped: [] });
    expect(missing.reason).toBe("FAIL_TO_PASS failed: add handles negatives (not in the output)");
  });

  test("an empty patch is unresolved without running anything", () => {
    expect(report.instances.empty).toMatchObject({ status: "unresolved", reason: "empty patch", emptyPatch: true, exitCode: null, reward: 0 });
  });

  test("SWE-RL's reward against the gold patch: 1 for the gold patch itself, −1 for a malformed one", () => {
    expect(report.instances.fixed!.reward).toBe(1);
    expect(report.instances.malformed!.reward).toBe(-1);
    expect(report.instances.wrong!.reward).toBeGreaterThan(0.9);
    expect(report.instances.wrong!.reward).toBeLessThan(1);
  });

  test("keeps each instance's test output and prints a table", async () => {
    expect(await readFile(join(out, "fixed", "test-output.txt"), "utf8")).toContain("✔ add adds");
    expect(await readFile(join(out, "fixed", "eval.log"), "utf8")).toContain("## tests");
    expect(stdout).toMatch(/^instance\s+status\s+F2P\s+P2P\s+reward\s+reason$/m);
    expect(stdout).toMatch(/^fixed\s+resolved\s+1\/1\s+1\/1\s+1\.000\s+the named tests passed$/m);
    expect(stdout).toContain("resolved 2 of 8 submitted (25.0%) · unresolved 4 · error 2 · empty patch 1");
  });

  test("leaves no workspace behind, those made ahead included", async () => {
    // The eval's runs make their workspaces here (test/workspaces-setup.ts).
    expect(await readdir(process.env.MOLT_WORKSPACES!)).toEqual([]);
  });

  test("leaves the repository as it was", async () => {
    expect(await gitOut(repo, "rev-parse", "HEAD")).toBe(headBefore);
    expect(await gitOut(repo, "status", "--porcelain")).toBe("");
    expect(await gitOut(repo, "branch", "--list")).toMatch(/^\* (master|main)$/);
    expect(await readFile(join(repo, "calc.js"), "utf8")).toBe(CALC);
  });
});

test("an instance that overruns --timeout is an error; install_cmd runs first", async () => {
  const dir = await tempDir();
  const instances = join(dir, "slow.json");
  await writeFile(instances, JSON.stringify([instance("slow", { base_commit: headBefore, install_cmd: "echo installed > .installed", test_cmd: "cat .installed && sleep 30" })]));
  const preds = join(dir, "preds.json");
  await writeFile(preds, JSON.stringify({ slow: { instance_id: "slow", model_patch: FIX } }));
  const result = await molt(["eval", "--instances", instances, "--preds", preds, "--output", join(dir, "out"), "--repos-dir", reposDir, "--timeout", "2"]);
  expect(result.exitCode).toBe(0);
  const report = EvalReport.parse(JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8")));
  expect(report.error_ids).toEqual(["slow"]);
  expect(report.instances.slow!.reason).toBe("timed out during tests (--timeout 2 s for the instance)");
  expect(await readFile(join(dir, "out", "slow", "eval.log"), "utf8")).toMatch(/## install\n\$ echo installed > \.installed\n\[exit 0, \d+ ms\]/);
});

test("Ctrl-C stops the evaluation: the tests in flight are killed, no workspace is left, the report names what was not evaluated", async () => {
  const dir = await tempDir();
  const workspaces = join(dir, "workspaces");
  await mkdir(workspaces);
  const instances = join(dir, "instances.json");
  await writeFile(instances, JSON.stringify(["hangs", "never"].map((id) => instance(id, { base_commit: headBefore, test_cmd: "sleep 60" }))));
  const preds = join(dir, "preds.json");
  await writeFile(preds, JSON.stringify({ hangs: { instance_id: "hangs", model_patch: FIX }, never: { instance_id: "never", model_patch: FIX } }));
  const out = join(dir, "out");
  const child = execa(process.execPath, [MOLT, "eval", "--instances", instances, "--preds", preds, "--output", out, "--repos-dir", reposDir, "--workers", "1"], {
    env: { MOLT_WORKSPACES: workspaces },
    reject: false,
  });
  // Once the tests of the first instance are running.
  const deadline = Date.now() + 30_000;
  while (!(await readFile(join(out, "hangs", "eval.log"), "utf8").catch(() => "")).includes("## test patch") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stopped = Date.now();
  child.kill("SIGINT");
  const result = await child;
  expect(Date.now() - stopped).toBeLessThan(10_000);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("stopped  2 of 2 instances were not evaluated (run the same command again to evaluate all)");
  const report = EvalReport.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
  expect(report).toMatchObject({ submitted_instances: 2, completed_instances: 0, incomplete_ids: ["hangs", "never"] });
  expect(await readdir(workspaces)).toEqual([]);
});

describe("molt eval refuses bad input with one line and exit code 2", () => {
  test.each([
    [["--preds", "p.json", "--output", "o"], "molt: --instances is missing: pass --instances FILE (JSON, JSONL or Parquet)"],
    [["--instances", "/nonexistent.jsonl", "--preds", "p.json", "--output", "o"], "molt: cannot read the instances file /nonexistent.jsonl: no such file"],
    [["--instances", "I", "--preds", "p.json", "--output", "o", "--workers", "0"], 'molt: --workers must be 1 to 64 (got "0")'],
    [["--instances", "I", "--preds", "p.json", "--output", "o", "--bogus"], "molt: unknown option --bogus"],
  ])("%j", async (args, message) => {
    const result = await molt(["eval", ...args.map((arg) => (arg === "I" ? files.instances : arg))]);
    expect(result.stderr).toBe(message);
    expect(result.exitCode).toBe(2);
  });

  test("predictions that are not predictions, or name no instance", async () => {
    const dir = await tempDir();
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ fixed: { instance_id: "fixed", model_patch: 3 } }));
    let result = await molt(["eval", "--instances", files.instances, "--preds", bad, "--output", join(dir, "o")]);
    expect(result.stderr).toMatch(/^molt: .*bad\.json\["fixed"\]: not a prediction \(model_patch: .*\)$/);
    expect(result.exitCode).toBe(2);
    const stranger = join(dir, "stranger.json");
    await writeFile(stranger, JSON.stringify([{ instance_id: "elsewhere", model_patch: FIX }]));
    result = await molt(["eval", "--instances", files.instances, "--preds", stranger, "--output", join(dir, "o")]);
    expect(result.stderr).toBe(`molt: no prediction in ${stranger} names an instance of ${files.instances}`);
    expect(result.exitCode).toBe(2);
  });

  test("a repository missing from --repos-dir", async () => {
    const dir = await tempDir();
    const result = await molt(["eval", "--instances", files.instances, "--preds", files.preds, "--output", join(dir, "o"), "--repos-dir", dir]);
    expect(result.stderr).toContain(`molt: no acme__calc in --repos-dir ${dir}`);
    expect(result.stderr.trim().split("\n")).toHaveLength(2);
    expect(result.exitCode).toBe(2);
  });
});
