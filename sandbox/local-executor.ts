import { spawn } from "node:child_process";
import { constants } from "node:os";
import { OutputCapture, type CapturedOutput } from "./output-capture.ts";

export interface ExecutionResult extends CapturedOutput {
  /** The exit code; 128 + the signal number when a signal ended the command. */
  exitCode: number;
  timedOut: boolean;
  ms: number;
}

export interface ExecutorOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutSec: number;
}

/**
 * Runs each command in a fresh bash process of its own process group, with stdout and stderr
 * merged at the file-descriptor level (so their order is the one the command wrote them in).
 * A timeout or an abort kills the whole group, background children included.
 */
export class LocalExecutor {
  readonly #options: ExecutorOptions;
  readonly #groups = new Set<number>();

  constructor(options: ExecutorOptions) {
    this.#options = options;
  }

  execute(command: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionResult> {
    const { cwd, env, timeoutSec } = this.#options;
    const started = performance.now();
    const capture = new OutputCapture();
    // The outer bash replaces itself with the command's own shell, whose stderr is its stdout.
    const child = spawn("bash", ["-c", 'exec bash -c "$1" 2>&1', "bash", command], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const group = child.pid;
    if (group !== undefined) this.#groups.add(group);
    let timedOut = false;
    const killGroup = () => {
      if (group !== undefined) killProcessGroup(group);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutSec * 1000);
    options.signal?.addEventListener("abort", killGroup, { once: true });
    child.stdout.on("data", (chunk: Buffer) => capture.write(chunk));

    return new Promise((resolve) => {
      const finish = (exitCode: number) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", killGroup);
        resolve({ ...capture.finish(), exitCode, timedOut, ms: performance.now() - started });
      };
      child.on("error", (error) => {
        capture.write(Buffer.from(`molt: could not start bash: ${error.message}\n`));
        finish(127);
      });
      child.on("close", (code, signal) => {
        finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
  }

  /** Kills whatever the commands of this executor left running in the background. */
  killAll(): void {
    for (const group of this.#groups) killProcessGroup(group);
    this.#groups.clear();
  }
}

function killProcessGroup(group: number): void {
  try {
    process.kill(-group, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}
