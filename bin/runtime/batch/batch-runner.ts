import { existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { EventBus } from "../../../core/events/event-bus.ts";
import { RunTally } from "../../../core/record/run-tally.ts";
import type { ModelSpec, RunSpec } from "../../../core/run-spec.ts";
import type { Workspace } from "../../../sandbox/workspace.ts";
import { copyLibrary, mergeLibrary } from "../../../tools/library-merge.ts";
import { ToolLibrary } from "../../../tools/library.ts";
import { schedule } from "../scheduler.ts";
import { WorkspacesAhead } from "../workspaces-ahead.ts";
import type { BatchEvent } from "./batch-events.ts";
import { BatchSummary, Predictions, predsFile, readBatchFile, summaryFile, writeJsonAtomically, type InstanceSummary } from "./batch-files.ts";
import { ignoredPathsIn } from "./ignored-paths.ts";
import type { Instance } from "./instances.ts";
import { RepoUnavailable, type RepoSource } from "./repos.ts";
import { WorkerPool } from "./worker-pool.ts";

/** What every instance's run shares; its repository, commit, issue and setup are the instance's own. */
export type InstanceTemplate = Omit<RunSpec, "repo" | "base" | "issue" | "setup">;

export interface BatchPlan {
  /** The selected instances, in file order. */
  instances: Instance[];
  outputDir: string;
  workers: number;
  repos: RepoSource;
  template: InstanceTemplate;
  /** The library the instances share and grow; undefined with --fresh or --no-evolve. */
  sharedLibrary: string | undefined;
  /** The worker program the batch's processes run (bin/cli/batch-worker.ts). */
  workerEntry: string;
  /** Headers for every request (--header): given to the workers with each job, never recorded. */
  headers?: Record<string, string>;
}

/**
 * Runs a batch: skips the instances an earlier run of it finished, sets aside the folders of
 * those it did not, and runs the rest on `workers` warm worker processes (each runs its instances
 * one after another, in-process), writing preds.json and summary.json after each instance. Tells
 * `progress` how it goes. Returns how many instances did not finish.
 */
export async function runBatch(plan: BatchPlan, progress: EventBus<BatchEvent>, signal: AbortSignal): Promise<number> {
  const { outputDir } = plan;
  const modelName = plan.template.model.name;
  await mkdir(outputDir, { recursive: true });
  const preds = readBatchFile(predsFile(outputDir), Predictions, {});
  const summary = readBatchFile(summaryFile(outputDir), BatchSummary, { model: modelName, instances: {} });
  summary.model = modelName;

  const queue: Instance[] = [];
  for (const instance of plan.instances) {
    const id = instance.instance_id;
    if (preds[id] && isFinished(summary.instances[id]?.exit_status)) continue;
    if (existsSync(join(outputDir, id))) await setAside(outputDir, id);
    queue.push(instance);
  }
  const toRun = queue.length;
  progress.emit({ type: "batch_started", total: plan.instances.length, skipped: plan.instances.length - toRun, toRun, workers: plan.workers });

  const shared = plan.sharedLibrary === undefined ? undefined : new ToolLibrary(plan.sharedLibrary);
  let libraryTurn: Promise<unknown> = Promise.resolve();
  /**
   * Copies and merges of the shared library, one at a time: workers finish concurrently, and
   * other batches and runs may share the library.
   */
  const withLibrary = <T>(library: ToolLibrary, work: () => Promise<T>): Promise<T> => {
    const result = libraryTurn.then(() => library.exclusively(work));
    libraryTurn = result.catch(() => undefined);
    return result;
  };

  const ran: InstanceSummary[] = [];
  const pool = new WorkerPool(plan.workerEntry);
  const ahead = new WorkspacesAhead((instance) => plan.repos.path(instance.repo));
  const runOne = async (instance: Instance, worker: number): Promise<void> => {
    const madeAhead = ahead.take(instance.instance_id);
    const id = instance.instance_id;
    progress.emit({ type: "instance_started", id, worker });
    const started = performance.now();
    const runDir = join(outputDir, id);
    const privateLibrary = join(outputDir, ".libraries", id);
    const tally = new RunTally();
    let error = "";
    let noRepository = false;
    let repoDir: string | undefined;
    let workspace: Workspace | undefined;
    try {
      workspace = await madeAhead;
      repoDir = await plan.repos.path(instance.repo);
      const start = shared ? await withLibrary(shared, () => copyLibrary(shared, privateLibrary)) : undefined;
      const spec: RunSpec = {
        ...plan.template,
        repo: repoDir,
        base: instance.base_commit,
        issue: instance.problem_statement,
        ...(instance.install_cmd ? { setup: instance.install_cmd } : {}),
        model: modelFor(plan.template.model, id),
        evolution: shared ? { ...plan.template.evolution, library: privateLibrary } : plan.template.evolution,
      };
      const end = await pool.run({ spec, output: runDir, ...(workspace ? { workspace: workspace.path } : {}), ...(plan.headers ? { headers: plan.headers } : {}) }, signal, (event) => {
        tally.onEvent(event);
        progress.emit({ type: "instance_event", id, worker, event });
      });
      error = end.error ?? "";
      if (shared && start) await withLibrary(shared, () => mergeLibrary(shared, privateLibrary, start));
    } catch (caught) {
      error = caught instanceof Error ? caught.message.split("\n", 1)[0]! : String(caught);
      noRepository = caught instanceof RepoUnavailable;
    } finally {
      await rm(privateLibrary, { recursive: true, force: true });
      // A run that never started (its record is not there) never took its workspace over.
      if (workspace && !existsSync(join(runDir, "events.jsonl"))) await workspace.remove();
    }
    const result = tally.result;
    const entry: InstanceSummary = {
      instance_id: id,
      exit_status: result?.exitStatus ?? (noRepository ? "EnvironmentError" : "Crashed"),
      reason: result ? result.reason : error || "the run left no record of its end",
      steps: result?.steps ?? 0,
      cost: result?.cost ?? 0,
      prompt_tokens: result?.promptTokens ?? 0,
      cached_tokens: result?.cachedTokens ?? 0,
      ms: Math.round(performance.now() - started),
      tools_created: result?.toolsCreated ?? [],
      tools_used: result?.toolsUsed ?? {},
      kept_tools_used: result?.keptToolsUsed ?? [],
      ignored_paths_in_patch: result && repoDir ? await ignoredPathsIn(repoDir, result.patch) : [],
      patch_notes: result?.patchNotes ?? [],
      run_dir: runDir,
    };
    if (result && isFinished(result.exitStatus)) {
      preds[id] = { instance_id: id, model_name_or_path: modelName, model_patch: result.patch };
      writeJsonAtomically(predsFile(outputDir), preds);
    }
    summary.instances[id] = entry;
    writeJsonAtomically(summaryFile(outputDir), summary);
    ran.push(entry);
    progress.emit({ type: "instance_finished", worker, done: ran.length, toRun, summary: entry });
  };

  try {
    // While an instance runs, the workspaces of those the workers take next are made.
    await schedule(queue, plan.workers, runOne, { signal, upcoming: (upcoming) => ahead.prepare(upcoming) });
  } finally {
    await Promise.all([pool.close(), ahead.close()]);
  }

  const withoutPrediction = plan.instances.filter((instance) => !preds[instance.instance_id]);
  // Those whose repository could not be had are not helped by running the same command again.
  const withoutRepository = withoutPrediction.filter((instance) => ran.some((entry) => entry.instance_id === instance.instance_id && entry.exit_status === "EnvironmentError" && entry.steps === 0 && !existsSync(join(entry.run_dir, "events.jsonl")))).length;
  const unfinished = withoutPrediction.length - withoutRepository;
  progress.emit({
    type: "batch_finished",
    ran: ran.length,
    skipped: plan.instances.length - toRun,
    finished: plan.instances.length - withoutPrediction.length,
    unfinished,
    withoutRepository,
    instances: plan.instances.map((instance) => summary.instances[instance.instance_id]).filter((entry): entry is InstanceSummary => entry !== undefined),
  });
  return withoutPrediction.length;
}

/** An instance that ended and may be counted: anything but an interruption or a crash, which a batch runs again. */
function isFinished(status: InstanceSummary["exit_status"] | undefined): boolean {
  return status !== undefined && status !== "Interrupted" && status !== "Crashed";
}

/**
 * `--model script:DIR` with a folder: each instance is served `DIR/<instance_id>.json`. A file
 * serves every instance the same script.
 */
export function modelFor(model: ModelSpec, instanceId: string): ModelSpec {
  if (model.script === undefined) return model;
  const isFolder = (() => {
    try {
      return statSync(model.script).isDirectory();
    } catch {
      return false;
    }
  })();
  return isFolder ? { ...model, script: join(model.script, `${instanceId}.json`) } : model;
}

/** An unfinished run's folder is moved, never mixed with a new run's records, and never deleted. */
async function setAside(outputDir: string, id: string): Promise<void> {
  const aside = join(outputDir, ".unfinished");
  await mkdir(aside, { recursive: true });
  await rename(join(outputDir, id), join(aside, `${id}.${Date.now()}`));
}
