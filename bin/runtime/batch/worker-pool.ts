import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TYPE_FLAGS } from "../../../tools/node-flags.ts";
import type { WorkerJob, WorkerReply, WorkerRequest } from "./worker-main.ts";

const WORKER_MAIN = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
/** How long a cancelled run has to end cleanly (Interrupted, its record saved) before its worker is killed. */
const CANCEL_GRACE_MS = 10_000;
/** How long a worker has to exit once the batch lets it go: it first removes the workspaces of its last runs, which can be large. */
const CLOSE_GRACE_MS = 60_000;

export interface WorkerExit {
  exitCode: number;
  /** The last line the run wrote on stderr: why it failed, when it did. */
  lastError: string;
}

/**
 * One long-lived worker process (worker-main.ts) that runs `molt run` in-process, one run at a
 * time. A crash ends only this worker: the run in flight returns exit code -1.
 */
export class BatchWorker {
  readonly #child: ChildProcess;
  readonly #ready: Promise<boolean>;
  readonly #exited: Promise<void>;
  #exit: string | undefined;
  #lastStderr = "";
  #onReply: ((reply: WorkerReply) => void) | undefined;

  constructor() {
    this.#child = fork(WORKER_MAIN, [], {
      execArgv: TYPE_FLAGS,
      // The worker's own stderr is read for its last line (a crash's why); a run's goes over IPC.
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    createInterface({ input: this.#child.stderr!, crlfDelay: Infinity }).on("line", (line) => {
      if (line.trim() !== "") this.#lastStderr = line;
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on("exit", (code, signal) => {
        this.#exit = signal ?? `exit code ${code}`;
        resolve();
      });
    });
    this.#ready = new Promise((resolve) => {
      this.#child.on("message", (reply: WorkerReply) => {
        if (reply.type === "ready") resolve(true);
        else this.#onReply?.(reply);
      });
      void this.#exited.then(() => resolve(false));
    });
    // A run's end is told by its reply or the worker's exit; a failed send is neither.
    this.#child.on("error", () => undefined);
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Runs the job; each line the run prints goes to `onLine`. */
  async run(job: WorkerJob, signal: AbortSignal, onLine: (line: string) => void): Promise<WorkerExit> {
    if (!(await this.#ready)) return this.#crashed();
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      this.#send({ type: "cancel" });
      killTimer ??= setTimeout(() => this.#child.kill("SIGKILL"), CANCEL_GRACE_MS);
    };
    try {
      const done = new Promise<WorkerExit>((resolve) => {
        this.#onReply = (reply) => {
          if (reply.type === "line") onLine(reply.line);
          else if (reply.type === "done") resolve({ exitCode: reply.exitCode, lastError: reply.lastError });
        };
      });
      this.#send({ type: "run", ...job });
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
      return await Promise.race([done, this.#exited.then(() => this.#crashed())]);
    } finally {
      signal.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
      this.#onReply = undefined;
    }
  }

  /** Lets the worker go (it exits once its channel closes); kills it if it has not gone after a grace period. */
  async close(): Promise<void> {
    if (!this.alive) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), CLOSE_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  #send(request: WorkerRequest): void {
    if (this.#child.connected) this.#child.send(request);
  }

  #crashed(): WorkerExit {
    const why = this.#lastStderr ? `: ${this.#lastStderr}` : "";
    return { exitCode: -1, lastError: `worker crashed (${this.#exit ?? "unknown"})${why}` };
  }
}

/**
 * A batch's workers: at most as many as runs in flight, each started when first needed, reused run
 * after run, and replaced after a crash.
 */
export class WorkerPool {
  readonly #idle: BatchWorker[] = [];
  readonly #all = new Set<BatchWorker>();

  async run(job: WorkerJob, signal: AbortSignal, onLine: (line: string) => void): Promise<WorkerExit> {
    let worker = this.#idle.pop();
    while (worker && !worker.alive) {
      this.#all.delete(worker);
      worker = this.#idle.pop();
    }
    if (!worker) {
      worker = new BatchWorker();
      this.#all.add(worker);
    }
    try {
      return await worker.run(job, signal, onLine);
    } finally {
      if (worker.alive) this.#idle.push(worker);
      else this.#all.delete(worker);
    }
  }

  /** Ends every worker; the pool starts new ones if asked to run again. */
  async close(): Promise<void> {
    const workers = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(workers.map((worker) => worker.close()));
  }
}
