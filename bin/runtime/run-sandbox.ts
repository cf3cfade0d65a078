import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunSpec } from "../../core/run-spec.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { commandEnv } from "../../sandbox/command-env.ts";
import type { ExecutorOptions } from "../../sandbox/command-executor.ts";
import { DEFAULT_LIMITS, type ResourceLimits } from "../../sandbox/limits.ts";
import { MOLT_ROOT } from "../../sandbox/molt-root.ts";
import { hostHidden, otherRunsBeside, toolchainUnder, type SandboxPolicy } from "../../sandbox/sandbox-policy.ts";
import type { Workspace } from "../../sandbox/workspace.ts";
import { InputError } from "./input-error.ts";

/** Refuses to run when the sandbox asked for cannot work here: never a silent fallback. */
export function checkSandbox(spec: RunSpec): void {
  if (spec.sandbox.kind !== "bwrap") return;
  const problem = bwrapProblem();
  if (problem) throw new InputError(`cannot sandbox commands: ${problem}; install bubblewrap, or pass --sandbox local to run commands unsandboxed`);
}

/** The sandbox in words, for run_started and the views. */
export function describeSandbox(spec: Pick<RunSpec, "sandbox">): string {
  const { kind, network, allowDomains } = spec.sandbox;
  if (kind === "local") return "local (no isolation: commands run as you, with your network)";
  const net = network === "all" ? "network allowed" : allowDomains.length > 0 ? `network to ${allowDomains.join(", ")}` : "no network";
  return `bwrap (workspace writable, rest read-only, ${net})`;
}

/** Where a run's commands run: their environment, limits and what they may touch. */
export class RunSandbox {
  /** The commands' environment before molt's own additions (the tools' PATH, MOLT_EVOLVED). */
  readonly baseEnv: Record<string, string>;
  readonly limits: ResourceLimits;
  readonly home: string;
  readonly #spec: RunSpec;
  readonly #workspace: Workspace;
  readonly #guards: string[];
  readonly #hidden: string[];

  /** `hidden`: folders besides the other runs' workspaces that the commands must not see. */
  constructor(spec: RunSpec, workspace: Workspace, hidden: readonly string[] = []) {
    this.#spec = spec;
    this.#workspace = workspace;
    this.home = join(workspace.container, "home");
    mkdirSync(this.home, { recursive: true });
    // The configuration's environment.env is set for every command, over what molt passes on.
    this.baseEnv = { ...commandEnv(process.env, { TMPDIR: "/tmp" }, spec.sandbox.passEnv), ...spec.sandbox.env };
    this.limits = { ...DEFAULT_LIMITS, memBytes: spec.sandbox.memLimitBytes, cpuSec: Math.ceil(spec.limits.commandTimeoutSec) };
    this.#hidden = [...new Set([...otherRunsBeside(workspace.container), ...hidden])];
    // The repository's objects, which the workspace borrows, and the toolchain stay readable even when they are under a hidden folder.
    this.#guards = [
      join(workspace.path, ".git", "hooks"),
      join(workspace.path, ".git", "config"),
      workspace.sharedObjects,
      ...toolchainUnder([...hostHidden(), ...this.#hidden], this.baseEnv.PATH, MOLT_ROOT),
    ];
  }

  /** The policy of a process of the run: the workspace and the home writable, and these folders besides. */
  policy(writable: string[] = [], readOnly: string[] = []): SandboxPolicy {
    return {
      kind: this.#spec.sandbox.kind,
      writable: [this.#workspace.path, this.home, ...writable],
      readOnly: [...this.#guards, ...readOnly],
      hidden: this.#hidden,
      home: this.home,
      network: this.#spec.sandbox.network,
    };
  }

  /** How the agent's commands run, with these additions to their environment and folders. */
  executor(extraEnv: Record<string, string>, writable: string[], readOnly: string[]): ExecutorOptions {
    return {
      cwd: this.#workspace.path,
      env: { ...this.baseEnv, ...extraEnv },
      timeoutSec: this.#spec.limits.commandTimeoutSec,
      limits: this.limits,
      sandbox: { ...this.policy(writable, readOnly), allowDomains: this.#spec.sandbox.allowDomains },
    };
  }
}
