import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parsePatch } from "diff";
import type { InstanceEval } from "../../../core/eval/eval-report.ts";
import { grade } from "../../../core/eval/grading.ts";
import { sweRlReward } from "../../../core/eval/swe-rl-reward.ts";
import { parseTestOutput } from "../../../core/test-results/index.ts";
import type { SandboxKind } from "../../../sandbox/sandbox-policy.ts";
import { resolveSourceRepo, Workspace } from "../../../sandbox/workspace.ts";
import type { Instance } from "../batch/instances.ts";
import { EvalSandbox } from "./eval-sandbox.ts";
import { shellQuote } from "../../../sandbox/shell-quote.ts";
import { readPlainFile, writeNewFile } from "../../../sandbox/unlinked-files.ts";
import { testCommandFor } from "./test-command.ts";

export interface EvalJob {
  instance: Instance;
  modelPatch: string;
  repoPath: string;
  /** DIR/<instance_id>: the instance's test output and log. */
  folder: string;
  sandbox: SandboxKind;
  timeoutSec: number;
  /** --exit-code-verdicts: named tests without per-test results in the output are decided by the exit code. */
  exitCodeVerdicts?: boolean;
  /** Stops the evaluation (Ctrl-C): the command in flight is killed, the workspace removed. */
  signal?: AbortSignal | undefined;
  /** A workspace made for it while the instances before it were evaluated; it is removed after. */
  madeAhead?: Promise<Workspace | undefined>;
}

/** Whether evaluating this prediction needs a workspace (it runs tests). */
export function needsWorkspace(instance: Instance, modelPatch: string): boolean {
  return Boolean(instance.test_patch || instance.test_cmd) && modelPatch.trim() !== "";
}

/** A step that ends the evaluation of an instance as an error, with its reason. */
class EvalError extends Error {}

/** The evaluation was stopped: the instance has no verdict. */
class Stopped extends Error {}

/**
 * Evaluates one prediction: a fresh workspace at the base commit, the install command (with
 * network), the model's patch, the test patch over test files put back as they were at the base
 * commit, then the tests (without network). Never throws: whatever goes wrong is the instance's
 * error, with its reason. The workspace is removed after. Undefined when `job.signal` stopped it first.
 */
export async function evaluateInstance(job: EvalJob): Promise<InstanceEval | undefined> {
  const ahead = await job.madeAhead;
  try {
    return await evaluateIn(job, ahead);
  } finally {
    await ahead?.remove();
  }
}

async function evaluateIn(job: EvalJob, ahead: Workspace | undefined): Promise<InstanceEval | undefined> {
  const started = performance.now();
  const { instance, modelPatch } = job;
  const reward = instance.patch ? sweRlReward(modelPatch, instance.patch) : null;
  const base: InstanceEval = {
    resolved: false,
    status: "error",
    reason: "",
    emptyPatch: modelPatch.trim() === "",
    tests: null,
    decidedBy: null,
    tests_status: null,
    namedTests: null,
    verdictsFrom: null,
    ambiguous: [],
    runners: [],
    testCmd: null,
    exitCode: null,
    ms: 0,
    reward,
  };
  const done = (fields: Partial<InstanceEval>): InstanceEval => ({ ...base, ...fields, ms: Math.round(performance.now() - started) });
  if (!instance.test_patch && !instance.test_cmd) return done({ status: "untested", reason: "no test_patch or test_cmd: only the reward is known" });
  if (base.emptyPatch) return done({ status: "unresolved", reason: "empty patch" });

  await mkdir(job.folder, { recursive: true });
  await writeFile(join(job.folder, "model.patch"), modelPatch);
  let workspace: Workspace | undefined;
  try {
    const source = await resolveSourceRepo(job.repoPath, instance.base_commit);
    workspace = ahead ?? (await Workspace.create(source));
    const sandbox = await EvalSandbox.open(workspace, job.sandbox, job.timeoutSec);
    const log = join(job.folder, "eval.log");
    await writeFile(log, "");
    const step = async (what: string, command: string, network: "none" | "all" = "none") => {
      const result = await sandbox.run(command, network, job.signal);
      if (job.signal?.aborted) throw new Stopped();
      const output = result.elidedChars > 0 ? `${result.output}\n[… ${result.elidedChars} characters …]\n${result.outputTail}` : result.output;
      await appendFile(log, `## ${what}\n$ ${command}\n${output}${output.endsWith("\n") || output === "" ? "" : "\n"}[exit ${result.exitCode}${result.timedOut ? ", timed out" : ""}, ${Math.round(result.ms)} ms]\n\n`);
      if (result.timedOut) throw new EvalError(`timed out during ${what} (--timeout ${job.timeoutSec} s for the instance)`);
      return { ...result, text: output };
    };

    if (instance.install_cmd?.trim()) {
      const install = await step("install", instance.install_cmd, "all");
      if (install.exitCode !== 0) throw new EvalError(`install_cmd failed with exit code ${install.exitCode}: ${lastLine(install.text)}`);
    }

    const modelFile = join(sandbox.scratch, "model.diff");
    // The scratch folder is the instance's commands' to write: molt never writes or reads through a link there.
    await writeNewFile(modelFile, withFinalNewline(modelPatch));
    const applied = await step("model patch", applyCommand(modelFile));
    if (applied.exitCode !== 0) throw new EvalError(`the patch does not apply: ${gitError(applied.text)}`);

    const testFiles = instance.test_patch ? patchedFiles(instance.test_patch) : [];
    if (instance.test_patch) {
      const testFile = join(sandbox.scratch, "test.diff");
      await writeNewFile(testFile, withFinalNewline(instance.test_patch));
      const restore = testFiles.map((file) => `{ git cat-file -e ${shellQuote(`${instance.base_commit}:${file}`)} 2>/dev/null && git checkout -q ${shellQuote(instance.base_commit)} -- ${shellQuote(file)} || rm -f -- ${shellQuote(file)}; }`);
      const tests = await step("test patch", [...restore, `git apply --verbose --whitespace=nowarn ${shellQuote(testFile)}`].join(" && "));
      if (tests.exitCode !== 0) throw new EvalError(`the test patch does not apply: ${gitError(tests.text)}`);
    }

    const testCmd = await testCommandFor(instance, testFiles, workspace.path);
    if (testCmd === undefined) throw new EvalError("no test_cmd, and none could be inferred (no pytest-style test names, no npm test script)");
    base.testCmd = testCmd;
    const outputFile = join(sandbox.scratch, "test-output.txt");
    const run = await step("tests", `(\n${testCmd}\n) > ${shellQuote(outputFile)} 2>&1`);
    const output = await readPlainFile(outputFile).catch(() => "");
    await writeFile(join(job.folder, "test-output.txt"), output);
    const parsed = parseTestOutput(output);
    const verdict = grade({ FAIL_TO_PASS: instance.FAIL_TO_PASS ?? [], PASS_TO_PASS: instance.PASS_TO_PASS ?? [] }, parsed, run.exitCode, { exitCodeVerdicts: job.exitCodeVerdicts });
    return done({
      resolved: verdict.resolved === true,
      // Tests named but none reported: no verdict, an error with its reason.
      status: verdict.resolved === null ? "error" : verdict.resolved ? "resolved" : "unresolved",
      reason: verdict.reason,
      tests: verdict.tests,
      decidedBy: verdict.decidedBy,
      tests_status: verdict.tests_status,
      namedTests: verdict.namedTests,
      verdictsFrom: verdict.verdictsFrom,
      ambiguous: verdict.ambiguous,
      runners: parsed.runners,
      exitCode: run.exitCode,
    });
  } catch (error) {
    if (error instanceof Stopped) return undefined;
    return done({ status: "error", reason: error instanceof Error ? firstLine(error.message) : String(error) });
  } finally {
    // One made ahead is evaluateInstance's to remove.
    if (workspace !== ahead) await workspace?.remove();
  }
}

/** git apply, and failing that GNU patch with some fuzz, as SWE-bench's harness tries them. */
function applyCommand(file: string): string {
  const quoted = shellQuote(file);
  return `git apply --verbose --whitespace=nowarn ${quoted} || { command -v patch >/dev/null && patch --batch --fuzz=5 -p1 --dry-run -i ${quoted} >/dev/null && patch --batch --fuzz=5 -p1 -i ${quoted}; }`;
}

/** The files a patch changes, relative to the repository. */
function patchedFiles(patch: string): string[] {
  let files;
  try {
    files = parsePatch(patch);
  } catch (error) {
    throw new EvalError(`the test patch is not a unified diff: ${error instanceof Error ? error.message : String(error)}`);
  }
  const paths = new Set<string>();
  for (const file of files) {
    for (const name of [file.oldFileName, file.newFileName]) {
      if (name !== undefined && name !== "/dev/null") paths.add(name.replace(/^[ab]\//, ""));
    }
  }
  return [...paths];
}

function withFinalNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function gitError(output: string): string {
  // --verbose's "error: while searching for:" introduces the context git looked for; the verdict follows it.
  const errors = output.split("\n").filter((line) => /^(error|fatal):/.test(line) && !line.includes("while searching for"));
  return errors.length > 0 ? errors.slice(0, 2).join("; ") : lastLine(output);
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

function firstLine(text: string): string {
  return text.trim().split("\n", 1)[0] ?? "";
}
