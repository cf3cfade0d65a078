import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, type AgentOutcome } from "../../core/agent.ts";
import { EventBus, type EventSink } from "../../core/events/event-bus.ts";
import { EventsFile } from "../../core/events/events-file.ts";
import { noTotals, type ExitStatus, type MoltEvent, type Totals } from "../../core/events/events.ts";
import { RedactedEvents } from "../../core/events/redacted-events.ts";
import type { Model } from "../../core/model.ts";
import { TemplateError } from "../../core/config/template.ts";
import { Prompts } from "../../core/prompts.ts";
import { restoreRun } from "../../core/record/resume.ts";
import { createRunFolder, type RunFolder } from "../../core/record/run-folder.ts";
import { writeTrajectory } from "../../core/record/trajectory.ts";
import type { RunSpec } from "../../core/run-spec.ts";
import type { StepGate } from "../../core/step-gate.ts";
import { MOLT_VERSION } from "../../core/version.ts";
import { commandEnv } from "../../sandbox/command-env.ts";
import { CommandExecutor } from "../../sandbox/command-executor.ts";
import { resolveSourceRepo, Workspace, WorkspaceError, type SourceRepo } from "../../sandbox/workspace.ts";
import { setUpEvolution, type EvolutionSetup } from "./evolution-setup.ts";
import { checkFolder } from "./folder-check.ts";
import { InputError } from "./input-error.ts";
import { checkedScript, openModel } from "./run-model.ts";
import { checkSandbox, describeSandbox, RunSandbox } from "./run-sandbox.ts";
import type { ScriptReply } from "./scripted-server.ts";
import { runRedactor } from "./run-secrets.ts";
import { runSetup } from "./setup-step.ts";
import { SnapshotLayer } from "./snapshot-layer.ts";
import { templateVars } from "./template-vars.ts";

/** Where a run goes and what becomes of it afterwards: not part of its spec, never recorded. */
export interface RunOptions {
  /** The run's folder; a new one in the user's runs folder (core/data-folder.ts) when not given. */
  output?: string | undefined;
  /** A workspace made ahead for the run (a batch's): the run takes it over. */
  workspace?: string | undefined;
  /** Keep the workspace after the run. */
  keep?: boolean;
  /** Apply the patch to the user's checkout when the agent submitted and it applies cleanly. */
  apply?: boolean;
  /** The endpoint's key: hidden in everything recorded or shown. */
  apiKey?: string | undefined;
  /** Headers sent with every request (--header); never recorded, their values hidden like the key. */
  headers?: Record<string, string> | undefined;
  /**
   * The setup command gets the machine's network, to install dependencies (the default). False: it
   * has the network the spec's sandbox gives the agent's commands (a record's setup run again).
   */
  setupNetwork?: boolean;
  /** An interrupted run is started over rather than resumed (a batch's, a re-run's): its workspace is not kept. */
  discardInterrupted?: boolean;
  /** Takes the work that can wait until the run's result is out (removing its workspace); done in line when not given. */
  afterwards?: (work: () => Promise<void>) => void;
  /** Folders the run's commands must not see: a batch's output folder, with the other instances' records and libraries. */
  hide?: readonly string[];
}

/** Who watches and steers the run. */
export interface RunHooks {
  /** Sinks besides the record: a view, a printer, a batch worker's channel. */
  sinks?: readonly EventSink[];
  /** Pauses the run or decides about each command. */
  gate?: StepGate | undefined;
  /** Ends the run cleanly (Interrupted, resumable) when aborted. */
  signal?: AbortSignal | undefined;
  /** Answers in place of the spec's endpoint (`molt replay --exec` answers from the record). */
  model?: Model;
}

export interface RunOutcome {
  exitStatus: ExitStatus;
  /** Why the run ended, in one line, secrets hidden. */
  reason: string;
  patch: string;
  totals: Totals;
  folder: RunFolder;
  /** Lines for the user after the run: the patch applied or not, how to resume, a kept workspace, snapshots that failed. */
  notes: string[];
}

/** A run whose inputs have been checked and whose folder and workspace exist: `start` runs it. */
export interface PreparedRun {
  readonly spec: RunSpec;
  readonly folder: RunFolder;
  start(hooks?: RunHooks): Promise<RunOutcome>;
}

/** A run to carry on from its record (`molt resume`). */
export interface Continuation {
  events: readonly MoltEvent[];
}

/**
 * Checks what the spec names (the repository and commit, a script, the sandbox, the output
 * folder), then makes the run's folder and a private workspace. Anything wrong with the inputs is
 * an InputError, raised before anything is made.
 */
export async function prepareRun(spec: RunSpec, options: RunOptions = {}): Promise<PreparedRun> {
  if (options.output !== undefined) checkFolder(options.output, "--output");
  if (options.output !== undefined && existsSync(join(options.output, "events.jsonl"))) {
    throw new InputError(`${options.output} already holds a run; choose another --output`);
  }
  if (spec.evolution.enabled && spec.evolution.library !== undefined) checkFolder(spec.evolution.library, "the tool library");
  checkTemplates(spec);
  const source = await checkedSource(spec.repo, spec.base);
  const script = await checkedScript(spec.model);
  checkSandbox(spec);
  const made = options.output === undefined || !existsSync(options.output);
  const folder = createRunFolder(options.output);
  try {
    const workspace = options.workspace !== undefined ? await Workspace.reopen(options.workspace, source.baseCommit) : await Workspace.create(source);
    await workspace.claim(folder.dir).catch(async (error: unknown) => {
      await workspace.remove();
      throw error;
    });
    return new Run({ ...spec, repo: source.root, base: source.baseCommit }, { source, folder, workspace, script, options });
  } catch (error) {
    // A run that cannot start leaves no folder behind.
    if (made) rmSync(folder.dir, { recursive: true, force: true });
    throw error;
  }
}

/** Everything a run is made of, once prepared. */
export interface RunParts {
  source: SourceRepo;
  folder: RunFolder;
  workspace: Workspace;
  script: ScriptReply[] | undefined;
  options: RunOptions;
  continuation?: Continuation;
}

export class Run implements PreparedRun {
  readonly spec: RunSpec & { base: string };
  readonly #parts: RunParts;

  constructor(spec: RunSpec & { base: string }, parts: RunParts) {
    this.spec = spec;
    this.#parts = parts;
  }

  get folder(): RunFolder {
    return this.#parts.folder;
  }

  async start(hooks: RunHooks = {}): Promise<RunOutcome> {
    const { spec } = this;
    const { source, folder, workspace, script, options, continuation } = this.#parts;
    const redactor = runRedactor(spec, { apiKey: options.apiKey, headers: options.headers });
    const redact = <T>(value: T): T => redactor.value(value);
    const bus = new EventBus(new RedactedEvents(redactor).screen);
    bus.subscribe(new EventsFile(folder.events));
    for (const sink of hooks.sinks ?? []) bus.subscribe(sink);
    const endpoint = hooks.model ? undefined : await openModel(spec.model, script, options.apiKey, options.headers);
    const model = hooks.model ?? endpoint!.model;
    const sandbox = new RunSandbox(spec, workspace, options.hide ?? []);
    const prompts = new Prompts(spec.agent, spec.model.actionFormat, templateVars(spec, workspace.path, sandbox.baseEnv));
    const restored = continuation
      ? restoreRun(continuation.events, { actionFormat: spec.model.actionFormat, agent: spec.agent, prompts, commandTimeoutSec: spec.limits.commandTimeoutSec, issue: spec.issue })
      : undefined;

    if (restored) {
      // The views learn what the run is (its repository, issue, limits and folder) from its start, as it now goes on.
      const recorded = continuation?.events[0];
      if (recorded?.type === "run_started") for (const sink of hooks.sinks ?? []) sink.onEvent(redact({ ...recorded, spec }));
      bus.emit({ type: "run_resumed", afterStep: restored.lastStep, model: spec.model.name, totals: restored.totals });
    } else {
      bus.emit({
        type: "run_started",
        runId: folder.runId,
        moltVersion: MOLT_VERSION,
        spec,
        workspace: workspace.path,
        outputDir: folder.dir,
        sandbox: describeSandbox(spec),
      });
    }

    // A resumed run has had its setup already; the agent never starts on a workspace whose setup failed.
    const setupFailure =
      spec.setup !== undefined && !continuation
        ? await runSetup({ command: spec.setup, workspace, bus, executor: sandbox.executor({}, [], []), network: options.setupNetwork ?? true })
        : undefined;
    if (setupFailure !== undefined) {
      await endpoint?.close();
      const totals = noTotals();
      writeFileSync(folder.patch, "");
      const ended = await this.#finish(bus, { exitStatus: "EnvironmentError", reason: setupFailure, messages: [], totals }, "", []);
      if (!options.keep) await workspace.remove();
      return { ...ended, reason: redact(setupFailure), notes: [] };
    }

    let evolution: EvolutionSetup | undefined;
    let executor: CommandExecutor | undefined;
    let snapshots: SnapshotLayer | undefined;
    let outcome: AgentOutcome;
    try {
      // The workspace after every step that changed it, in the run's folder (while evolution sets up).
      const snapshotsReady = SnapshotLayer.start({
        gitDir: folder.snapshots,
        workspace,
        bus,
        record: continuation?.events,
        afterStep: restored?.lastStep,
        afterSetup: workspace.startCommit !== workspace.baseCommit,
      });
      evolution = spec.evolution.enabled
        ? await setUpEvolution({
            container: workspace.container,
            workspace: workspace.path,
            baseEnv: { ...sandbox.baseEnv, HOME: sandbox.home },
            evolution: spec.evolution,
            callTimeoutMs: spec.limits.commandTimeoutSec * 1000,
            bus,
            runId: folder.runId,
            hostSandbox: ({ writable, readOnly }) => sandbox.policy(writable, readOnly),
            commandOptions: (env, { writable, readOnly }) => sandbox.executor(env, writable, readOnly),
            memBytes: sandbox.limits.memBytes,
            record: continuation?.events,
          })
        : undefined;
      executor = new CommandExecutor(
        sandbox.executor(evolution?.env ?? {}, evolution?.access.writable ?? [], evolution?.access.readOnly ?? []),
      );
      snapshots = await snapshotsReady;
      const agent = new Agent({
        model,
        environment: snapshots.around(evolution ? evolution.around(executor) : executor),
        bus,
        actionFormat: spec.model.actionFormat,
        limits: spec.limits,
        agent: spec.agent,
        prompts,
        signal: hooks.signal,
        extraInstructions: evolution?.instructions,
        restored,
        gate: hooks.gate,
      });
      outcome = await agent.run(spec.issue);
    } finally {
      await snapshots?.settle();
      await executor?.close();
      await evolution?.close();
      await endpoint?.close();
    }

    const { patch, notes: patchNotes } = await workspace.writePatch(folder.patch);
    const ended = await this.#finish(bus, redact(outcome), patch, patchNotes);
    const notes: string[] = patchNotes.map((note) => `patch    ${note}`);
    const snapshotProblem = snapshots?.problem;
    if (snapshotProblem) notes.push(`snapshots ${snapshotProblem}`);
    if (options.apply) {
      const applied =
        outcome.exitStatus === "Submitted"
          ? await workspace.applyTo(source.root, folder.patch, patch)
          : { applied: false, message: `not applied: the run ended with ${outcome.exitStatus}, not a submission` };
      notes.push(`apply    ${applied.message}`);
    }
    // An interrupted run keeps its workspace, so that it can be resumed.
    const resumable = outcome.exitStatus === "Interrupted" && !options.discardInterrupted;
    if (resumable) notes.push(`resume   molt resume ${folder.dir}`);
    if (options.keep || resumable) notes.push(`workspace kept at ${workspace.path}`);
    else if (options.afterwards) options.afterwards(() => workspace.remove());
    else await workspace.remove();
    return { ...ended, notes };
  }

  /** Writes the trajectory and records the end (the patch is written already); the record is complete when this returns. */
  async #finish(bus: EventBus, outcome: AgentOutcome, patch: string, patchNotes: string[]): Promise<Omit<RunOutcome, "notes">> {
    const { folder, source } = this.#parts;
    writeTrajectory(folder.trajectory, {
      messages: outcome.messages,
      exitStatus: outcome.exitStatus,
      submission: patch,
      totals: outcome.totals,
      actionFormat: this.spec.model.actionFormat,
      molt: { version: MOLT_VERSION, runId: folder.runId, model: this.spec.model.name, repo: source.root, baseCommit: source.baseCommit, ...(patchNotes.length > 0 ? { patchNotes } : {}) },
    });
    bus.emit({
      type: "run_finished",
      exitStatus: outcome.exitStatus,
      reason: outcome.reason,
      patch,
      ...(patchNotes.length > 0 ? { patchNotes } : {}),
      patchFile: folder.patch,
      trajectoryFile: folder.trajectory,
      totals: outcome.totals,
    });
    await bus.close();
    return { exitStatus: outcome.exitStatus, reason: outcome.reason, patch, totals: outcome.totals, folder };
  }
}

/** Compiles the spec's templates once, so that one that cannot render stops the run before anything is made. */
export function checkTemplates(spec: RunSpec): void {
  try {
    new Prompts(spec.agent, spec.model.actionFormat, templateVars(spec, "", commandEnv(process.env, {}, spec.sandbox.passEnv)));
  } catch (error) {
    if (error instanceof TemplateError) throw new InputError(error.message);
    throw error;
  }
}

/** The repository and commit a run would start from; an InputError when they cannot be used. */
export async function checkedSource(repo: string, base: string | undefined): Promise<SourceRepo> {
  try {
    return await resolveSourceRepo(repo, base);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new InputError(error.message);
    throw error;
  }
}
