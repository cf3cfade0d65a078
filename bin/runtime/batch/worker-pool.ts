import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { MoltEvent } from "../../../core/events/events.ts";
import { TYPE_FLAGS } from "../../../tools/node-flags.ts";
import { WorkerReply, type WorkerJob, type WorkerRequest } from "./worker-protocol.ts";

/** How long a cancelled run has to end cleanly (Interrupted, its record saved) before its worker is killed. */
const CANCEL_GRACE_MS = 10_000;
/** How long a worker has to exit once the batch lets it go: it first removes the workspaces of its last runs, which can be large. */
const CLOSE_GRACE_MS = 60_000;

/** How a job went on its worker: `error` says why when the run could not start, failed outside the agent, or the worker died. */
export interface JobEnd {
  error?: string;
}

/**
 * One long-lived worker process that runs a batch's jobs in-process, one at a time, and sends each
 * run's events back over its IPC channel. A crash ends only this worker: the job in flight ends
 * with the crash as its error.
 */
class BatchWorker {
  readonly #child: ChildProcess;
  readonly #ready: Promise<boolean>;
  readonly #exited: Promise<void>;
  #exit: string | undefined;
  #lastStderr = "";
  #onReply: ((reply: WorkerReply) => void) | undefined;

  constructor(entry: string) {
    this.#child = fork(entry, [], {
      execArgv: TYPE_FLAGS,
      // Its own process group: the terminal's Ctrl-C is the batch's to handle, and the batch stops the runs.
      detached: true,
      // The worker's own stderr is read for its last line (a crash's why); a run's events come over IPC.
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
      this.#child.on("message", (message: unknown) => {
        const reply = WorkerReply.safeParse(message);
        if (!reply.success) return;
        if (reply.data.type === "ready") resolve(true);
        else this.#onReply?.(reply.data);
      });
      void this.#exited.then(() => resolve(false));
    });
    // A job's end is told by its reply or the worker's exit; a failed send is neither.
    this.#child.on("error", () => undefined);
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Runs the job; each event of its run goes to `onEvent` as it happens. */
  async run(job: WorkerJob, signal: AbortSignal, onEvent: (event: MoltEvent) => void): Promise<JobEnd> {
    if (!(await this.#ready)) return this.#crashed();
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      this.#send({ type: "cancel" });
      killTimer ??= setTimeout(() => this.#child.kill("SIGKILL"), CANCEL_GRACE_MS);
    };
    try {
      const done = new Promise<JobEnd>((resolve) => {
        this.#onReply = (reply) => {
          if (reply.type === "event") onEvent(reply.event);
          else if (reply.type === "done") resolve(reply.error === undefined ? {} : { error: reply.error });
        };
      });
      this.#send({ type: "run", job });
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

  #crashed(): JobEnd {
    const why = this.#lastStderr ? `: ${this.#lastStderr}` : "";
    return { error: `worker crashed (${this.#exit ?? "unknown"})${why}` };
  }
}

/**
 * A batch's workers: at most as many as jobs in flight, each started when first needed, reused job
 * after job, and replaced after a crash. `entry` is the worker program: a module that serves jobs
 * over its IPC channel (bin/cli/batch-worker.ts), so that Node and molt's modules load once per
 * worker rather than once per instance.
 */
export class WorkerPool {
  readonly #entry: string;
  readonly #idle: BatchWorker[] = [];
  readonly #all = new Set<BatchWorker>();

  constructor(entry: string) {
    this.#entry = entry;
  }

  async run(job: WorkerJob, signal: AbortSignal, onEvent: (event: MoltEvent) => void): Promise<JobEnd> {
    let worker = this.#idle.pop();
    while (worker && !worker.alive) {
      this.#all.delete(worker);
      worker = this.#idle.pop();
    }
    if (!worker) {
      worker = new BatchWorker(this.#entry);
      this.#all.add(worker);
    }
    try {
      return await worker.run(job, signal, onEvent);
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
