import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildReport, type EvalReport, type InstanceEval } from "../../../core/eval/eval-report.ts";
import type { SandboxKind } from "../../../sandbox/sandbox-policy.ts";
import type { Instance } from "../batch/instances.ts";
import type { RepoSource } from "../batch/repos.ts";
import { InputError } from "../input-error.ts";
import { schedule } from "../scheduler.ts";
import { WorkspacesAhead } from "../workspaces-ahead.ts";
import { evaluateInstance, needsWorkspace } from "./evaluate-instance.ts";
import type { Predictions } from "./predictions.ts";

export interface EvalPlan {
  instances: Instance[];
  predictions: Predictions;
  repos: RepoSource;
  /** Where report.json and each instance's folder go. */
  output: string;
  workers: number;
  timeoutSec: number;
  sandbox: SandboxKind;
  /** --exit-code-verdicts: named tests without per-test results in the output are decided by the exit code. */
  exitCodeVerdicts?: boolean;
}

/**
 * Evaluates every instance that has a prediction, `workers` at a time, each in a fresh sandboxed
 * workspace (made while the ones before are evaluated), and writes report.json in the output
 * folder (made with makeOutputFolder). Aborting
 * `signal` kills the tests in flight; the report then names what was not evaluated.
 */
export async function runEval(plan: EvalPlan, onResult: (id: string, result: InstanceEval, done: number) => void, signal: AbortSignal): Promise<{ report: EvalReport; file: string }> {
  const submitted = plan.instances.filter((instance) => plan.predictions.has(instance.instance_id));
  const results = new Map<string, InstanceEval>();
  const ahead = new WorkspacesAhead((instance) => plan.repos.path(instance.repo));
  try {
    await schedule(
      submitted,
      plan.workers,
      async (instance) => {
        const id = instance.instance_id;
        const madeAhead = ahead.take(id);
        let result: InstanceEval | undefined;
        try {
          const repoPath = await plan.repos.path(instance.repo);
          result = await evaluateInstance({ instance, modelPatch: plan.predictions.get(id)!, repoPath, folder: join(plan.output, id), sandbox: plan.sandbox, timeoutSec: plan.timeoutSec, exitCodeVerdicts: plan.exitCodeVerdicts, signal, madeAhead });
        } catch (error) {
          // Only finding the repository can throw (a clone that failed): the instance's error, not the evaluation's.
          const reason = error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
          result = { resolved: false, status: "error", reason, emptyPatch: false, tests: null, decidedBy: null, tests_status: null, namedTests: null, verdictsFrom: null, ambiguous: [], runners: [], testCmd: null, exitCode: null, ms: 0, reward: null };
        }
        if (result === undefined) return;
        results.set(id, result);
        onResult(id, result, results.size);
      },
      // While an instance is evaluated, the workspaces of those taken next are made.
      { signal, upcoming: (upcoming) => ahead.prepare(upcoming.filter((instance) => needsWorkspace(instance, plan.predictions.get(instance.instance_id)!))) },
    );
  } finally {
    await ahead.close();
  }
  const report = buildReport(plan.instances.length, submitted.map((instance) => instance.instance_id), results);
  const file = join(plan.output, "report.json");
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return { report, file };
}

/** Makes the evaluation's output folder, or says in one line why it cannot be made. */
export function makeOutputFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`cannot make the output folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? "failed"}`);
  }
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: not a folder`);
}
