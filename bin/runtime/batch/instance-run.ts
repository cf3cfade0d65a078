import { statSync } from "node:fs";
import { join } from "node:path";
import { childStepReader, type ChildStep } from "./child-steps.ts";
import type { Instance } from "./instances.ts";
import { WorkerPool } from "./worker-pool.ts";

/** How every instance's run is started: the model and the run flags a batch passes through. */
export interface ChildSettings {
  model: string;
  baseUrl: string | undefined;
  /** Flags for `molt run` as they were given to the batch (--step-limit 50, --sandbox local, …). */
  runFlags: string[];
  /** The run's private tool library; undefined with --fresh or --no-evolve (their flag is in runFlags). */
  library: string | undefined;
}

export interface ChildExit {
  exitCode: number;
  /** The last line the run wrote on stderr: why it failed, when it did. */
  lastError: string;
}

/**
 * `--model script:DIR` with a folder: each instance is served `DIR/<instance_id>.json`. A file
 * serves every instance the same script.
 */
export function modelFor(model: string, instanceId: string): string {
  if (!model.startsWith("script:")) return model;
  const path = model.slice("script:".length);
  const isFolder = (() => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  })();
  return isFolder ? `script:${join(path, `${instanceId}.json`)}` : model;
}

/** The batch's warm workers: Node and molt's modules are loaded once per worker, not once per instance. */
const workers = new WorkerPool();

/** Ends the workers (a batch does when it is done, so that its process can exit). */
export function closeWorkers(): Promise<void> {
  return workers.close();
}

/** Where an instance's run works and records. */
export interface InstancePlace {
  repoDir: string;
  runDir: string;
  /** A workspace made ahead for it (it becomes the run's), or undefined for the run to make its own. */
  workspace: string | undefined;
}

/**
 * Runs one instance as `molt run --json` would, on one of the batch's worker processes (its crash
 * is its worker's only), with the problem statement as the issue. Its record lands in `runDir`.
 * Aborting `signal` ends the run cleanly (Interrupted, its record saved).
 */
export async function runInstance(
  instance: Instance,
  { repoDir, runDir, workspace }: InstancePlace,
  settings: ChildSettings,
  signal: AbortSignal,
  onStep: (step: ChildStep) => void = () => undefined,
): Promise<ChildExit> {
  const args = [
    "--json",
    "--repo", repoDir,
    "--base", instance.base_commit,
    "--output", runDir,
    "--model", modelFor(settings.model, instance.instance_id),
    ...(settings.baseUrl !== undefined ? ["--base-url", settings.baseUrl] : []),
    ...(settings.library !== undefined ? ["--evolved", settings.library] : []),
    ...(instance.install_cmd ? ["--setup", instance.install_cmd] : []),
    ...settings.runFlags,
  ];
  // Its events, read line by line as they come (for the steps) and never kept.
  return workers.run({ args, issue: instance.problem_statement, workspace }, signal, childStepReader(onStep));
}
