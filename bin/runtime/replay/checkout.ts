import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunRecord } from "../../../core/record/record.ts";
import { commitAfterStep } from "../../../core/record/snapshot-points.ts";
import { SnapshotStore } from "../../../sandbox/snapshots.ts";
import { WorkspaceError } from "../../../sandbox/workspace.ts";
import type { SessionIO } from "../run.ts";
import { UsageError } from "../../cli/usage-error.ts";

/** `molt replay RUN --checkout STEP DIR`: the repository as it was after step STEP, written into DIR. */
export async function checkoutStep(record: RunRecord, stepArg: string, dirArg: string, io: SessionIO): Promise<number> {
  if (!/^\d+$/.test(stepArg)) throw new UsageError(`--checkout needs a step number, not "${stepArg}"`);
  const started = record.events.find((event) => event.type === "run_started");
  if (record.kind !== "molt" || record.dir === undefined || started?.type !== "run_started") {
    throw new UsageError("--checkout needs a molt run's folder: a trajectory holds no snapshots of the repository");
  }
  const gitDir = join(record.dir, "snapshots.git");
  if (!existsSync(gitDir)) throw new UsageError(`${record.dir} has no snapshots of the repository (it was recorded by an older molt)`);
  const step = Number(stepArg);
  const lastStep = Math.max(0, ...record.events.map((event) => ("step" in event ? event.step : 0)));
  if (step > lastStep) throw new UsageError(`the run has ${lastStep} step${lastStep === 1 ? "" : "s"}; --checkout takes 0 (the base commit) to ${lastStep}`);
  const commit = commitAfterStep(record.events, step);
  const dir = resolve(dirArg);
  try {
    const store = await SnapshotStore.open(gitDir);
    await store.checkout(commit, dir);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new UsageError(error.message);
    throw error;
  }
  io.stdout.write(`${dir}: the repository after step ${step}${commit === started.baseCommit ? " (as at the base commit)" : ""}\n`);
  return 0;
}
