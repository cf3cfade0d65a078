import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Workspace } from "../../../sandbox/workspace.ts";
import { copyLibrary, mergeLibrary } from "../../../tools/library-merge.ts";
import { ToolLibrary } from "../../../tools/library.ts";
import { BatchSummary, Predictions, predsFile, readBatchFile, summaryFile, writeJsonAtomically, type InstanceSummary } from "./batch-files.ts";
import type { BatchProgress } from "./batch-progress.ts";
import type { ChildStep } from "./child-steps.ts";
import { ignoredPathsIn } from "./ignored-paths.ts";
import { closeWorkers, runInstance, type ChildSettings } from "./instance-run.ts";
import type { Instance } from "./instances.ts";
import type { RepoSource } from "./repos.ts";
import { isFinished, readRunOutcome } from "./run-outcome.ts";
import { WorkspacesAhead } from "../workspaces-ahead.ts";

export interface BatchPlan {
  /** The selected instances, in file order. */
  instances: Instance[];
  outputDir: string;
  workers: number;
  repos: RepoSource;
  child: Omit<ChildSettings, "library">;
  /** The library the instances share and grow; undefined with --fresh or --no-evolve. */
  sharedLibrary: string | undefined;
}

/**
 * Runs a batch: skips the instances an earlier run of it finished, sets aside the folders of
 * those it did not, and runs the rest on `workers` parallel worker processes (each runs its
 * instances one after another, as `molt run` would), writing preds.json and summary.json after
 * each instance. Returns the instances that did not finish.
 */
export async function runBatch(plan: BatchPlan, progress: BatchProgress, signal: AbortSignal): Promise<number> {
  const { outputDir } = plan;
  await mkdir(outputDir, { recursive: true });
  const preds = readBatchFile(predsFile(outputDir), Predictions, {});
  const summary = readBatchFile(summaryFile(outputDir), BatchSummary, { model: plan.child.model, instances: {} });
  summary.model = plan.child.model;

  const queue: Instance[] = [];
  for (const instance of plan.instances) {
    const runDir = join(outputDir, instance.instance_id);
    if (preds[instance.instance_id] && isFinished(readRunOutcome(runDir))) continue;
    if (existsSync(runDir)) await setAside(outputDir, instance.instance_id);
    queue.push(instance);
  }
  const toRun = queue.length;
  progress.emit("batch_started", { total: plan.instances.length, skipped: plan.instances.length - toRun, toRun, workers: plan.workers });

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
  const ahead = new WorkspacesAhead((instance) => plan.repos.path(instance.repo));
  const runOne = async (instance: Instance, worker: number, madeAhead: Promise<Workspace | undefined>): Promise<void> => {
    const id = instance.instance_id;
    progress.emit("instance_started", { id, worker });
    const started = performance.now();
    const runDir = join(outputDir, id);
    const privateLibrary = join(outputDir, ".libraries", id);
    let lastError = "";
    let repoDir: string | undefined;
    let workspace: Workspace | undefined;
    try {
      workspace = await madeAhead;
      repoDir = await plan.repos.path(instance.repo);
      const start = shared ? await withLibrary(shared, () => copyLibrary(shared, privateLibrary)) : undefined;
      const onStep = (step: ChildStep) => progress.emit("instance_step", { id, worker, ...step });
      const place = { repoDir, runDir, workspace: workspace?.path };
      const exit = await runInstance(instance, place, { ...plan.child, library: shared ? privateLibrary : undefined }, signal, onStep);
      lastError = exit.lastError;
      if (shared && start) await withLibrary(shared, () => mergeLibrary(shared, privateLibrary, start));
    } catch (error) {
      lastError = error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
    } finally {
      await rm(privateLibrary, { recursive: true, force: true });
      // A run that never started (its record is not there) never took its workspace over.
      if (workspace && !existsSync(join(runDir, "events.jsonl"))) await workspace.remove();
    }
    const outcome = readRunOutcome(runDir);
    const entry: InstanceSummary = {
      instance_id: id,
      exit_status: outcome?.exitStatus ?? "Crashed",
      reason: outcome ? outcome.reason : lastError || "the run left no record of its end",
      steps: outcome?.steps ?? 0,
      cost: outcome?.cost ?? 0,
      ms: Math.round(performance.now() - started),
      tools_created: outcome?.toolsCreated ?? [],
      tools_used: outcome?.toolsUsed ?? {},
      kept_tools_used: outcome?.keptToolsUsed ?? [],
      ignored_paths_in_patch: outcome && repoDir ? await ignoredPathsIn(repoDir, outcome.patch) : [],
      run_dir: runDir,
    };
    if (isFinished(outcome)) {
      preds[id] = { instance_id: id, model_name_or_path: plan.child.model, model_patch: outcome.patch };
      writeJsonAtomically(predsFile(outputDir), preds);
    }
    summary.instances[id] = entry;
    writeJsonAtomically(summaryFile(outputDir), summary);
    ran.push(entry);
    progress.emit("instance_finished", { worker, done: ran.length, toRun, summary: entry });
  };

  let next = 0;
  const worker = async (number: number): Promise<void> => {
    while (!signal.aborted && next < queue.length) {
      const instance = queue[next++]!;
      const madeAhead = ahead.take(instance.instance_id);
      // While this one runs, the workspaces of those the workers take next are made (one more than
      // there are workers, so that short instances do not wait for a checkout).
      ahead.prepare(queue.slice(next, next + plan.workers + 1));
      await runOne(instance, number, madeAhead);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.workers, Math.max(queue.length, 1)) }, (_, index) => worker(index + 1)));
  } finally {
    await Promise.all([closeWorkers(), ahead.close()]);
  }

  const unfinished = plan.instances.filter((instance) => !preds[instance.instance_id]).length;
  progress.emit("batch_finished", {
    ran: ran.length,
    skipped: plan.instances.length - toRun,
    finished: plan.instances.length - unfinished,
    unfinished,
    instances: plan.instances.map((instance) => summary.instances[instance.instance_id]).filter((entry): entry is InstanceSummary => entry !== undefined),
  });
  return unfinished;
}

/** An unfinished run's folder is moved, never mixed with a new run's records, and never deleted. */
async function setAside(outputDir: string, id: string): Promise<void> {
  const aside = join(outputDir, ".unfinished");
  await mkdir(aside, { recursive: true });
  await rename(join(outputDir, id), join(aside, `${id}.${Date.now()}`));
}
