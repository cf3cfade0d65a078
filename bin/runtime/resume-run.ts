import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { readEvents, repairEvents } from "../../core/events/events-file.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { REDACTED } from "../../core/events/redact.ts";
import { priceOf } from "../../core/pricing.ts";
import { createRunFolder } from "../../core/record/run-folder.ts";
import type { RunSpec } from "../../core/run-spec.ts";
import { resolveSourceRepo, Workspace, WorkspaceError } from "../../sandbox/workspace.ts";
import { InputError } from "./input-error.ts";
import { checkedScript } from "./run-model.ts";
import { rerunSandbox, type SandboxRules } from "./rerun-sandbox.ts";
import { checkSandbox } from "./run-sandbox.ts";
import { Run, type PreparedRun, type RunOptions } from "./run.ts";

/** What a resumed run takes from its command line: where its model answers from, and its sandbox. */
export interface ResumeChanges {
  /** Another model, or the same one with a new key. */
  model?: string | undefined;
  /** Another endpoint. */
  baseUrl?: string | undefined;
  /** Ask before every command, or stop asking; default: as the run did. */
  confirm?: boolean | undefined;
  /** The sandbox the command line asks for (its flags, or their defaults): the record's is never used. */
  sandbox: SandboxRules;
}

export interface PreparedResume {
  run: PreparedRun;
  /** How the resumed run's sandbox differs from the recorded one, in a line; undefined when it does not. */
  sandboxNote: string | undefined;
}

/**
 * A run that was interrupted or killed, ready to carry on from its last completed step in its own
 * workspace, with the spec it recorded (its limits, prompts and configuration, read back whole),
 * the changes asked for, and the sandbox of this command line: a record is a file anyone may have
 * edited, and the sandbox protects this machine.
 */
export async function prepareResume(dirArg: string, changes: ResumeChanges, options: Omit<RunOptions, "output" | "workspace"> = {}): Promise<PreparedResume> {
  const dir = resolve(dirArg);
  const eventsPath = join(dir, "events.jsonl");
  if (!existsSync(eventsPath)) throw new InputError(`${dirArg} is not a molt run: it has no events.jsonl`);
  let events: MoltEvent[];
  try {
    events = readEvents(eventsPath);
  } catch (error) {
    throw new InputError(`${dirArg} is not a readable molt run: ${error instanceof Error ? error.message : String(error)}`);
  }
  const started = events[0];
  if (started?.type !== "run_started") throw new InputError(`${dirArg} is not a molt run: its record does not start with run_started`);
  const last = events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
  const lastResume = events.findLastIndex((event) => event.type === "run_resumed");
  if (last && events.lastIndexOf(last) > lastResume && last.exitStatus !== "Interrupted") {
    throw new InputError(`the run already ended (${last.exitStatus}); there is nothing to resume`);
  }
  if (!events.some((event) => event.type === "prompt")) throw new InputError("the run ended before its first step; start it again with molt run");

  const { sandbox, note } = rerunSandbox(started.spec.sandbox, changes.sandbox, "resume");
  const spec = { ...resumedSpec(started.spec, changes), sandbox };
  if (spec.model.script === undefined && spec.model.baseUrl?.includes(REDACTED)) {
    throw new InputError("the run's endpoint URL held a secret, which its record does not keep: pass --base-url again");
  }
  // The run's own script carries on from the first reply the record has not used; a new one starts at its first.
  const script = (await checkedScript(spec.model))?.slice(changes.model === undefined ? repliesServed(events) : 0);
  checkSandbox(spec);
  try {
    const workspace = await Workspace.reopen(started.workspace, spec.base, dir);
    // A setup step's changes stay out of the agent's patch on resume too.
    const setup = events.find((event): event is EventOf<"setup_finished"> => event.type === "setup_finished");
    if (setup?.startCommit) workspace.startFrom(setup.startCommit);
    const source = await resolveSourceRepo(spec.repo, spec.base);
    repairEvents(eventsPath);
    const folder = createRunFolder(dir, started.runId);
    const run = new Run(spec, { source, folder, workspace, script, options: { ...options, output: dir }, continuation: { events } });
    return { run, sandboxNote: note };
  } catch (error) {
    if (error instanceof WorkspaceError) throw new InputError(error.message);
    throw error;
  }
}

/** How many replies of a script a recorded run used: each answer, and each failure that was asked again. */
function repliesServed(events: readonly MoltEvent[]): number {
  return events.filter((event) => event.type === "model_response" || event.type === "model_retry").length;
}

/** The recorded spec with the changes: a new model is priced as that model, a script needs no endpoint, and confirmation is as asked. */
function resumedSpec(given: RunSpec & { base: string }, changes: ResumeChanges): RunSpec & { base: string } {
  const recorded = changes.confirm === undefined ? given : { ...given, agent: { ...given.agent, confirm: changes.confirm } };
  if (changes.model === undefined && changes.baseUrl === undefined) return recorded;
  const { baseUrl: recordedUrl, script: recordedScript, ...model } = recorded.model;
  const name = changes.model ?? recorded.model.name;
  const script = changes.model === undefined ? recordedScript : changes.model.startsWith("script:") ? changes.model.slice("script:".length) : undefined;
  const baseUrl = changes.baseUrl ?? (script !== undefined ? undefined : recordedUrl);
  return {
    ...recorded,
    model: {
      ...model,
      name,
      ...(script !== undefined ? { script } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      price: name !== recorded.model.name ? priceOf(name) : recorded.model.price,
    },
  };
}
