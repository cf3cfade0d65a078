import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readEvents } from "../../../core/events/events-file.ts";
import type { EventOf, MoltEvent } from "../../../core/events/events.ts";
import { RecordedGate } from "../../../core/record/recorded-gate.ts";
import { RecordedModel } from "../../../core/record/recorded-model.ts";
import type { RunRecord } from "../../../core/record/record.ts";
import { newRunId } from "../../../core/record/run-folder.ts";
import { resolveSourceRepo, WorkspaceError, type SourceRepo } from "../../../sandbox/workspace.ts";
import { seedLibrary } from "../../../tools/library-seed.ts";
import type { RunConfig } from "../../cli/run-flags.ts";
import { replaySession, type SessionIO } from "../run.ts";
import { UsageError } from "../../cli/usage-error.ts";
import { compareRuns, formatComparison } from "./compare.ts";

export interface ReplayExecOptions {
  /** The re-run's own folder; a fresh one under the temporary folder when not given. */
  output?: string;
  /** A tool library to use as it is, keeping what the re-run writes; a scratch copy of the recorded one when not given. */
  evolved?: string;
}

/**
 * `molt replay RUN --exec`: runs the recorded replies again, with no model endpoint, in a fresh
 * workspace at the run's base commit, then says step by step whether each observation came out
 * as recorded and whether the patch did. 0 when the patch is identical, 1 when it is not.
 */
export async function replayExec(record: RunRecord, options: ReplayExecOptions, io: SessionIO): Promise<number> {
  if (record.kind !== "molt") throw new UsageError(`${record.file}: --exec re-runs molt runs only; a mini-SWE-agent trajectory does not say which tools and settings it ran with`);
  const events: readonly MoltEvent[] = record.events;
  const started = events.find((event): event is EventOf<"run_started"> => event.type === "run_started");
  if (!started) throw new UsageError(`${record.file}: not a molt run's record (it has no run_started), so it cannot be re-run`);
  if (options.output !== undefined && existsSync(join(options.output, "events.jsonl"))) {
    throw new UsageError(`${options.output} already holds a run; choose another --output`);
  }
  if (options.output !== undefined) mustBeFolder(options.output, "--output");
  if (options.evolved !== undefined) mustBeFolder(options.evolved, "--evolved");
  const evolution = started.settings.evolution;
  if (options.evolved !== undefined && !evolution.enabled) throw new UsageError("the recorded run had tool evolution off, so the re-run writes no tools: drop --evolved");
  const source = await sourceOf(started);
  const scratch = options.evolved === undefined && evolution.enabled ? await mkdtemp(join(tmpdir(), "molt-replay-library-")) : undefined;
  try {
    const library = options.evolved ?? scratch;
    // A library the user names is used as it is, unless it is empty: then it starts as the recorded one.
    if (library !== undefined && !evolution.fresh && isEmptyLibrary(library)) await seedLibrary(library, events, "replay-seed");
    const config = configOf(started, events, options.output ?? join(tmpdir(), `molt-replay-${newRunId()}`), library);
    const model = new RecordedModel(started.model, events);
    const gate = new RecordedGate(events, started.actionFormat);
    const folder = await withWorkspaceErrors(() => replaySession(config, source, { model, gate, signal: gate.signal }, io));
    const comparison = compareRuns(events, readEvents(folder.events));
    io.stdout.write(`re-run ${folder.dir}\n${formatComparison(comparison)}`);
    return comparison.patch.same ? 0 : 1;
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

function mustBeFolder(path: string, flag: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is not a folder`);
}

function isEmptyLibrary(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).every((file) => !file.endsWith(".ts") && file !== ".history");
}

async function sourceOf(started: EventOf<"run_started">): Promise<SourceRepo> {
  return withWorkspaceErrors(() => resolveSourceRepo(started.repo, started.baseCommit));
}

async function withWorkspaceErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WorkspaceError) throw new UsageError(`cannot re-run: ${error.message}`);
    throw error;
  }
}

/**
 * The recorded run's settings, with the parts that only a live run has (endpoint, view, printing)
 * left out. A setup command it ran runs again, so the agent starts from the same state.
 */
function configOf(started: EventOf<"run_started">, events: readonly MoltEvent[], output: string, library: string | undefined): RunConfig {
  const { settings } = started;
  const setup = events.find((event): event is EventOf<"setup_finished"> => event.type === "setup_finished")?.command;
  return {
    ...(setup !== undefined ? { setup } : {}),
    repo: started.repo,
    base: started.baseCommit,
    issue: started.issue,
    model: started.model,
    baseUrl: undefined,
    apiKey: undefined,
    scriptFile: undefined,
    output: resolve(output),
    actionFormat: started.actionFormat,
    // Wall-clock time is the one limit a re-run does not meet the same way; the record's end bounds it instead.
    limits: { ...started.limits, timeLimitSec: 0 },
    retries: 0,
    price: settings.price,
    json: false,
    keep: false,
    apply: false,
    evolve: settings.evolution.enabled,
    evolvedDir: library,
    fresh: settings.evolution.fresh,
    reminder: settings.evolution.reminder,
    sandbox: settings.sandbox,
    requestTimeoutSec: settings.requestTimeoutSec,
    display: { confirm: false, theme: "dark", screenReader: false, plain: true },
  };
}
