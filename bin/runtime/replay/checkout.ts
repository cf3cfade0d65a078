import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunRecord } from "../../../core/record/record.ts";
import { commitAfterStep } from "../../../core/record/snapshot-points.ts";
import { SnapshotStore } from "../../../sandbox/snapshots.ts";
import { WorkspaceError } from "../../../sandbox/workspace.ts";
import { InputError } from "../input-error.ts";

export interface CheckedOut {
  /** The folder written. */
  dir: string;
  /** The repository was as at the base commit then. */
  atBase: boolean;
}

/** The repository as it was after step `step` (0: the start), written into `dirArg` (new or empty). */
export async function checkoutStep(record: RunRecord, step: number, dirArg: string): Promise<CheckedOut> {
  const started = record.events.find((event) => event.type === "run_started");
  if (record.kind !== "molt" || record.dir === undefined || started?.type !== "run_started") {
    throw new InputError("--checkout needs a molt run's folder: a trajectory holds no snapshots of the repository");
  }
  const gitDir = join(record.dir, "snapshots.git");
  if (!existsSync(gitDir)) throw new InputError(`${record.dir} has no snapshots of the repository (it was recorded by an older molt)`);
  const lastStep = Math.max(0, ...record.events.map((event) => ("step" in event ? event.step : 0)));
  if (step > lastStep) throw new InputError(`the run has ${lastStep} step${lastStep === 1 ? "" : "s"}; --checkout takes 0 (the base commit) to ${lastStep}`);
  const commit = commitAfterStep(record.events, step);
  const dir = resolve(dirArg);
  try {
    const store = await SnapshotStore.open(gitDir);
    await store.checkout(commit, dir);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new InputError(error.message);
    throw error;
  }
  return { dir, atBase: commit === started.spec.base };
}
