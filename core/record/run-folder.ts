import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { runsFolder } from "../data-folder.ts";

/** The files of one run, all in its output folder. */
export interface RunFolder {
  runId: string;
  dir: string;
  events: string;
  patch: string;
  trajectory: string;
  /** A bare git repository of the workspace's state after each step that changed it. */
  snapshots: string;
}

/** A sortable, unique id: the start time and a random suffix, e.g. 20261124-063015-3f2a. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/** Makes a run's folder: `dir`, or a new one in the user's runs folder. The run's id is the folder's name unless a record says otherwise. */
export function createRunFolder(dir: string | undefined, recordedId?: string): RunFolder {
  const folder = resolve(dir ?? join(runsFolder(), newRunId()));
  const runId = recordedId ?? basename(folder);
  mkdirSync(folder, { recursive: true });
  return {
    runId,
    dir: folder,
    events: join(folder, "events.jsonl"),
    patch: join(folder, "patch.diff"),
    trajectory: join(folder, `${runId}.traj.json`),
    snapshots: join(folder, "snapshots.git"),
  };
}
