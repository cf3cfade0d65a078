import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { MOLT_ROOT } from "../../../sandbox/molt-root.ts";
import { commandEnv } from "../../../sandbox/command-env.ts";
import { CommandExecutor, type ExecutionResult } from "../../../sandbox/command-executor.ts";
import { DEFAULT_LIMITS } from "../../../sandbox/limits.ts";
import { hostHidden, otherRunsBeside, toolchainUnder, type SandboxKind } from "../../../sandbox/sandbox-policy.ts";
import type { Workspace } from "../../../sandbox/workspace.ts";

/**
 * Runs an evaluation's commands in a workspace, sandboxed as molt run's are: the workspace and a
 * scratch folder writable, the rest read-only, the workspace's git hooks and config read-only,
 * no network except for the install command. Each command gets what is left of the instance's
 * time, so the instance as a whole keeps to its timeout.
 */
export class EvalSandbox {
  readonly #workspace: Workspace;
  readonly #kind: SandboxKind;
  readonly #deadline: number;
  readonly #home: string;
  /** Where molt puts the patches and the test output, inside the sandbox's reach. */
  readonly scratch: string;

  private constructor(workspace: Workspace, kind: SandboxKind, timeoutSec: number) {
    this.#workspace = workspace;
    this.#kind = kind;
    this.#deadline = performance.now() + timeoutSec * 1000;
    this.#home = join(workspace.container, "home");
    this.scratch = join(workspace.container, "eval");
  }

  static async open(workspace: Workspace, kind: SandboxKind, timeoutSec: number): Promise<EvalSandbox> {
    const sandbox = new EvalSandbox(workspace, kind, timeoutSec);
    await mkdir(sandbox.#home, { recursive: true });
    await mkdir(sandbox.scratch, { recursive: true });
    return sandbox;
  }

  get secondsLeft(): number {
    return Math.max(0, (this.#deadline - performance.now()) / 1000);
  }

  /** Runs the command; aborting `signal` kills it (and all it started). */
  async run(command: string, network: "none" | "all", signal: AbortSignal | undefined): Promise<ExecutionResult> {
    const timeoutSec = Math.max(1, Math.ceil(this.secondsLeft));
    const env = commandEnv(process.env, { TMPDIR: "/tmp", CI: "true" });
    const workspace = this.#workspace;
    const executor = new CommandExecutor({
      cwd: workspace.path,
      env,
      timeoutSec,
      limits: { ...DEFAULT_LIMITS, cpuSec: timeoutSec },
      sandbox: {
        kind: this.#kind,
        writable: [workspace.path, this.#home, this.scratch],
        readOnly: [join(workspace.path, ".git", "hooks"), join(workspace.path, ".git", "config"), workspace.sharedObjects, ...toolchainUnder([...hostHidden(), ...otherRunsBeside(workspace.container)], env.PATH, MOLT_ROOT)],
        hidden: otherRunsBeside(workspace.container),
        home: this.#home,
        network: this.#kind === "local" ? "all" : network,
      },
    });
    try {
      return await executor.execute(command, { signal });
    } finally {
      await executor.close();
    }
  }
}
