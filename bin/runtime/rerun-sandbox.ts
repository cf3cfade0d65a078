import type { SandboxSpec } from "../../core/run-spec.ts";
import { DEFAULT_LIMITS } from "../../sandbox/limits.ts";
import { describeSandbox } from "./run-sandbox.ts";

/** The sandbox a command line asks for: its own flags, or their defaults. Its memory limit only when given. */
export type SandboxRules = Omit<SandboxSpec, "env" | "memLimitBytes"> & { memLimitBytes?: number | undefined };

/**
 * Variables that steer how a program is found and loaded rather than what it does. molt starts
 * bubblewrap with the commands' environment, on the host, before any isolation: from a record (which
 * anyone may have edited) they could make molt run another program than bwrap, or load a library
 * into it.
 */
const LAUNCH_VARIABLE = /^(PATH|LD_[A-Z_]*|DYLD_[A-Z_]*|GCONV_PATH|HOSTALIASES|LOCALDOMAIN|RESOLV_HOST_CONF|NODE_OPTIONS)$/;

export interface RerunSandbox {
  sandbox: SandboxSpec;
  /** A line for the user when the re-run's sandbox is not the one recorded; undefined when it is. */
  note: string | undefined;
}

/**
 * The sandbox of a run carried on or run again from its record (`molt resume`, `molt replay
 * --exec`). A record is a file anyone may have edited, so the rules that protect this machine come
 * from this command line (its flags or their defaults), never from the record: the kind of sandbox,
 * the network, the domains allowed and the variables passed on. What is only the run's
 * configuration is kept: the variables it sets for its commands (environment.env), but not those
 * that steer how molt starts the sandbox, and its memory limit when it is no larger than the
 * default (--mem-limit sets another).
 */
export function rerunSandbox(recorded: SandboxSpec, rules: SandboxRules, what: string): RerunSandbox {
  const env = Object.fromEntries(Object.entries(recorded.env).filter(([name]) => !LAUNCH_VARIABLE.test(name)));
  const sandbox: SandboxSpec = {
    kind: rules.kind,
    network: rules.network,
    allowDomains: rules.allowDomains,
    passEnv: rules.passEnv,
    memLimitBytes: rules.memLimitBytes ?? Math.min(recorded.memLimitBytes, DEFAULT_LIMITS.memBytes),
    env,
  };
  const dropped = Object.keys(recorded.env).filter((name) => !(name in env));
  const changes: string[] = [];
  if (describeSandbox({ sandbox: recorded }) !== describeSandbox({ sandbox })) changes.push(`the sandbox is ${describeSandbox({ sandbox })}, not ${describeSandbox({ sandbox: recorded })} as recorded`);
  const notPassed = recorded.passEnv.filter((name) => !sandbox.passEnv.includes(name));
  if (notPassed.length > 0) changes.push(`${notPassed.join(", ")} ${notPassed.length === 1 ? "is" : "are"} not passed to commands (--pass-env NAME passes it)`);
  if (dropped.length > 0) changes.push(`the recorded environment.env ${dropped.join(", ")} ${dropped.length === 1 ? "is" : "are"} not set`);
  const note = changes.length === 0 ? undefined : `${what} takes its sandbox from this command line, not from the record: ${changes.join("; ")}`;
  return { sandbox, note };
}
