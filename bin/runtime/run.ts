import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, type AgentOutcome } from "../../core/agent.ts";
import { EventBus, type EventSink } from "../../core/events/event-bus.ts";
import { EventsFile } from "../../core/events/events-file.ts";
import type { MoltEvent, RunSettings } from "../../core/events/events.ts";
import { OpenAIModel, type Model } from "../../core/model.ts";
import { redactor } from "../../core/events/redact.ts";
import { restoreRun } from "../../core/record/resume.ts";
import { createRunFolder, type RunFolder } from "../../core/record/run-folder.ts";
import type { StepGate } from "../../core/step-gate.ts";
import { writeTrajectory } from "../../core/record/trajectory.ts";
import { MOLT_ROOT, MOLT_VERSION } from "../../core/version.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { commandEnv } from "../../sandbox/command-env.ts";
import { CommandExecutor } from "../../sandbox/command-executor.ts";
import { DEFAULT_LIMITS } from "../../sandbox/limits.ts";
import { toolchainUnderTmp, type SandboxPolicy } from "../../sandbox/sandbox-policy.ts";
import { applyPatch, resolveSourceRepo, Workspace, WorkspaceError, type SourceRepo } from "../../sandbox/workspace.ts";
import { loadScript, startScriptedServer, type ScriptedServer, type ScriptReply } from "./scripted-server.ts";
import { setUpEvolution, type EvolutionSetup } from "./evolution-setup.ts";
import { JsonPrinter } from "../ui/json-printer.ts";
import { PlainPrinter } from "../ui/plain-printer.ts";
import { runSetup } from "./setup-step.ts";
import { SnapshotLayer } from "./snapshot-layer.ts";
import type { RunConfig } from "../cli/run-flags.ts";
import { UsageError } from "../cli/usage-error.ts";

export interface SessionIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** A run to carry on: its record so far. */
export interface Continuation {
  events: MoltEvent[];
  runId: string;
}

/** How a batch's worker runs its instances; `molt run` needs none of it. */
export interface BatchRunOptions {
  /** Ends the run as an interrupt would, when aborted. */
  signal?: AbortSignal | undefined;
  /** A workspace the batch made while the instance before ran. */
  workspace?: string | undefined;
  /** An interrupted instance starts over when the batch runs again: its workspace is not kept for `molt resume`. */
  discardInterrupted?: boolean;
  /** Takes the work that can wait until the run's result is out (removing its workspace), to do it then; done in line when not given. */
  afterwards?: (work: () => Promise<void>) => void;
}

/**
 * Starts a run: checks what the user gave, makes the run folder and a private workspace, then
 * runs it. Returns the process exit code: 0 when the agent submitted, 1 otherwise.
 */
export async function runSession(config: RunConfig, io: SessionIO, options: BatchRunOptions = {}): Promise<number> {
  if (config.output !== undefined && existsSync(join(config.output, "events.jsonl"))) {
    throw new UsageError(`${config.output} already holds a run; choose another --output`);
  }
  const source = await checkedSource(config);
  const script = await checkedScript(config.scriptFile);
  checkSandbox(config);
  wantsLiveView(config, io);
  const folder = createRunFolder(config.output);
  const { workspace: madeAhead, ...batch } = options;
  const workspace = madeAhead !== undefined ? await Workspace.reopen(madeAhead, source.baseCommit) : await Workspace.create(source);
  return execute(config, source, folder, workspace, io, { script, ...batch });
}

/** Carries on a run from its record, in its own workspace, with the same settings. */
export async function resumeSession(config: RunConfig, source: SourceRepo, folder: RunFolder, workspace: Workspace, continuation: Continuation, io: SessionIO): Promise<number> {
  const script = await checkedScript(config.scriptFile);
  checkSandbox(config);
  return execute(config, source, folder, workspace, io, { script, continuation });
}

/** What `molt replay --exec` puts in place of a run's live parts. */
export interface Replayed {
  /** Answers from the record instead of an endpoint. */
  model: Model;
  /** Plays back what the user decided about each command. */
  gate: StepGate;
  /** Ends the run, as an interrupt would, when aborted. */
  signal: AbortSignal;
}

/**
 * Runs a recorded run again: the same composition as `molt run`, in a fresh workspace, with the
 * record's model and gate, silent (no view, no printer, no notes), removing its workspace however
 * it ends. Returns the run's folder: its events.jsonl tells what happened.
 */
export async function replaySession(config: RunConfig, source: SourceRepo, replayed: Replayed, io: SessionIO): Promise<RunFolder> {
  checkSandbox(config);
  const folder = createRunFolder(config.output);
  const workspace = await Workspace.create(source);
  await execute(config, source, folder, workspace, io, { replayed });
  return folder;
}

/** The live view needs a terminal on both ends; elsewhere (pipes, CI, --json, --plain) the printers speak. */
export function wantsLiveView(config: RunConfig, io: SessionIO): boolean {
  const terminal = io.stdout.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
  if (config.display.confirm && !terminal) throw new UsageError("--confirm needs a terminal to ask on (standard input and output are not one)");
  return terminal && !config.json && !config.display.plain;
}

/** Refuses to run when the sandbox asked for cannot work here: never a silent fallback. */
function checkSandbox(config: RunConfig): void {
  if (config.sandbox.kind !== "bwrap") return;
  const problem = bwrapProblem();
  if (problem) throw new UsageError(`cannot sandbox commands: ${problem}; install bubblewrap, or pass --sandbox local to run commands unsandboxed`);
}

function describeSandbox(config: RunConfig): string {
  const { kind, network, allowDomains } = config.sandbox;
  if (kind === "local") return "local (no isolation: commands run as you, with your network)";
  const net = network === "all" ? "network allowed" : allowDomains.length > 0 ? `network to ${allowDomains.join(", ")}` : "no network";
  return `bwrap (workspace writable, rest read-only, ${net})`;
}

function settingsOf(config: RunConfig): RunSettings {
  return {
    retries: config.retries,
    price: config.price,
    requestTimeoutSec: config.requestTimeoutSec,
    sandbox: { ...config.sandbox },
    evolution: { enabled: config.evolve, library: config.evolvedDir, fresh: config.fresh, reminder: config.reminder },
  };
}

/** What varies between the ways a run starts: all optional. */
interface RunParts extends Omit<BatchRunOptions, "workspace"> {
  /** A scripted model that molt serves itself (`--model script:FILE`). */
  script?: ScriptReply[] | undefined;
  /** The record of a run to carry on (`molt resume`). */
  continuation?: Continuation;
  /** The record's model and decisions in place of live ones (`molt replay --exec`). */
  replayed?: Replayed;
}

async function execute(
  config: RunConfig,
  source: SourceRepo,
  folder: RunFolder,
  workspace: Workspace,
  io: SessionIO,
  { script, continuation, replayed, signal, discardInterrupted, afterwards }: RunParts,
): Promise<number> {
  const server: ScriptedServer | undefined = script ? await startScriptedServer({ script }) : undefined;
  const baseUrl = server?.url ?? config.baseUrl;
  const model: Model = replayed?.model ?? new OpenAIModel({
    model: config.model,
    baseUrl,
    // Local servers (llama.cpp, Ollama, vLLM) take any key; the client insists on one.
    apiKey: config.apiKey ?? "no-key",
    actionFormat: config.actionFormat,
    price: config.price,
    retries: config.retries,
    requestTimeoutMs: config.requestTimeoutSec * 1000,
  });
  const redact = redactor([config.apiKey]);
  const bus = new EventBus(redact);
  bus.subscribe(new EventsFile(folder.events));
  const interrupt = new AbortController();
  const live = !replayed && wantsLiveView(config, io)
    ? new (await import("../ui/live/live-view.ts")).LiveView({
        stdout: io.stdout,
        stdin: process.stdin,
        theme: config.display.theme,
        screenReader: config.display.screenReader,
        confirm: config.display.confirm,
        onInterrupt: () => interrupt.abort(),
      })
    : undefined;
  const printer: EventSink | undefined = replayed ? undefined : (live ?? (config.json ? new JsonPrinter(io.stdout) : new PlainPrinter(io.stdout, io.stdout.columns)));
  if (printer) bus.subscribe(printer);
  const notes = replayed ? { write: () => true } : config.json ? io.stderr : io.stdout;

  // The same signal twice forces the exit. A SIGTERM right after the terminal's SIGINT is the same
  // request, not a second one: a batch stopping its runs sends it to runs the terminal reached too.
  let firstSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignal === signal) process.exit(130);
    firstSignal ??= signal;
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onAbort = () => interrupt.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) interrupt.abort();

  if (continuation) {
    const before = restoreRun(continuation.events, config.actionFormat, config.limits.commandTimeoutSec);
    bus.emit({ type: "run_resumed", afterStep: before.lastStep, model: config.model, totals: before.totals });
  } else {
    bus.emit({
      type: "run_started",
      runId: folder.runId,
      moltVersion: MOLT_VERSION,
      repo: source.root,
      baseCommit: source.baseCommit,
      issue: config.issue,
      model: config.model,
      baseUrl,
      actionFormat: config.actionFormat,
      limits: config.limits,
      workspace: workspace.path,
      outputDir: folder.dir,
      sandbox: describeSandbox(config),
      settings: settingsOf(config),
    });
  }

  const home = join(workspace.container, "home");
  mkdirSync(home, { recursive: true });
  const baseEnv = commandEnv(process.env, { TMPDIR: "/tmp" }, config.sandbox.passEnv);
  const limits = { ...DEFAULT_LIMITS, memBytes: config.sandbox.memLimitBytes, cpuSec: Math.ceil(config.limits.commandTimeoutSec) };
  // The repository's objects, which the workspace borrows, and the toolchain stay readable even when they are under the private /tmp.
  const gitGuards = [
    join(workspace.path, ".git", "hooks"),
    join(workspace.path, ".git", "config"),
    workspace.sharedObjects,
    ...toolchainUnderTmp(baseEnv.PATH, MOLT_ROOT),
  ];
  const policy = (writable: string[], readOnly: string[]): SandboxPolicy => ({
    kind: config.sandbox.kind,
    writable: [workspace.path, home, ...writable],
    readOnly: [...gitGuards, ...readOnly],
    home,
    network: config.sandbox.network,
  });

  // A resumed run has had its setup already; the agent never starts on a workspace whose setup failed.
  const setupFailure = config.setup !== undefined && !continuation
    ? await runSetup({ command: config.setup, workspace, bus, executor: { cwd: workspace.path, env: { ...baseEnv }, timeoutSec: config.limits.commandTimeoutSec, limits, sandbox: policy([], []) } })
    : undefined;
  if (setupFailure !== undefined) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    signal?.removeEventListener("abort", onAbort);
    await server?.close();
    const totals = { steps: 0, promptTokens: 0, completionTokens: 0, cost: 0, apiCalls: 0, elapsedMs: 0 };
    finish(folder, bus, config, source, { exitStatus: "EnvironmentError", reason: setupFailure, messages: [], totals }, "");
    await bus.close();
    if (!config.keep) await workspace.remove();
    if (!replayed) io.stderr.write(`molt: EnvironmentError: ${redact(setupFailure)}\n`);
    return 1;
  }

  let evolution: EvolutionSetup | undefined;
  let executor: CommandExecutor | undefined;
  let snapshots: SnapshotLayer | undefined;
  let outcome: AgentOutcome;
  try {
    const restored = continuation ? restoreRun(continuation.events, config.actionFormat, config.limits.commandTimeoutSec) : undefined;
    // The workspace after every step that changed it, in the run's folder (while evolution sets up).
    const snapshotsReady = SnapshotLayer.start({
      gitDir: folder.snapshots,
      workspace,
      bus,
      record: continuation?.events,
      afterStep: restored?.lastStep,
      afterSetup: workspace.startCommit !== workspace.baseCommit,
    });
    evolution = config.evolve
      ? await setUpEvolution({
          container: workspace.container,
          workspace: workspace.path,
          baseEnv: { ...baseEnv, HOME: home },
          libraryDir: config.evolvedDir,
          fresh: config.fresh,
          reminder: config.reminder,
          callTimeoutMs: config.limits.commandTimeoutSec * 1000,
          bus,
          runId: folder.runId,
          hostSandbox: (folders) => policy([folders.evolved, folders.tools], []),
          record: continuation?.events,
        })
      : undefined;
    executor = new CommandExecutor({
      cwd: workspace.path,
      env: { ...baseEnv, ...evolution?.env },
      timeoutSec: config.limits.commandTimeoutSec,
      limits,
      sandbox: { ...policy(evolution ? [evolution.folders.evolved] : [], evolution ? [evolution.folders.tools] : []), allowDomains: config.sandbox.allowDomains },
    });
    snapshots = await snapshotsReady;
    const agent = new Agent({
      model,
      environment: snapshots.around(evolution ? evolution.around(executor) : executor),
      bus,
      actionFormat: config.actionFormat,
      limits: config.limits,
      signal: replayed ? AbortSignal.any([interrupt.signal, replayed.signal]) : interrupt.signal,
      extraInstructions: evolution?.instructions,
      restored,
      gate: replayed?.gate ?? live?.gate,
    });
    outcome = await agent.run(config.issue);
  } finally {
    await snapshots?.settle();
    await executor?.close();
    await evolution?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    signal?.removeEventListener("abort", onAbort);
    await server?.close();
  }

  const patch = await workspace.patch();
  finish(folder, bus, config, source, redact({ ...outcome, messages: outcome.messages }), patch);
  await bus.close();

  const snapshotProblem = snapshots?.problem;
  if (snapshotProblem) notes.write(`snapshots ${snapshotProblem}\n`);
  if (config.apply) {
    const applied =
      outcome.exitStatus === "Submitted"
        ? await applyPatch(source.root, patch, folder.patch)
        : { applied: false, message: `not applied: the run ended with ${outcome.exitStatus}, not a submission` };
    notes.write(`apply    ${applied.message}\n`);
  }
  // An interrupted run keeps its workspace, so that it can be resumed.
  const resumable = outcome.exitStatus === "Interrupted" && !discardInterrupted;
  const keep = !replayed && (config.keep || resumable);
  if (resumable) notes.write(`resume   molt resume ${folder.dir}\n`);
  if (keep) notes.write(`workspace kept at ${workspace.path}\n`);
  else if (afterwards) afterwards(() => workspace.remove());
  else await workspace.remove();

  if (outcome.exitStatus === "Submitted") return 0;
  if (!replayed) io.stderr.write(`molt: ${outcome.exitStatus}: ${redact(outcome.reason)}\n`);
  return 1;
}

function finish(folder: RunFolder, bus: EventBus, config: RunConfig, source: SourceRepo, outcome: AgentOutcome, patch: string): void {
  writeFileSync(folder.patch, patch);
  writeTrajectory(folder.trajectory, {
    messages: outcome.messages,
    exitStatus: outcome.exitStatus,
    submission: patch,
    totals: outcome.totals,
    actionFormat: config.actionFormat,
    molt: { version: MOLT_VERSION, runId: folder.runId, model: config.model, repo: source.root, baseCommit: source.baseCommit },
  });
  bus.emit({
    type: "run_finished",
    exitStatus: outcome.exitStatus,
    reason: outcome.reason,
    patch,
    patchFile: folder.patch,
    trajectoryFile: folder.trajectory,
    totals: outcome.totals,
  });
}

async function checkedSource(config: RunConfig): Promise<SourceRepo> {
  try {
    return await resolveSourceRepo(config.repo, config.base);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new UsageError(error.message);
    throw error;
  }
}

async function checkedScript(file: string | undefined): Promise<ScriptReply[] | undefined> {
  if (file === undefined) return undefined;
  try {
    return await loadScript(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`cannot read the script ${file}: no such file`);
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

