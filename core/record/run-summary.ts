import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { evolutionSummary } from "./evolution-summary.ts";
import { EventsScan, ScanError, type EventType } from "../events/events-scan.ts";
import type { EventOf, ExitStatus, MoltEvent, Totals } from "../events/events.ts";
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
  /** Input tokens over all requests, and how many of them were read from the endpoint's cache. */
  promptTokens: number;
  cachedTokens: number;
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
  const spent = finished?.type === "run_finished" ? spentOf(finished.totals) : spentInScan(scan);
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
    ...(finished ? spentOf(finished.totals) : spentSoFar(events)),
    toolsCreated: evolution.toolsCreated,
    toolsRejected: evolution.rejectedTotal,
  };
}

function described(dir: string, kind: ReadableRun["kind"], started: EventOf<"run_started">) {
  const issue = started.spec.issue.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
  return { runId: started.runId, dir, kind, repo: started.spec.repo, issue, model: started.spec.model.name, startedAt: started.ts };
}

type Spent = Pick<ReadableRun, "steps" | "cost" | "promptTokens" | "cachedTokens">;

function spentOf(totals: Totals): Spent {
  return { steps: totals.steps, cost: totals.cost, promptTokens: totals.promptTokens, cachedTokens: totals.cachedTokens ?? 0 };
}

/** What a run that has not finished spent: its replies so far. */
function spentSoFar(events: readonly MoltEvent[]): Spent {
  const spent: Spent = { steps: 0, cost: 0, promptTokens: 0, cachedTokens: 0 };
  for (const event of events) {
    if (event.type !== "model_response") continue;
    spent.steps = Math.max(spent.steps, event.step);
    spent.cost += event.cost;
    spent.promptTokens += event.usage.promptTokens;
    spent.cachedTokens += event.usage.cachedTokens ?? 0;
  }
  return spent;
}

/** As spentSoFar, reading only the numbers of each reply: a long unfinished run has thousands. */
function spentInScan(scan: EventsScan): Spent {
  const spent: Spent = { steps: 0, cost: 0, promptTokens: 0, cachedTokens: 0 };
  const count = (value: unknown) => (typeof value === "number" && value >= 0 ? value : 0);
  for (const at of scan.at("model_response")) {
    const reply = scan.json(at);
    if (typeof reply !== "object" || reply === null) continue;
    if ("step" in reply && typeof reply.step === "number") spent.steps = Math.max(spent.steps, reply.step);
    if ("cost" in reply) spent.cost += count(reply.cost);
    if ("usage" in reply && typeof reply.usage === "object" && reply.usage !== null) {
      const usage = reply.usage;
      if ("promptTokens" in usage) spent.promptTokens += count(usage.promptTokens);
      if ("cachedTokens" in usage) spent.cachedTokens += count(usage.cachedTokens);
    }
  }
  return spent;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
