// Who runs the commands a tool asks ctx.exec for: the tool command that made the call (its
// connection to the host), or, for a tool's examples, a relay molt runs as a command of its own.
import { randomUUID } from "node:crypto";
import type { ExecOutcome } from "./contract.ts";
import type { LineConnection } from "./line-connection.ts";
import { ExecDone } from "./tool-protocol.ts";

export interface Caller {
  exec(command: string, timeoutMs: number): Promise<ExecOutcome>;
}

/** Where the commands run: the workspace, with the tools' environment. */
export interface ExecPlace {
  cwd: string;
  env: Record<string, string>;
}

/** What ctx.exec gets once its caller is gone. */
export const CALLER_GONE: ExecOutcome = {
  exitCode: 125,
  stdout: "",
  stderr: "molt: the command that called this tool has ended, and with it the commands the tool started\n",
};

/** A connection from a tool command (or a relay): it runs each command it is sent and says how it went. */
export class ConnectionCaller implements Caller {
  readonly #connection: LineConnection;
  readonly #place: ExecPlace;
  readonly #execs = new Map<number, (outcome: ExecOutcome) => void>();
  #nextId = 0;

  constructor(connection: LineConnection, place: ExecPlace) {
    this.#connection = connection;
    this.#place = place;
    connection.onLine((line) => {
      const done = ExecDone.safeParse(safeJson(line));
      if (!done.success) return;
      const { id, exitCode, stdout, stderr } = done.data;
      this.#execs.get(id)?.({ exitCode, stdout, stderr });
      this.#execs.delete(id);
    });
    connection.onClose(() => {
      for (const resolve of this.#execs.values()) resolve(CALLER_GONE);
      this.#execs.clear();
    });
  }

  exec(command: string, timeoutMs: number): Promise<ExecOutcome> {
    if (this.#connection.closed) return Promise.resolve(CALLER_GONE);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#execs.set(id, resolve);
      this.#connection.write({ type: "exec", id, command, ...this.#place, timeoutMs });
    });
  }
}

/**
 * The caller of a tool's examples: a relay, asked of molt (which runs it as it runs the agent's
 * commands) when the examples first call ctx.exec, and ended with the examples.
 */
export class RelayCaller implements Caller {
  readonly #token = randomUUID();
  readonly #registry: Map<string, RelayCaller>;
  readonly #place: ExecPlace;
  readonly #ask: (token: string) => void;
  #connection: Promise<Caller> | undefined;
  #arrived: ((caller: Caller) => void) | undefined;
  #end: (() => void) | undefined;

  /** `registry`: where a relay's connection finds its caller by token; `ask`: asks molt for a relay. */
  constructor(registry: Map<string, RelayCaller>, place: ExecPlace, ask: (token: string) => void) {
    this.#registry = registry;
    this.#place = place;
    this.#ask = ask;
    registry.set(this.#token, this);
  }

  exec(command: string, timeoutMs: number): Promise<ExecOutcome> {
    this.#connection ??= new Promise<Caller>((resolve) => {
      this.#arrived = resolve;
      this.#ask(this.#token);
    });
    return this.#connection.then((caller) => caller.exec(command, timeoutMs));
  }

  /** Takes the relay's connection, if one was asked for and none has come yet. */
  attach(connection: LineConnection): void {
    const arrived = this.#arrived;
    this.#arrived = undefined;
    if (!arrived) {
      connection.end();
      return;
    }
    this.#end = () => connection.end();
    arrived(new ConnectionCaller(connection, this.#place));
  }

  close(): void {
    this.#registry.delete(this.#token);
    this.#end?.();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
