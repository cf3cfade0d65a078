// What a step snapshot costs, on a repository of 1,000 files: when the step changed nothing (most
// steps), when it changed one file, and the step after a change (git re-reads the file it just
// recorded once more, so that step is not the quickest kind).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SnapshotStore } from "../sandbox/snapshots.ts";
import { git, resolveSourceRepo, Workspace } from "../sandbox/workspace.ts";
import { writeFiles } from "./fixtures.ts";
import { round } from "./step-overhead.ts";

const IDENTITY = { GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface SnapshotCosts {
  files: number;
  samples: number;
  /** A step that changed nothing: no snapshot is made. */
  unchangedMs: Percentiles;
  /** A step that changed one file: one snapshot. */
  changedMs: Percentiles;
  /** A step that changed nothing, right after one that changed a file. */
  unchangedAfterChangeMs: Percentiles;
  /** Filling the stat cache once, at the start of a run (while the model answers the first request). */
  refreshMs: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  return { p50: at(0.5), p95: at(0.95) };
}

export async function measureSnapshots(files = 1000, samples = 100): Promise<SnapshotCosts> {
  const dir = await mkdtemp(join(tmpdir(), "molt-bench-snapshots-"));
  try {
    const repo = join(dir, "repo");
    const contents: Record<string, string> = { ".gitignore": "*.log\n" };
    for (let index = 0; index < files - 1; index++) contents[`src/d${index % 25}/file${index}.js`] = `export const value${index} = ${index};\n`.repeat(20);
    await writeFiles(repo, contents);
    await git(repo, IDENTITY).init().add(".").commit("bench");
    const workspace = await Workspace.create(await resolveSourceRepo(repo), dir);
    const store = await SnapshotStore.create(join(dir, "run", "snapshots.git"), workspace.sharedObjects, workspace.baseCommit);
    const ws = workspace.path;
    let started = performance.now();
    await store.refresh(ws);
    const refreshMs = round(performance.now() - started);

    const time = async (step: number, expectChange: boolean): Promise<number> => {
      started = performance.now();
      const taken = await store.capture(ws, step);
      const ms = performance.now() - started;
      if ((taken !== undefined) !== expectChange) throw new Error(`step ${step}: expected ${expectChange ? "a" : "no"} snapshot`);
      return ms;
    };
    let step = 0;
    // Warm up: the first captures settle the index.
    for (let index = 0; index < 5; index++) await time(++step, false);
    const unchanged: number[] = [];
    for (let index = 0; index < samples; index++) unchanged.push(await time(++step, false));
    const changed: number[] = [];
    const afterChange: number[] = [];
    for (let index = 0; index < samples; index++) {
      await writeFile(join(ws, `src/d${index % 25}/file${index}.js`), `export const changed = ${index};\n`);
      changed.push(await time(++step, true));
      afterChange.push(await time(++step, false));
    }
    await workspace.remove();
    return {
      files,
      samples,
      unchangedMs: percentiles(unchanged),
      changedMs: percentiles(changed),
      unchangedAfterChangeMs: percentiles(afterChange),
      refreshMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await measureSnapshots(), null, 2) + "\n");
}
