import { loadConfiguration } from "../config/configuration.ts";
import type { AgentSpec } from "../run-spec.ts";
import { MoltEvent } from "./events.ts";

/**
 * Reads an event as molt writes it today, from a record written by any molt since 0.1: records
 * before the run spec held the run's settings in run_started's own fields and a `settings` object,
 * and ran with molt's own prompts, which are now its default configuration.
 */
export function parseRecordedEvent(json: unknown): ReturnType<typeof MoltEvent.safeParse> {
  return MoltEvent.safeParse(upgraded(json));
}

function upgraded(json: unknown): unknown {
  if (typeof json !== "object" || json === null) return json;
  const event = json as Record<string, unknown>;
  if (event.type !== "run_started" || "spec" in event || typeof event.settings !== "object" || event.settings === null) return json;
  const { repo, baseCommit, issue, model, baseUrl, actionFormat, limits, settings, ...rest } = event;
  const { retries, price, requestTimeoutSec, sandbox, evolution } = settings as Record<string, unknown>;
  return {
    ...rest,
    spec: {
      agent: defaultAgent(),
      repo,
      base: baseCommit,
      issue,
      model: { name: model, ...(baseUrl === undefined ? {} : { baseUrl }), actionFormat, retries, requestTimeoutSec, price },
      limits,
      sandbox,
      evolution,
    },
  };
}

let moltAgent: AgentSpec | undefined;

function defaultAgent(): AgentSpec {
  moltAgent ??= loadConfiguration([]).agent;
  return moltAgent;
}
