// The tool host: a long-lived process, apart from molt, that holds every loaded tool and answers
// the tool commands the agent runs. molt starts it with an IPC channel and tells it what to load.
// It runs without the right to start processes: what a tool runs (ctx.exec) is run by the command
// that called it, which the host asks over that command's connection (see tool-protocol.ts).
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { Worker } from "node:worker_threads";
import { CALLER_GONE, ConnectionCaller, RelayCaller, type Caller } from "./tool-caller.ts";
import { OpeningLine, type CallReply, type HostReply, type HostRequest, type WorkerData, type WorkerReply } from "./tool-protocol.ts";
import { LineConnection } from "./line-connection.ts";

const LOAD_TIMEOUT_MS = 2000;
const EXAMPLES_TIMEOUT_MS = 10_000;
const MIB = 1024 ** 2;

const socketPath = process.env.MOLT_TOOL_SOCKET!;
const workspace = process.env.MOLT_WORKSPACE!;
const callTimeoutMs = Number(process.env.MOLT_TOOL_TIMEOUT_MS ?? 60_000);
const toolEnv = JSON.parse(process.env.MOLT_TOOL_ENV ?? "{}") as Record<string, string>;
const memBytes = Number(process.env.MOLT_TOOL_MEM_BYTES ?? 4 * 1024 ** 3);

/**
 * Each tool's own bounds within the host's: its heap (so that a tool that fills it ends its own
 * thread, not the host) and its code space (V8 would otherwise reserve 512 MiB for each thread).
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: Math.max(64, Math.floor(memBytes / 2 / MIB)), codeRangeSizeMb: 64 };

/** The memory limits a tool runs into, in words. */
const MEMORY_LIMITS = `a tool's heap may use ${WORKER_LIMITS.maxOldGenerationSizeMb} MiB, and the tool host with all its tools ${Math.round(memBytes / MIB)} MiB: --mem-limit`;

function send(message: HostReply): void {
  process.send?.(message);
}

/** How a tool command (or a relay) runs what a call asks ctx.exec for: in the workspace, with the tools' environment. */
const EXEC_PLACE = { cwd: workspace, env: toolEnv };

/** The relays of the examples running now, by the token a relay opens its connection with. */
const relays = new Map<string, RelayCaller>();

/** One tool version living in a worker thread; restarted after a crash or a timeout. */
class LoadedTool {
  readonly name: string;
  readonly version: number;
  readonly file: string;
  #worker: Worker | undefined;
  #nextId = 0;
  #retiring = false;
  readonly #pending = new Map<number, { resolve: (reply: CallReply) => void; caller: Caller }>();

  constructor(name: string, version: number, file: string) {
    this.name = name;
    this.version = version;
    this.file = file;
  }

  /** Loads the tool in a worker; resolves with "ready" or "failed", and fails after the load timeout. */
  async start(): Promise<WorkerReply> {
    const { worker, idle } = takeSpareWorker();
    this.#worker = worker;
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "exec") {
        const caller = this.#pending.get(reply.callId)?.caller;
        void (caller ? caller.exec(reply.command, reply.timeoutMs) : Promise.resolve(CALLER_GONE)).then((outcome) =>
          worker.postMessage({ type: "exec-done", execId: reply.execId, ...outcome }),
        );
        return;
      }
      if (reply.type !== "result") return;
      this.#pending.get(reply.id)?.resolve(reply);
      this.#pending.delete(reply.id);
      if (this.#retiring && this.#pending.size === 0) this.stop();
    });
    worker.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") this.#settleAll(`${this.name}: ran out of memory (${MEMORY_LIMITS})\n`);
    });
    worker.on("exit", () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#settleAll(`${this.name}: the tool ended its process while running\n`);
    });
    if (!(await idle)) return { type: "failed", reason: "the tool host could not start a worker (it may be out of memory: --mem-limit bounds the host and all its tools)" };
    return new Promise<WorkerReply>((resolve) => {
      const timer = setTimeout(() => {
        resolve({ type: "failed", reason: `it hung while loading (over ${LOAD_TIMEOUT_MS / 1000} s)` });
        void worker.terminate();
      }, LOAD_TIMEOUT_MS);
      const onMessage = (reply: WorkerReply) => {
        if (reply.type !== "ready" && reply.type !== "failed") return;
        clearTimeout(timer);
        worker.off("message", onMessage);
        resolve(reply);
      };
      worker.on("message", onMessage);
      worker.once("error", (error) => {
        clearTimeout(timer);
        resolve({ type: "failed", reason: `it threw while loading: ${error.message}` });
      });
      worker.once("exit", () => {
        clearTimeout(timer);
        resolve({ type: "failed", reason: "it exited while loading" });
      });
      worker.postMessage({ type: "load", file: this.file });
    });
  }

  /** Runs the examples; their ctx.exec goes to a relay molt runs as a command, ended with them. */
  async runExamples(): Promise<string | undefined> {
    const worker = this.#worker;
    if (!worker) return "the tool stopped before its examples ran";
    const relay = new RelayCaller(relays, EXEC_PLACE, (token) => send({ type: "relay", token }));
    const id = this.#nextId++;
    this.#pending.set(id, { resolve: () => undefined, caller: relay });
    try {
      return await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => {
          resolve(`its examples took over ${EXAMPLES_TIMEOUT_MS / 1000} s`);
          this.stop();
        }, EXAMPLES_TIMEOUT_MS);
        const onMessage = (reply: WorkerReply) => {
          if (reply.type !== "examples") return;
          clearTimeout(timer);
          worker.off("message", onMessage);
          resolve(reply.failure);
        };
        worker.on("message", onMessage);
        worker.once("exit", () => {
          clearTimeout(timer);
          resolve("the tool ended its process while running its examples");
        });
        worker.postMessage({ type: "examples", id });
      });
    } finally {
      this.#pending.delete(id);
      relay.close();
    }
  }

  async call(args: string[], caller: Caller, gone: Promise<void>): Promise<CallReply> {
    if (!this.#worker) {
      const ready = await this.start();
      if (ready.type !== "ready") return { exitCode: 1, stdout: "", stderr: `${this.name}: could not be restarted: ${ready.type === "failed" ? ready.reason : ready.type}\n` };
    }
    const worker = this.#worker!;
    const id = this.#nextId++;
    return new Promise<CallReply>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ exitCode: 1, stdout: "", stderr: `${this.name}: timed out after ${callTimeoutMs / 1000} s and was stopped\n` });
        this.#settleAll(`${this.name}: stopped because another call of it timed out\n`);
        this.stop();
      }, callTimeoutMs);
      this.#pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        caller,
      });
      // The command that called ended first: the call ends with it, and the tool's code stops.
      void gone.then(() => {
        if (!this.#pending.has(id)) return;
        this.#pending.get(id)?.resolve({ exitCode: 1, stdout: "", stderr: `${this.name}: the command that called it ended\n` });
        this.#pending.delete(id);
        this.#settleAll(`${this.name}: stopped because a command that called it ended\n`);
        this.stop();
      });
      worker.postMessage({ type: "call", id, args });
    });
  }

  /** Ends the worker now; calls still running on it fail. */
  stop(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#settleAll(`${this.name}: the tool was stopped while running\n`);
    void worker?.terminate();
  }

  /** Ends the worker once the calls running on it have answered: a newer version has taken over. */
  retire(): void {
    this.#retiring = true;
    if (this.#pending.size === 0) this.stop();
  }

  #settleAll(message: string): void {
    for (const { resolve } of this.#pending.values()) resolve({ exitCode: 1, stdout: "", stderr: message });
    this.#pending.clear();
  }
}

/**
 * A worker that has started and imported the contract, waiting for a tool: taking it makes a load
 * cost the import of the tool alone. A new spare starts as soon as one is taken.
 */
interface SpareWorker {
  worker: Worker;
  /** True once the worker is idle and ready for a tool; false if it died first. */
  idle: Promise<boolean>;
}

function startWorker(): SpareWorker {
  const data: WorkerData = { cwd: workspace, memoryLimits: MEMORY_LIMITS };
  const worker = new Worker(new URL("./tool-worker.ts", import.meta.url), { workerData: data, stdout: true, stderr: true, resourceLimits: WORKER_LIMITS });
  worker.stdout.resume();
  worker.stderr.resume();
  const idle = new Promise<boolean>((resolve) => {
    worker.once("message", (reply: WorkerReply) => resolve(reply.type === "idle"));
    worker.once("exit", () => resolve(false));
    worker.once("error", () => resolve(false));
  });
  return { worker, idle };
}

/**
 * Up to two spares, so that two loads close together (two tools written in one command, or a fast
 * model) both find a worker ready. Only one boots while a load runs; the rest once it is done.
 */
const SPARES = 2;
const spares: SpareWorker[] = [startWorker()];

function takeSpareWorker(): SpareWorker {
  const taken = spares.shift() ?? startWorker();
  if (spares.length === 0) spares.push(startWorker());
  return taken;
}

function topUpSpares(): void {
  while (spares.length < SPARES) spares.push(startWorker());
}

const tools = new Map<string, LoadedTool>();

async function load(request: Extract<HostRequest, { type: "load" }>): Promise<void> {
  const started = performance.now();
  const candidate = new LoadedTool(request.name, request.version, request.file);
  const ready = await candidate.start();
  if (ready.type !== "ready") {
    candidate.stop();
    send({ type: "rejected", id: request.id, stage: "load", reason: ready.type === "failed" ? ready.reason : "it did not start", ms: performance.now() - started });
    return;
  }
  const failure = await candidate.runExamples();
  if (failure !== undefined) {
    candidate.stop();
    send({ type: "rejected", id: request.id, stage: "examples", reason: failure, ms: performance.now() - started });
    return;
  }
  tools.get(request.name)?.retire();
  tools.set(request.name, candidate);
  send({ type: "loaded", id: request.id, usage: ready.usage, description: ready.description, ms: performance.now() - started });
}

process.on("message", (request: HostRequest) => {
  if (request.type === "load") void load(request).then(topUpSpares);
  else {
    tools.get(request.name)?.retire();
    tools.delete(request.name);
  }
});
// molt going away takes the host with it.
process.on("disconnect", () => process.exit(0));

/** A tool command's call: the tool runs, its commands run back at the caller, and the answer ends the connection. */
async function answer(connection: LineConnection, tool: string, args: string[]): Promise<void> {
  const started = performance.now();
  const loaded = tools.get(tool);
  if (!loaded) {
    connection.finish({ type: "reply", exitCode: 127, stdout: "", stderr: `${tool}: this tool is not loaded (it may have been rejected or removed)\n` });
    return;
  }
  const gone = new Promise<void>((resolve) => connection.onClose(resolve));
  const reply = await loaded.call(args, new ConnectionCaller(connection, EXEC_PLACE), gone);
  connection.finish({ type: "reply", exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr });
  send({ type: "called", name: loaded.name, version: loaded.version, args, exitCode: reply.exitCode, ms: performance.now() - started });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Relative paths in tools mean the workspace, as they do in the agent's commands.
process.chdir(workspace);
try {
  rmSync(socketPath, { force: true });
} catch {
  // Listening says what is wrong with the place.
}
const server = createServer((socket) => {
  const connection = new LineConnection(socket);
  connection.firstLine((line) => {
    const opening = OpeningLine.safeParse(safeJson(line));
    if (!opening.success) connection.finish({ type: "reply", exitCode: 2, stdout: "", stderr: "molt: malformed tool call\n" });
    else if ("relay" in opening.data) {
      const relay = relays.get(opening.data.relay);
      if (relay) relay.attach(connection);
      else connection.end();
    } else void answer(connection, opening.data.tool, opening.data.args);
  });
});
// Said in one line, which molt passes on as the reason the host could not start.
server.once("error", (error: NodeJS.ErrnoException) => {
  process.stderr.write(`molt could not make the tool host's socket ${socketPath}: ${error.code ?? error.message}\n`);
  process.exit(1);
});
server.listen(socketPath, () => send({ type: "ready" }));
