import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "../../../core/record/record.ts";
import { SnapshotStore } from "../../../sandbox/snapshots.ts";
import type { RepoDiffs } from "./replay-app.ts";

/** The repository at each step, from the run's snapshots; or why replay cannot show it. */
export async function repoDiffsOf(record: RunRecord): Promise<{ repo: RepoDiffs | undefined; reason: string }> {
  if (record.kind !== "molt" || record.dir === undefined) {
    return { repo: undefined, reason: "This trajectory holds no snapshots of the repository: only the final patch is known." };
  }
  const gitDir = join(record.dir, "snapshots.git");
  if (!existsSync(gitDir)) {
    return { repo: undefined, reason: "This run has no snapshots of the repository (it was recorded by an older molt)." };
  }
  try {
    const store = await SnapshotStore.open(gitDir);
    return { repo: { diff: (from, to) => store.diff(from, to) }, reason: "" };
  } catch (error) {
    return { repo: undefined, reason: `The run's snapshots cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}
