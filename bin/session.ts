import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, type AgentOutcome } from "../core/agent.ts";
import { EventBus, type EventSink } from "../core/event-bus.ts";
import { EventsFile } from "../core/events-file.ts";
import { OpenAIModel } from "../core/model.ts";
import { createRunFolder, type RunFolder } from "../core/run-folder.ts";
import { writeTrajectory } from "../core/trajectory.ts";
import { MOLT_VERSION } from "../core/version.ts";
import { commandEnv } from "../sandbox/command-env.ts";
import { LocalExecutor } from "../sandbox/local-executor.ts";
import { applyPatch, resolveSourceRepo, Workspace, WorkspaceError, type SourceRepo } from "../sandbox/workspace.ts";
import { loadScript, startScriptedServer, type ScriptedServer } from "../test/scripted-server.ts";
import { setUpEvolution, type EvolutionSetup } from "./evolution-setup.ts";
import { JsonPrinter } from "./json-printer.ts";
import { PlainPrinter } from "./plain-printer.ts";
import type { RunConfig } from "./run-options.ts";
import { UsageError } from "./usage-error.ts";

export interface SessionIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * Composes one run: the user's repository, a private workspace, the model, the agent and the
 * sinks of its events; then leaves the patch, the record and the trajectory in the run folder.
 * Returns the process exit code: 0 when the agent submitted, 1 otherwise.
 */
export async function runSession(config: RunConfig, io: SessionIO): Promise<number> {
  if (config.output !== undefined && existsSync(join(config.output, "events.jsonl"))) {
    throw new UsageError(`${config.output} already holds a run; choose another --output`);
  }
  const source = await checkedSource(config);
  const script = config.scriptFile === undefined ? undefined : await checkedScript(config.scriptFile);
  const folder = createRunFolder(config.output);
  const workspace = await Workspace.create(source);
  const server: ScriptedServer | undefined = script ? await startScriptedServer({ script }) : undefined;
  const baseUrl = server?.url ?? config.baseUrl;
  const model = new OpenAIModel({
    model: config.model,
    baseUrl,
    // Local servers (llama.cpp, Ollama, vLLM) take any key; the client insists on one.
    apiKey: config.apiKey ?? "no-key",
    actionFormat: config.actionFormat,
    price: config.price,
    retries: config.retries,
  });
  const bus = new EventBus();
  bus.subscribe(new EventsFile(folder.events));
  const printer: EventSink = config.json ? new JsonPrinter(io.stdout) : new PlainPrinter(io.stdout, io.stdout.columns);
  bus.subscribe(printer);
  const notes = config.json ? io.stderr : io.stdout;

  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

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
    sandbox: "local",
  });

  const baseEnv = commandEnv(process.env, {});
  let evolution: EvolutionSetup | undefined;
  let executor: LocalExecutor | undefined;
  let outcome: AgentOutcome;
  try {
    evolution = config.evolve
      ? await setUpEvolution({
          container: workspace.container,
          workspace: workspace.path,
          baseEnv,
          libraryDir: config.evolvedDir,
          fresh: config.fresh,
          reminder: config.reminder,
          callTimeoutMs: config.limits.commandTimeoutSec * 1000,
          bus,
          runId: folder.runId,
        })
      : undefined;
    executor = new LocalExecutor({ cwd: workspace.path, env: { ...baseEnv, ...evolution?.env }, timeoutSec: config.limits.commandTimeoutSec });
    const agent = new Agent({
      model,
      environment: evolution ? evolution.around(executor) : executor,
      bus,
      actionFormat: config.actionFormat,
      limits: config.limits,
      signal: interrupt.signal,
      extraInstructions: evolution?.instructions,
    });
    outcome = await agent.run(config.issue);
  } finally {
    executor?.killAll();
    await evolution?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await server?.close();
  }

  const patch = await workspace.patch();
  finish(folder, bus, config, source, outcome, patch);
  await bus.close();

  if (config.apply) {
    const applied =
      outcome.exitStatus === "Submitted"
        ? await applyPatch(source.root, patch, folder.patch)
        : { applied: false, message: `not applied: the run ended with ${outcome.exitStatus}, not a submission` };
    notes.write(`apply    ${applied.message}\n`);
  }
  if (config.keep) notes.write(`workspace kept at ${workspace.path}\n`);
  else await workspace.remove();

  if (outcome.exitStatus === "Submitted") return 0;
  io.stderr.write(`molt: ${outcome.exitStatus}: ${outcome.reason}\n`);
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

async function checkedScript(file: string) {
  try {
    return await loadScript(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`cannot read the script ${file}: no such file`);
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
