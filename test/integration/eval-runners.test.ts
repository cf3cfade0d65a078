import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EvalReport, type InstanceEval } from "../../core/eval/eval-report.ts";
import { cleanUp, molt, tempDir, writeFiles } from "../helpers.ts";

// molt eval on small real repositories, one a runner, each run by its real runner in the sandbox:
// jest (two runs chained in `npm test`), mocha (its JSON reporter, under npm's header), vitest,
// node's test runner and pytest. Each instance is evaluated with the fixing patch (resolved) and
// without it (unresolved). jest and mocha are molt's devDependencies, at the versions pinned in
// package.json; vitest is the one molt tests itself with.

const MOLT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const runner = (name: string, bin: string) => {
  try {
    return join(dirname(createRequire(join(MOLT_ROOT, "package.json")).resolve(`${name}/package.json`)), bin);
  } catch {
    throw new Error(`${name} is not installed: it is a devDependency of molt (npm install)`);
  }
};
const JEST = runner("jest", "bin/jest.js");
const MOCHA = runner("mocha", "bin/mocha.js");
const VITEST = runner("vitest", "vitest.mjs");

const IDENTITY = { GIT_AUTHOR_NAME: "test", GIT_AUTHOR_EMAIL: "test@molt.invalid", GIT_COMMITTER_NAME: "test", GIT_COMMITTER_EMAIL: "test@molt.invalid" };
const git = (cwd: string, ...args: string[]) => execa("git", args, { cwd, env: IDENTITY });

interface Suite {
  /** The files at the base commit. */
  base: Record<string, string>;
  /** What the test patch adds or changes. */
  tests: Record<string, string>;
  /** What the fixing patch changes. */
  fix: Record<string, string>;
  instance: Record<string, unknown>;
}

const CALC_CJS = "exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b + 1;\n";
const FIXED_CJS = "exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n";
const CALC_ESM = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b + 1;\n";
const FIXED_ESM = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";

const SUITES: Record<string, Suite> = {
  jest: {
    base: {
      "calc.js": CALC_CJS,
      "package.json": JSON.stringify({
        name: "calc",
        private: true,
        // Two jest runs, as dayjs's test script chains them: the task's test is in the second.
        scripts: { test: `node '${JEST}' --ci --verbose test/other.test.js && node '${JEST}' --ci --verbose test/calc.test.js` },
        jest: { testEnvironment: "node" },
      }),
      "test/other.test.js": 'const { add } = require("../calc");\ndescribe("other", () => {\n  test("adds", () => expect(add(1, 1)).toBe(2));\n});\n',
    },
    tests: {
      "test/calc.test.js": 'const { add, sub } = require("../calc");\ndescribe("calc", () => {\n  describe("sub", () => {\n    test("subtracts", () => expect(sub(3, 1)).toBe(2));\n  });\n  test("adds", () => expect(add(1, 2)).toBe(3));\n});\n',
    },
    fix: { "calc.js": FIXED_CJS },
    // Multi-SWE-bench's names: FILE:TITLE, the describe blocks left out; and jest's own.
    instance: { test_cmd: "npm test", FAIL_TO_PASS: ["test/calc.test.js:subtracts"], PASS_TO_PASS: ["test/other.test.js:adds", "calc › adds"] },
  },
  mocha: {
    base: {
      "calc.js": CALC_CJS,
      "package.json": JSON.stringify({ name: "calc", version: "1.0.0", private: true, scripts: { "test-ci": `node '${MOCHA}' --check-leaks test/` } }),
      "test/calc.test.js": 'const assert = require("assert");\nconst { add } = require("../calc");\ndescribe("calc", function () {\n  it("adds", function () {\n    assert.equal(add(1, 2), 3);\n  });\n});\n',
      // A test outside the task that fails whatever the patch: the exit code is never 0.
      "test/clock.test.js": 'const assert = require("assert");\nit("clock is in UTC", function () {\n  assert.fail("the machine is not in UTC");\n});\n',
    },
    tests: {
      "test/sub.test.js": 'const assert = require("assert");\nconst { sub } = require("../calc");\ndescribe("calc", function () {\n  describe("sub", function () {\n    it("subtracts", function () {\n      assert.equal(sub(3, 1), 2);\n    });\n  });\n});\n',
    },
    fix: { "calc.js": FIXED_CJS },
    // As Multi-SWE-bench runs express: the JSON reporter through npm, tests named by full title.
    instance: { test_cmd: "npm run test-ci -- --reporter json", FAIL_TO_PASS: ["calc sub subtracts"], PASS_TO_PASS: ["calc adds"] },
  },
  vitest: {
    base: {
      "calc.js": CALC_ESM,
      "package.json": '{ "name": "calc", "private": true, "type": "module" }\n',
      "calc.test.js": 'import { add } from "./calc.js";\ndescribe("calc", () => {\n  test("adds", () => expect(add(1, 2)).toBe(3));\n});\n',
    },
    tests: {
      "sub.test.js": 'import { sub } from "./calc.js";\ndescribe("calc", () => {\n  test("subtracts", () => expect(sub(3, 1)).toBe(2));\n});\n',
    },
    fix: { "calc.js": FIXED_ESM },
    instance: { test_cmd: `node '${VITEST}' run --globals --root . --reporter=verbose`, FAIL_TO_PASS: ["sub.test.js > calc > subtracts"], PASS_TO_PASS: ["calc.test.js > calc > adds"] },
  },
  node: {
    base: {
      "calc.js": CALC_ESM,
      "package.json": '{ "name": "calc", "private": true, "type": "module" }\n',
      "test/calc.test.js": 'import { describe, it } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../calc.js";\ndescribe("calc", () => {\n  it("adds", () => assert.equal(add(1, 2), 3));\n});\n',
    },
    tests: {
      "test/sub.test.js": 'import { describe, it } from "node:test";\nimport assert from "node:assert/strict";\nimport { sub } from "../calc.js";\ndescribe("sub", () => {\n  it("subtracts", () => assert.equal(sub(3, 1), 2));\n});\n',
    },
    fix: { "calc.js": FIXED_ESM },
    instance: { test_cmd: "node --test", FAIL_TO_PASS: ["sub > subtracts"], PASS_TO_PASS: ["calc > adds"] },
  },
  pytest: {
    base: {
      "calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b + 1\n",
      "tests/test_calc.py": "import pytest\nfrom calc import add\n\n\n@pytest.mark.parametrize('a', [1, 2])\ndef test_add(a):\n    assert add(a, 1) == a + 1\n",
      "tests/conftest.py": "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n",
    },
    tests: {
      "tests/test_calc.py":
        "import pytest\nfrom calc import add, sub\n\n\n@pytest.mark.parametrize('a', [1, 2])\ndef test_add(a):\n    assert add(a, 1) == a + 1\n\n\nclass TestSub:\n    def test_sub(self):\n        assert sub(3, 1) == 2\n",
    },
    fix: {
      "calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    },
    // No test_cmd: pytest -rA on the test patch's files, as SWE-bench names and runs them.
    instance: { FAIL_TO_PASS: ["tests/test_calc.py::TestSub::test_sub"], PASS_TO_PASS: ["tests/test_calc.py::test_add[1]", "tests/test_calc.py::test_add[2]"] },
  },
};

/** The patch that makes these changes to the repository, as `git diff` writes it; the repository is left as it was. */
async function patchOf(repo: string, changes: Record<string, string>): Promise<string> {
  await writeFiles(repo, changes);
  await git(repo, "add", "-N", ".");
  const { stdout } = await git(repo, "diff");
  await git(repo, "reset", "-q");
  await git(repo, "checkout", "--", ".");
  await git(repo, "clean", "-fdq");
  return `${stdout}\n`;
}

let reposDir: string;
let files: { instances: string; preds: string };

beforeAll(async () => {
  reposDir = await tempDir();
  const instances: Record<string, unknown>[] = [];
  const preds: Record<string, { instance_id: string; model_patch: string }> = {};
  for (const [name, suite] of Object.entries(SUITES)) {
    const repo = join(reposDir, `acme__${name}`);
    await writeFiles(repo, suite.base);
    await git(repo, "init", "-q");
    await git(repo, "add", ".");
    await git(repo, "commit", "-qm", "base");
    const base = (await git(repo, "rev-parse", "HEAD")).stdout.trim();
    const testPatch = await patchOf(repo, suite.tests);
    const fixPatch = await patchOf(repo, suite.fix);
    // "Without the fix": a patch that changes nothing the tests look at.
    const noFix = await patchOf(repo, { "NOTES.md": "to do: fix sub()\n" });
    for (const [id, patch] of [[`${name}-fixed`, fixPatch], [`${name}-unfixed`, noFix]] as const) {
      instances.push({ instance_id: id, repo: `acme/${name}`, base_commit: base, problem_statement: "sub() is off by one", test_patch: testPatch, ...suite.instance });
      preds[id] = { instance_id: id, model_patch: patch };
    }
  }
  // Tests named, but the output reports none.
  const silent = { ...instances.find((entry) => entry.instance_id === "node-fixed")!, instance_id: "silent", test_cmd: "echo all good" };
  instances.push(silent);
  preds.silent = { ...preds["node-fixed"]!, instance_id: "silent" };
  const dir = await tempDir();
  files = { instances: join(dir, "instances.jsonl"), preds: join(dir, "preds.json") };
  await writeFiles(dir, { "instances.jsonl": instances.map((entry) => JSON.stringify(entry)).join("\n") + "\n", "preds.json": JSON.stringify(preds) });
});

afterAll(cleanUp);

describe("molt eval on real runners", () => {
  let report: EvalReport;
  let out: string;
  const instance = (id: string): InstanceEval => report.instances[id]!;

  beforeAll(async () => {
    out = join(await tempDir(), "eval");
    const result = await molt(["eval", "--instances", files.instances, "--preds", files.preds, "--output", out, "--repos-dir", reposDir, "--workers", "2"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    report = EvalReport.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
  }, 180_000);

  test("each runner's instance is resolved with the fix and unresolved without it", () => {
    expect(report.resolved_ids).toEqual(["jest-fixed", "mocha-fixed", "node-fixed", "pytest-fixed", "vitest-fixed"]);
    expect(report.unresolved_ids).toEqual(["jest-unfixed", "mocha-unfixed", "node-unfixed", "pytest-unfixed", "vitest-unfixed"]);
  });

  test("jest: the second of two chained runs is read, tests named FILE:TITLE and by jest's own name", () => {
    expect(instance("jest-fixed")).toMatchObject({
      decidedBy: "tests",
      runners: ["jest"],
      tests_status: { FAIL_TO_PASS: { success: ["test/calc.test.js:subtracts"], failure: [] }, PASS_TO_PASS: { success: ["test/other.test.js:adds", "calc › adds"], failure: [] } },
      verdictsFrom: { method: "parser", parsers: ["jest"] },
    });
    expect(instance("jest-fixed").namedTests!.FAIL_TO_PASS).toEqual([{ name: "test/calc.test.js:subtracts", status: "passed", matched: ["test/calc.test.js › calc › sub › subtracts"] }]);
    expect(instance("jest-unfixed")).toMatchObject({ reason: "FAIL_TO_PASS failed: test/calc.test.js:subtracts", tests_status: { FAIL_TO_PASS: { success: [], failure: ["test/calc.test.js:subtracts"] } } });
  });

  test("mocha: the JSON report under npm's header decides, not the exit code a test outside the task spoils", () => {
    expect(instance("mocha-fixed")).toMatchObject({ status: "resolved", exitCode: 1, runners: ["mocha-json"], reason: "the named tests passed (the tests exited with 1)" });
    expect(instance("mocha-unfixed")).toMatchObject({ status: "unresolved", reason: "FAIL_TO_PASS failed: calc sub subtracts" });
  });

  test("vitest, node's test runner and pytest (its command inferred)", () => {
    expect(instance("vitest-fixed")).toMatchObject({ runners: ["vitest"], decidedBy: "tests" });
    expect(instance("node-fixed")).toMatchObject({ runners: ["node-spec"], decidedBy: "tests" });
    expect(instance("pytest-fixed")).toMatchObject({ runners: ["pytest"], decidedBy: "tests", testCmd: expect.stringContaining("-m pytest -rA") });
    expect(instance("pytest-unfixed").namedTests!.FAIL_TO_PASS).toEqual([{ name: "tests/test_calc.py::TestSub::test_sub", status: "failed", matched: ["tests/test_calc.py::TestSub::test_sub"] }]);
  });

  test("named tests with no per-test results in the output: an error that says so, not a verdict from the exit code", () => {
    expect(report.error_ids).toEqual(["silent"]);
    expect(instance("silent")).toMatchObject({ status: "error", exitCode: 0, decidedBy: null, verdictsFrom: { method: "none", parsers: [], results: 0 } });
    expect(instance("silent").reason).toMatch(/^no test results: .*--exit-code-verdicts lets the exit code decide\)$/);
  });
});

test("--exit-code-verdicts lets the exit code decide an instance whose output names no test", async () => {
  const dir = await tempDir();
  const all = (await readFile(files.instances, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { instance_id: string });
  await writeFiles(dir, { "instances.jsonl": JSON.stringify(all.find((entry) => entry.instance_id === "silent")) + "\n" });
  const result = await molt(["eval", "--instances", join(dir, "instances.jsonl"), "--preds", files.preds, "--output", join(dir, "out"), "--repos-dir", reposDir, "--exit-code-verdicts"]);
  expect(result.exitCode).toBe(0);
  const report = EvalReport.parse(JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8")));
  expect(report.resolved_ids).toEqual(["silent"]);
  expect(report.instances.silent).toMatchObject({ decidedBy: "exit code", verdictsFrom: { method: "exit code" } });
  expect(report.instances.silent!.verdictsFrom!.why).toContain("as --exit-code-verdicts allows");
});
