import { existsSync, readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { readEvents } from "../events/events-file.ts";
import type { MoltEvent } from "../events/events.ts";
import { miniTrajectoryEvents, MiniTrajectoryError } from "./mini-trajectory.ts";

/** A run as replay reads it, from whichever file holds it. */
export interface RunRecord {
  kind: "molt" | "mini-swe-agent";
  /** The file that was read. */
  file: string;
  /** The run's folder, for molt runs (replay finds snapshots.git there). */
  dir?: string;
  events: MoltEvent[];
}

/** The record cannot be read; the message is one line that names the file. */
export class RecordError extends Error {
  override readonly name = "RecordError";
}

const EVENTS_FILE = "events.jsonl";
const TRAJECTORY_SUFFIX = ".traj.json";

/** Only this much of a trajectory says whether molt wrote it. */
const MoltWritten = z.object({ info: z.object({ molt: z.object({ runId: z.string() }) }) });

/**
 * RUN is a molt run's folder, its events.jsonl, or a `*.traj.json` (molt's or mini-SWE-agent's).
 * A trajectory molt wrote is read from the events.jsonl beside it, which holds more, when there is one.
 */
export function loadRecord(path: string): RunRecord {
  const stats = statOf(path);
  if (stats.isDirectory()) {
    const events = join(path, EVENTS_FILE);
    if (existsSync(events)) return moltRecord(events);
    const trajectories = listing(path).filter((name) => name.endsWith(TRAJECTORY_SUFFIX));
    if (trajectories.length === 1) return trajectoryRecord(join(path, trajectories[0]!));
    if (trajectories.length > 1) throw new RecordError(`${path}: holds ${trajectories.length} trajectories and no ${EVENTS_FILE}; name one of them`);
    throw new RecordError(`${path}: not a molt run (no ${EVENTS_FILE} or *${TRAJECTORY_SUFFIX} in it)`);
  }
  if (path.endsWith(".jsonl")) return moltRecord(path);
  if (path.endsWith(".json")) return trajectoryRecord(path);
  throw new RecordError(`${path}: not a molt run or trajectory (expected a run folder, ${EVENTS_FILE} or *${TRAJECTORY_SUFFIX})`);
}

function statOf(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new RecordError(`${path}: no such file or folder`);
    throw new RecordError(`${path}: cannot be read (${code ?? "unknown error"})`);
  }
}

function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    throw new RecordError(`${dir}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
}

function moltRecord(file: string): RunRecord {
  let events: MoltEvent[];
  try {
    events = readEvents(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // readEvents names the file and the line already.
    throw new RecordError(code ? `${file}: cannot be read (${code})` : error instanceof Error ? error.message : String(error));
  }
  if (events.length === 0) throw new RecordError(`${file}: holds no events (the run ended before it started)`);
  if (events[0]?.type !== "run_started") throw new RecordError(`${file}:1: not a molt run's record (its first event is ${events[0]?.type}, not run_started)`);
  return { kind: "molt", file, dir: dirname(file), events };
}

function trajectoryRecord(file: string): RunRecord {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new RecordError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RecordError(`${file}: not valid JSON, so not a trajectory`);
  }
  const beside = join(dirname(file), EVENTS_FILE);
  if (MoltWritten.safeParse(data).success && existsSync(beside)) return moltRecord(beside);
  const runId = basename(file).replace(/\.traj\.json$|\.json$/, "");
  try {
    return { kind: "mini-swe-agent", file, events: miniTrajectoryEvents(data, { runId, file, ts: statSync(file).mtimeMs }) };
  } catch (error) {
    if (error instanceof MiniTrajectoryError) throw new RecordError(`${file}: not a molt run or mini-SWE-agent trajectory (${error.message})`);
    throw error;
  }
}
