import { execFile, fork, spawn, type ChildProcess } from "node:child_process";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NO_PROCESS_FLAGS, TYPE_FLAGS } from "./node-flags.ts";
import { bwrapArgs } from "../sandbox/bwrap.ts";
import { DEFAULT_LIMITS, NODE_CODE_RESERVE_BYTES, underDataLimit } from "../sandbox/limits.ts";
import { killProcessGroup } from "../sandbox/process-group.ts";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.ts";
import type { SocketFolder } from "../sandbox/socket-folder.ts";
import type { HostReply, HostRequest } from "./tool-protocol.ts";

const HOST = fileURLToPath(new URL("./tool-host.ts", import.meta.url));
const SHIM = fileURLToPath(new URL("./tool-shim.ts", import.meta.url));
/** The host's socket, in its socket folder. */
export const SOCKET_NAME = "tools.sock";

export type LoadOutcome =
  | { ok: true; usage: string; description: string; ms: number }
  | { ok: false; stage: "load" | "examples"; reason: string; ms: number };

export interface ToolCallNotice {
  name: string;
  version: number;
  args: string[];
  exitCode: number;
  ms: number;
}

export interface ToolHostOptions {
  /**
   * molt's own folder for the tool commands and their compile cache. No sandbox may write it:
   * molt writes there, outside the sandbox, and must find there only what it made.
   */
  dir: string;
  /**
   * The host's short folder for its socket (see sandbox/socket-folder.ts), or why there is none:
   * the host (and so the tools it runs) may write it; molt removes it when the host stops.
   */
  socketFolder: SocketFolder;
  /** The workspace: tools run there (`ctx.cwd`). */
  workspace: string;
  /** The environment of the commands tools run with `ctx.exec`. */
  env: Record<string, string>;
  callTimeoutMs: number;
  /** The sandbox the host (and so every tool) runs in. */
  sandbox?: SandboxPolicy;
  /** The memory of the host with all its tools (RLIMIT_DATA, on top of Node's code reserve); --mem-limit. */
  memBytes?: number;
  /**
   * Runs a command as the agent's commands run (sandbox, limits): the relay that runs what a tool's
   * examples ask ctx.exec for. Without it, a plain process, in a group of its own.
   */
  runCommand?: (command: string) => Promise<unknown>;
}

/** molt's handle on the tool host process: load and unload tools, and hear about their calls. */
export class ToolHostClient {
  /** Put this folder first on the agent's PATH: each loaded tool is a command in it. */
  readonly binDir: string;
  readonly #options: ToolHostOptions;
  /** The host's socket, or why it cannot be made. */
  readonly #socket: { ok: true; path: string } | { ok: false; reason: string };
  readonly #loads = new Map<number, (outcome: LoadOutcome) => void>();
  readonly #listeners: ((notice: ToolCallNotice) => void)[] = [];
  /** What is loaded, to load again if the host has to be restarted. */
  readonly #loaded = new Map<string, { version: number; file: string }>();
  #process: ChildProcess | undefined;
  #nextId = 0;
  #stopping = false;
  #restarts = 0;
  #ready: Promise<void> | undefined;
  /** The command program's first run, which fills its compile cache in the run's folder. */
  #warmUp: Promise<void> = Promise.resolve();

  /** Relays started without a runCommand, to end with the host. */
  readonly #relays = new Set<ChildProcess>();

  private constructor(options: ToolHostOptions) {
    this.#options = options;
    this.binDir = join(options.dir, "bin");
    const folder = options.socketFolder;
    this.#socket = folder.ok ? { ok: true, path: join(folder.dir, SOCKET_NAME) } : folder;
  }

  /**
   * The host starts when the first tool is loaded, not before: a run whose agent makes no tool
   * (and whose library is empty) never pays for it. A host that cannot start makes each load fail,
   * saying why.
   */
  static start(options: ToolHostOptions): ToolHostClient {
    return new ToolHostClient(options);
  }

  #startOnce(): Promise<void> {
    this.#ready ??= (async () => {
      if (!this.#socket.ok) throw new Error(this.#socket.reason);
      await mkdir(this.binDir, { recursive: true });
      await this.#spawn(this.#socket.path);
      // One call of the command program fills its compile cache, so tool calls start quickly.
      const warmUp = execFile(process.execPath, [...TYPE_FLAGS, SHIM], { env: { NODE_COMPILE_CACHE: this.#compileCache } }, () => undefined);
      this.#warmUp = new Promise((resolve) => warmUp.once("close", () => resolve()));
    })();
    return this.#ready;
  }

  /** Starts the host now; resolves when it is up, rejects (saying why) when it could not start. */
  get ready(): Promise<void> {
    return this.#startOnce();
  }

  /** Node's compile cache for the tool commands: without it, each call would strip the shim's types anew. */
  get #compileCache(): string {
    return join(this.#options.dir, "compile-cache");
  }

  /** The variables a tool command needs to reach the host. */
  get commandEnv(): Record<string, string> {
    return this.#socket.ok ? { MOLT_TOOL_SOCKET: this.#socket.path } : {};
  }

  #spawn(socket: string): Promise<void> {
    const sandbox = this.#options.sandbox;
    // Node without the right to start processes, under a memory limit of its own (which counts Node's code reserve).
    const memBytes = this.#options.memBytes ?? DEFAULT_LIMITS.memBytes;
    const node = [...underDataLimit(memBytes + NODE_CODE_RESERVE_BYTES), process.execPath, ...TYPE_FLAGS, ...NO_PROCESS_FLAGS];
    // Under bubblewrap, bwrap starts bash, which starts node, which still gets the IPC channel molt opened.
    const argv = sandbox?.kind === "bwrap" ? ["bwrap", ...bwrapArgs(sandbox, this.#options.workspace), "--", ...node] : node;
    const child = fork(HOST, [], {
      execPath: argv[0],
      execArgv: argv.slice(1),
      // A group of its own: a Ctrl-C at the terminal is molt's to handle, not the host's.
      detached: true,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: sandbox?.home ?? this.#options.env.HOME ?? process.env.HOME ?? "",
        MOLT_TOOL_SOCKET: socket,
        MOLT_WORKSPACE: this.#options.workspace,
        MOLT_TOOL_TIMEOUT_MS: String(this.#options.callTimeoutMs),
        MOLT_TOOL_ENV: JSON.stringify(this.#options.env),
        MOLT_TOOL_MEM_BYTES: String(memBytes),
      },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.#process = child;
    // The end of what the host says on stderr, to explain a failure.
    let said = "";
    child.stderr?.on("data", (chunk: Buffer) => (said = (said + chunk.toString("utf8")).slice(-2000)));
    child.on("message", (reply: HostReply) => this.#onReply(reply));
    child.on("exit", () => {
      if (this.#process !== child) return;
      this.#process = undefined;
      for (const resolve of this.#loads.values()) resolve({ ok: false, stage: "load", reason: "the tool host stopped while loading it", ms: 0 });
      this.#loads.clear();
      // A host that died of itself (a tool brought it down) comes back, a few times at most.
      if (!this.#stopping && this.#restarts++ < 3) void this.#restart();
    });
    return new Promise((resolve, reject) => {
      const onReady = (reply: HostReply) => {
        if (reply.type !== "ready") return;
        child.off("message", onReady);
        resolve();
      };
      child.on("message", onReady);
      child.once("exit", (code) => {
        const why = said.trim().split("\n").filter(Boolean).at(-1);
        reject(new Error(`the tool host exited at start (code ${code})${why ? `: ${why}` : ""}`));
      });
    });
  }

  async #restart(): Promise<void> {
    if (!this.#socket.ok) return;
    await this.#spawn(this.#socket.path).catch(() => undefined);
    if (this.#stopping) return;
    for (const [name, { version, file }] of this.#loaded) this.#send({ type: "load", id: this.#nextId++, name, version, file });
  }

  #onReply(reply: HostReply): void {
    if (reply.type === "loaded") {
      this.#loads.get(reply.id)?.({ ok: true, usage: reply.usage, description: reply.description, ms: reply.ms });
      this.#loads.delete(reply.id);
    } else if (reply.type === "rejected") {
      this.#loads.get(reply.id)?.({ ok: false, stage: reply.stage, reason: reply.reason, ms: reply.ms });
      this.#loads.delete(reply.id);
    } else if (reply.type === "called") {
      for (const listener of this.#listeners) listener(reply);
    } else if (reply.type === "relay") {
      this.#startRelay(reply.token);
    }
  }

  /** Runs, as a command of the run, the relay that serves ctx.exec for the examples the host is running. */
  #startRelay(token: string): void {
    const command = this.#commandLine(["--relay", token]);
    if (this.#options.runCommand) {
      void this.#options.runCommand(command).catch(() => undefined);
      return;
    }
    const relay = spawn("bash", ["-c", command], { env: { ...this.#options.env, ...this.commandEnv }, detached: true, stdio: "ignore" });
    this.#relays.add(relay);
    relay.on("error", () => this.#relays.delete(relay));
    relay.on("exit", () => this.#relays.delete(relay));
  }

  /** Loads a checked tool file; once it is loaded, its command is on PATH. */
  async load(name: string, version: number, file: string): Promise<LoadOutcome> {
    const failed = await this.#startOnce().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    if (failed !== undefined) return { ok: false, stage: "load", reason: failed, ms: 0 };
    const id = this.#nextId++;
    const outcome = new Promise<LoadOutcome>((resolve) => this.#loads.set(id, resolve));
    this.#send({ type: "load", id, name, version, file });
    const result = await outcome;
    if (result.ok) {
      this.#loaded.set(name, { version, file });
      await this.#installCommand(name);
    }
    return result;
  }

  async unload(name: string): Promise<void> {
    this.#loaded.delete(name);
    this.#send({ type: "unload", name });
    await rm(join(this.binDir, name), { force: true });
  }

  onCall(listener: (notice: ToolCallNotice) => void): void {
    this.#listeners.push(listener);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const relay of this.#relays) killProcessGroup(relay.pid);
    await this.#ready?.catch(() => undefined);
    // It writes into the run's folder: it must be done before that folder is removed.
    await this.#warmUp;
    const child = this.#process;
    this.#process = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      killProcessGroup(child.pid);
      await exited;
    }
    if (this.#options.socketFolder.ok) await rm(this.#options.socketFolder.dir, { recursive: true, force: true });
  }

  #send(request: HostRequest): void {
    this.#process?.send(request);
  }

  /** The shell line that runs the tool command program with these arguments. */
  #commandLine(args: string[]): string {
    const words = [process.execPath, ...TYPE_FLAGS, SHIM, ...args].map(quote).join(" ");
    return `NODE_COMPILE_CACHE=${quote(this.#compileCache)}\nexport NODE_COMPILE_CACHE\nexec ${words}`;
  }

  /**
   * Writes the tool's command into molt's own folder, whole: a new file, moved over the old one,
   * so that a command starting meanwhile runs one version or the other.
   */
  async #installCommand(name: string): Promise<void> {
    const path = join(this.binDir, name);
    const written = join(this.binDir, `.${name}.${process.pid}.tmp`);
    await writeFile(written, `#!/bin/sh\n${this.#commandLine([name])} "$@"\n`, { mode: 0o755 });
    await rename(written, path);
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
