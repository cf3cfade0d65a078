import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readEvents, repairEvents } from "../../core/events/events-file.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { priceOf } from "../../core/pricing.ts";
import { createRunFolder } from "../../core/record/run-folder.ts";
import { resolveSourceRepo, Workspace, WorkspaceError } from "../../sandbox/workspace.ts";
import { RESUME_HELP } from "./help.ts";
import { describeParseError, type RunConfig } from "./run-flags.ts";
import { resumeSession, type SessionIO } from "../runtime/run.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `molt resume RUN_DIR`: carries on a run that was interrupted or killed, from its last completed
 * step, in the same workspace, without asking the model again for what the record already holds.
 */
export async function resumeCommand(args: string[], io: SessionIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { model: { type: "string" }, "base-url": { type: "string" }, json: { type: "boolean" }, keep: { type: "boolean" }, apply: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.values.help) {
    io.stdout.write(RESUME_HELP);
    return 0;
  }
  const [dirArg, ...extra] = parsed.positionals;
  if (dirArg === undefined) throw new UsageError("molt resume needs the run's folder (molt resume molt-runs/<run id>)");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const dir = resolve(dirArg);
  const eventsPath = join(dir, "events.jsonl");
  if (!existsSync(eventsPath)) throw new UsageError(`${dirArg} is not a molt run: it has no events.jsonl`);

  let events: MoltEvent[];
  try {
    events = readEvents(eventsPath);
  } catch (error) {
    throw new UsageError(`${dirArg} is not a readable molt run: ${error instanceof Error ? error.message : String(error)}`);
  }
  const started = events[0];
  if (started?.type !== "run_started") throw new UsageError(`${dirArg} is not a molt run: its record does not start with run_started`);
  const last = events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
  const lastResume = events.findLastIndex((event) => event.type === "run_resumed");
  if (last && events.lastIndexOf(last) > lastResume && last.exitStatus !== "Interrupted") {
    throw new UsageError(`the run already ended (${last.exitStatus}); there is nothing to resume`);
  }
  if (!events.some((event) => event.type === "prompt")) throw new UsageError("the run ended before its first step; start it again with molt run");

  let workspace: Workspace;
  let source;
  try {
    workspace = await Workspace.reopen(started.workspace, started.baseCommit);
    // A setup step's changes stay out of the agent's patch on resume too.
    const setup = events.find((event): event is EventOf<"setup_finished"> => event.type === "setup_finished");
    if (setup?.startCommit) workspace.startFrom(setup.startCommit);
    source = await resolveSourceRepo(started.repo, started.baseCommit);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new UsageError(error.message);
    throw error;
  }

  const model = parsed.values.model ?? started.model;
  const scriptFile = model.startsWith("script:") ? model.slice("script:".length) : undefined;
  const settings = started.settings;
  const price = parsed.values.model && parsed.values.model !== started.model ? priceOf(model) : settings.price;
  const config: RunConfig = {
    repo: started.repo,
    base: started.baseCommit,
    issue: started.issue,
    model,
    baseUrl: parsed.values["base-url"] ?? (scriptFile ? undefined : started.baseUrl),
    apiKey: process.env.OPENAI_API_KEY || undefined,
    scriptFile,
    output: dir,
    actionFormat: started.actionFormat,
    limits: started.limits,
    retries: settings.retries,
    price,
    json: parsed.values.json ?? false,
    keep: parsed.values.keep ?? false,
    apply: parsed.values.apply ?? false,
    evolve: settings.evolution.enabled,
    evolvedDir: settings.evolution.library,
    fresh: settings.evolution.fresh,
    reminder: settings.evolution.reminder,
    sandbox: settings.sandbox,
    requestTimeoutSec: settings.requestTimeoutSec,
    display: { confirm: false, theme: "dark", screenReader: false, plain: false },
  };
  repairEvents(eventsPath);
  const folder = createRunFolder(dir, started.runId);
  return resumeSession(config, source, folder, workspace, { events, runId: started.runId }, io);
}
