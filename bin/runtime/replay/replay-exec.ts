import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readEvents } from "../../../core/events/events-file.ts";
import type { EventOf, MoltEvent } from "../../../core/events/events.ts";
import type { RunRecord } from "../../../core/record/record.ts";
import { RecordedGate } from "../../../core/record/recorded-gate.ts";
import { RecordedModel } from "../../../core/record/recorded-model.ts";
import { newRunId, type RunFolder } from "../../../core/record/run-folder.ts";
import { ConfigError, type ConfigSource } from "../../../core/config/config.ts";
import { reconfigure } from "../../../core/config/configuration.ts";
import type { RunSpec } from "../../../core/run-spec.ts";
import { seedLibrary } from "../../../tools/library-seed.ts";
import { checkFolder } from "../folder-check.ts";
import { InputError } from "../input-error.ts";
import { rerunSandbox, type SandboxRules } from "../rerun-sandbox.ts";
import { prepareRun } from "../run.ts";
import { compareRuns, type Comparison } from "./compare.ts";

export interface ReplayExecOptions {
  /** The re-run's own folder; a fresh one under the temporary folder when not given. */
  output?: string | undefined;
  /** A tool library to use as it is, keeping what the re-run writes; a scratch copy of the recorded one when not given. */
  evolved?: string | undefined;
  /** Configuration to re-run with instead of the recorded one (files), or changes to it (`key=value`). */
  config?: readonly ConfigSource[];
  /** The sandbox this command line asks for (its flags, or their defaults): the record's is never used. */
  sandbox: SandboxRules;
  /** The endpoint's key, hidden in the re-run's record and output as a run hides it. */
  apiKey?: string | undefined;
}

export interface ReplayExecResult {
  folder: RunFolder;
  comparison: Comparison;
  /** How the re-run's sandbox differs from the recorded one, in a line; undefined when it does not. */
  sandboxNote: string | undefined;
}

/**
 * Runs a recorded run's replies again, with no model endpoint, in a fresh workspace at the run's
 * base commit, with the spec it recorded but the sandbox of this command line; then compares the
 * two records step by step.
 */
export async function replayExec(record: RunRecord, options: ReplayExecOptions): Promise<ReplayExecResult> {
  if (record.kind !== "molt") throw new InputError(`${record.file}: --exec re-runs molt runs only; a mini-SWE-agent trajectory does not say which tools and settings it ran with`);
  const events: readonly MoltEvent[] = record.events;
  const started = events.find((event): event is EventOf<"run_started"> => event.type === "run_started");
  if (!started) throw new InputError(`${record.file}: not a molt run's record (it has no run_started), so it cannot be re-run`);
  if (options.output !== undefined && existsSync(join(options.output, "events.jsonl"))) {
    throw new InputError(`${options.output} already holds a run; choose another --output`);
  }
  if (options.output !== undefined) checkFolder(options.output, "--output");
  if (options.evolved !== undefined) checkFolder(options.evolved, "--evolved");
  const { evolution } = started.spec;
  if (options.evolved !== undefined && !evolution.enabled) throw new InputError("the recorded run had tool evolution off, so the re-run writes no tools: drop --evolved");
  const scratch = options.evolved === undefined && evolution.enabled ? await mkdtemp(join(tmpdir(), "molt-replay-library-")) : undefined;
  try {
    const library = options.evolved ?? scratch;
    // A library the user names is used as it is, unless it is empty: then it starts as the recorded one.
    if (library !== undefined && !evolution.fresh && isEmptyLibrary(library)) await seedLibrary(library, events, "replay-seed");
    const output = resolve(options.output ?? join(tmpdir(), `molt-replay-${newRunId()}`));
    const configured = options.config?.length ? withConfiguration(started.spec, options.config) : started.spec;
    const { sandbox, note } = rerunSandbox(configured.sandbox, options.sandbox, "replay --exec");
    const spec = { ...respec(configured, library), sandbox };
    // The recorded setup command is the record's code too: it gets the network only when this command line allows it.
    const setupNetwork = sandbox.network === "all";
    const setupNote = spec.setup !== undefined && !setupNetwork ? "the recorded setup command runs without the network (--allow-network gives it the network)" : undefined;
    const prepared = await withContext(() => prepareRun(spec, { output, discardInterrupted: true, apiKey: options.apiKey, setupNetwork }));
    const gate = new RecordedGate(events, started.spec.model.actionFormat, started.spec.agent.actionRegex);
    await prepared.start({ model: new RecordedModel(started.spec.model.name, events), gate, signal: gate.signal });
    const sandboxNote = [note, setupNote].filter((line) => line !== undefined).join("; ") || undefined;
    return { folder: prepared.folder, comparison: compareRuns(events, readEvents(prepared.folder.events)), sandboxNote };
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The recorded spec, for a re-run: the library it keeps tools in is the re-run's, and wall-clock
 * time is the one limit a re-run does not meet the same way (the record's end bounds it instead).
 */
function respec(recorded: RunSpec, library: string | undefined): RunSpec {
  const { library: _recordedLibrary, ...evolution } = recorded.evolution;
  // The record answers in place of the endpoint or script.
  const { script: _script, baseUrl: _baseUrl, ...model } = recorded.model;
  return {
    ...recorded,
    limits: { ...recorded.limits, timeLimitSec: 0 },
    model: { ...model, retries: 0 },
    evolution: { ...evolution, ...(library !== undefined ? { library } : {}) },
  };
}

function withConfiguration(spec: RunSpec, sources: readonly ConfigSource[]): RunSpec {
  try {
    return reconfigure(spec, sources).spec;
  } catch (error) {
    if (error instanceof ConfigError) throw new InputError(error.message);
    throw error;
  }
}

function isEmptyLibrary(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).every((file) => !file.endsWith(".ts") && file !== ".history");
}

async function withContext<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`cannot re-run: ${error.message}`);
    throw error;
  }
}
