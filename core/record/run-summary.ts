import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { evolutionSummary } from "./evolution-summary.ts";
import { EventsScan, ScanError, type EventType } from "../events/events-scan.ts";
import type { EventOf, ExitStatus, MoltEvent } from "../events/events.ts";
import { loadRecord, RecordError } from "./record.ts";

/** One past run, as `molt runs` lists it. */
export type RunSummary = ReadableRun | UnreadableRun;

export interface ReadableRun {
  runId: string;
  dir: string;
  kind: "molt" | "mini-swe-agent";
  /** The repository's path, "" when unknown. */
  repo: string;
  /** The issue's first line. */
  issue: string;
  model: string;
  /** Undefined while the run goes on, or when it was killed before it could finish. */
  exitStatus: ExitStatus | undefined;
  steps: number;
  cost: number;
  toolsCreated: number;
  toolsRejected: number;
  /** ms since the epoch. */
  startedAt: number;
}

export interface UnreadableRun {
  runId: string;
  dir: string;
  problem: string;
  /** The folder's modification time, to sort it among the others. */
  startedAt: number;
}

const SCANNED: EventType[] = ["run_finished", "run_resumed", "model_response", "tool_library", "tool_written", "tool_loaded", "tool_rejected"];
const TOOL_TYPES: EventType[] = ["tool_library", "tool_written", "tool_loaded", "tool_rejected"];

/** A run's folder, summed up; reads its events.jsonl once and parses little of it. Never throws. */
export function summariseRunFolder(dir: string): RunSummary {
  const events = join(dir, "events.jsonl");
  try {
    if (existsSync(events)) return EventsScan.within(events, SCANNED, (scan) => fromScan(dir, scan));
    const record = loadRecord(dir);
    return summariseEvents(dir, record.kind, record.events);
  } catch (error) {
    const problem = error instanceof ScanError || error instanceof RecordError ? error.message : `cannot be read (${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)})`;
    return { runId: basename(dir), dir, problem: problem.startsWith(dir) ? problem.slice(dir.length).replace(/^[/:]\s*/, "") : problem, startedAt: mtimeOf(dir) };
  }
}

function fromScan(dir: string, scan: EventsScan): RunSummary {
  const started = scan.first();
  if (started?.type !== "run_started") {
    const what = started ? `its first event is ${started.type}` : "it is empty";
    return { runId: basename(dir), dir, problem: `events.jsonl is not a run's record (${what})`, startedAt: mtimeOf(dir) };
  }
  const finishedAt = scan.at("run_finished").at(-1);
  const resumedAt = scan.at("run_resumed").at(-1);
  // A run resumed after it had finished (as Interrupted) is going on again.
  const finished = finishedAt && !(resumedAt && resumedAt.line > finishedAt.line) ? scan.parse(finishedAt) : undefined;
  const spent = finished?.type === "run_finished" ? { steps: finished.totals.steps, cost: finished.totals.cost } : spentInScan(scan);
  const evolution = evolutionSummary(TOOL_TYPES.flatMap((type) => scan.all(type)));
  return {
    ...described(dir, "molt", started),
    exitStatus: finished?.type === "run_finished" ? finished.exitStatus : undefined,
    ...spent,
    toolsCreated: evolution.toolsCreated,
    toolsRejected: evolution.rejectedTotal,
  };
}

/** The same summary from events already read (a trajectory, converted). */
export function summariseEvents(dir: string, kind: ReadableRun["kind"], events: readonly MoltEvent[]): ReadableRun {
  const started = events.find((event): event is EventOf<"run_started"> => event.type === "run_started");
  const finished = events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
  const evolution = evolutionSummary(events);
  return {
    ...(started ? described(dir, kind, started) : { runId: basename(dir), dir, kind, repo: "", issue: "", model: "", startedAt: mtimeOf(dir) }),
    exitStatus: finished?.exitStatus,
    ...(finished ? { steps: finished.totals.steps, cost: finished.totals.cost } : spentSoFar(events)),
    toolsCreated: evolution.toolsCreated,
    toolsRejected: evolution.rejectedTotal,
  };
}

function described(dir: string, kind: ReadableRun["kind"], started: EventOf<"run_started">) {
  const issue = started.spec.issue.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
  return { runId: started.runId, dir, kind, repo: started.spec.repo, issue, model: started.spec.model.name, startedAt: started.ts };
}

/** Steps and cost of a run that has not finished: its replies so far. */
function spentSoFar(events: readonly MoltEvent[]): { steps: number; cost: number } {
  let steps = 0;
  let cost = 0;
  for (const event of events) {
    if (event.type !== "model_response") continue;
    steps = Math.max(steps, event.step);
    cost += event.cost;
  }
  return { steps, cost };
}

/** As spentSoFar, reading only the two numbers of each reply: a long unfinished run has thousands. */
function spentInScan(scan: EventsScan): { steps: number; cost: number } {
  let steps = 0;
  let cost = 0;
  for (const at of scan.at("model_response")) {
    const reply = scan.json(at);
    if (typeof reply !== "object" || reply === null) continue;
    if ("step" in reply && typeof reply.step === "number") steps = Math.max(steps, reply.step);
    if ("cost" in reply && typeof reply.cost === "number" && reply.cost >= 0) cost += reply.cost;
  }
  return { steps, cost };
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
