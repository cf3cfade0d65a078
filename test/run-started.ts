import { loadConfiguration } from "../core/config/configuration.ts";
import type { EventOf } from "../core/events/events.ts";
import type { RunSpec } from "../core/run-spec.ts";

type Started = Omit<EventOf<"run_started">, "type" | "ts">;

/** The fields of a run_started event as molt writes them, for tests that fold events by hand; `spec` merges into the default spec. */
export function runStartedFields(overrides: Partial<Omit<Started, "spec">> & { spec?: Partial<RunSpec> } = {}): Started {
  const { spec, ...rest } = overrides;
  return {
    runId: "r1",
    moltVersion: "0.1.0",
    spec: {
      repo: "/home/me/src/calc",
      base: "0".repeat(40),
      issue: "add() subtracts instead of adding",
      agent: loadConfiguration([]).agent,
      model: { name: "gpt-4.1", actionFormat: "tools", retries: 3, requestTimeoutSec: 120, price: { inPerMTok: 2, outPerMTok: 8 }, kwargs: {} },
      limits: { stepLimit: 25, costLimit: 3, timeLimitSec: 0, commandTimeoutSec: 60 },
      sandbox: { kind: "bwrap", network: "none", allowDomains: [], memLimitBytes: 4 * 1024 ** 3, passEnv: [], env: {} },
      evolution: { enabled: true, fresh: false },
      ...spec,
    },
    workspace: "/tmp/w/repo",
    outputDir: "/home/me/src/calc/molt-runs/r1",
    sandbox: "bwrap (workspace writable, rest read-only, no network)",
    ...rest,
  };
}
