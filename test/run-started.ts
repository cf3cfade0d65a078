import type { EventOf } from "../core/events/events.ts";

/** The fields of a run_started event as molt writes them, for tests that fold events by hand. */
export function runStartedFields(overrides: Partial<Omit<EventOf<"run_started">, "type" | "ts">> = {}): Omit<EventOf<"run_started">, "type" | "ts"> {
  return {
    runId: "r1",
    moltVersion: "0.1.0",
    repo: "/home/me/src/calc",
    baseCommit: "0".repeat(40),
    issue: "add() subtracts instead of adding",
    model: "gpt-4.1",
    actionFormat: "tools",
    limits: { stepLimit: 25, costLimit: 3, timeLimitSec: 0, commandTimeoutSec: 60 },
    workspace: "/tmp/w/repo",
    outputDir: "/home/me/src/calc/molt-runs/r1",
    sandbox: "bwrap (workspace writable, rest read-only, no network)",
    settings: {
      retries: 3,
      price: { inPerMTok: 2, outPerMTok: 8 },
      requestTimeoutSec: 120,
      sandbox: { kind: "bwrap", network: "none", allowDomains: [], memLimitBytes: 4 * 1024 ** 3, passEnv: [] },
      evolution: { enabled: true, fresh: false },
    },
    ...overrides,
  };
}
