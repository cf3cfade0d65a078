// A batch worker: one long-lived process that runs a batch's instances one after another, each as
// `molt run --json` would run it, so that Node's start and molt's modules are paid once per worker
// rather than once per instance. Its crash is its own: the batch records the instance in flight as
// crashed and starts another worker. Started by worker-pool.ts with `child_process.fork`.
import * as nodeModule from "node:module";
import { Writable } from "node:stream";

/** A run: `molt run ARGS` with ISSUE as its issue, in WORKSPACE when the batch made it ahead. */
export interface WorkerJob {
  args: string[];
  issue: string;
  workspace?: string | undefined;
}
/** What the batch asks: run a job, or end the run in flight as an interrupt would. */
export type WorkerRequest = ({ type: "run" } & WorkerJob) | { type: "cancel" };
/** What the worker answers: the run's stdout line by line, then how it ended. */
export type WorkerReply = { type: "ready" } | { type: "line"; line: string } | { type: "done"; exitCode: number; lastError: string };

// The same as bin/molt: the stripped and compiled sources are cached between processes.
nodeModule.enableCompileCache?.();
const { RUN_COMMAND_FLAGS } = await import("../../cli/run-command.ts");
const { parseFlags, runConfigOf } = await import("../../cli/run-flags.ts");
const { runSession } = await import("../run.ts");
const { UsageError } = await import("../../cli/usage-error.ts");

const send = (reply: WorkerReply): void => {
  if (process.connected) process.send?.(reply);
};

/** A stream that hands each complete line written to it to `onLine` (the rest waits for its newline). */
class LineStream extends Writable {
  #pending = "";
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    super({ decodeStrings: false });
    this.#onLine = onLine;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const lines = (this.#pending + String(chunk)).split("\n");
    this.#pending = lines.pop()!;
    for (const line of lines) this.#onLine(line);
    done();
  }

  /** What was written after the last newline, if anything. */
  flushPending(): void {
    if (this.#pending !== "") this.#onLine(this.#pending);
    this.#pending = "";
  }
}

let current: AbortController | undefined;
let disconnected = false;
/** Runs' workspaces being removed after their results went out; the worker exits once they are gone. */
let cleanup: Promise<unknown> = Promise.resolve();
const afterwards = (work: () => Promise<void>): void => {
  cleanup = cleanup.then(work).catch(() => undefined);
};

async function run({ args, issue, workspace }: WorkerJob): Promise<{ exitCode: number; lastError: string }> {
  let lastError = "";
  const stdout = new LineStream((line) => send({ type: "line", line }));
  const stderr = new LineStream((line) => {
    if (line.trim() !== "") lastError = line;
  });
  const io = { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream };
  current = new AbortController();
  let exitCode: number;
  try {
    const flags = parseFlags([...args, `--issue=${issue}`], RUN_COMMAND_FLAGS);
    const config = await runConfigOf(flags, process.env, process.stdin);
    exitCode = await runSession(config, io, { signal: current.signal, workspace, discardInterrupted: true, afterwards });
  } catch (error) {
    // As bin/main.ts reports them.
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      exitCode = 2;
      lastError = message;
    } else {
      exitCode = 1;
      lastError = `internal error: ${message.split("\n", 1)[0]}`;
    }
  } finally {
    current = undefined;
  }
  // Writes on these streams are synchronous: every line is out once the run has returned.
  stdout.flushPending();
  stderr.flushPending();
  return { exitCode, lastError: lastError.replace(/^molt: /, "") };
}

// Runs come one at a time: the batch sends the next only when this one is done.
process.on("message", (request: WorkerRequest) => {
  if (request.type === "cancel") {
    current?.abort();
    return;
  }
  void run(request).then(async (result) => {
    send({ type: "done", ...result });
    if (disconnected) await exitWhenClean();
  });
});
// The batch is gone: end the run in flight as an interrupt would, then exit.
process.on("disconnect", () => {
  disconnected = true;
  if (current) current.abort();
  else void exitWhenClean();
});

async function exitWhenClean(): Promise<void> {
  await cleanup;
  process.exit(0);
}
// A Ctrl-C at the terminal reaches this process too: between runs it is the batch's to handle.
// (A run handles it as `molt run` does: the first interrupts it, the second ends the process.)
process.on("SIGINT", () => undefined);
send({ type: "ready" });
