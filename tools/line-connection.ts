import type { Socket } from "node:net";

/** The longest line the host takes from a tool command: a ctx.exec outcome is at most 2 MiB of output. */
const MAX_LINE = 8 * 1024 ** 2;

/** A socket that speaks JSON, one message a line, both ways. */
export class LineConnection {
  readonly #socket: Socket;
  #buffer = "";
  #first: ((line: string) => void) | undefined;
  readonly #lineListeners: ((line: string) => void)[] = [];
  readonly #closeListeners: (() => void)[] = [];
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk) => {
      this.#buffer += chunk.toString("utf8");
      for (let newline = this.#buffer.indexOf("\n"); newline >= 0; newline = this.#buffer.indexOf("\n")) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        const first = this.#first;
        this.#first = undefined;
        if (first) first(line);
        else for (const listener of this.#lineListeners) listener(line);
      }
      if (this.#buffer.length > MAX_LINE) socket.destroy();
    });
    socket.on("close", () => {
      this.#closed = true;
      for (const listener of this.#closeListeners.splice(0)) listener();
    });
    socket.on("error", () => socket.destroy());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The opening line, once. */
  firstLine(listener: (line: string) => void): void {
    this.#first = listener;
  }

  onLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  /** Called when the other end is gone (at once if it is gone already). */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  write(message: object): void {
    if (!this.#closed) this.#socket.write(JSON.stringify(message) + "\n");
  }

  /** Sends a last message and ends the connection. */
  finish(message: object): void {
    this.write(message);
    this.end();
  }

  end(): void {
    if (!this.#closed) this.#socket.end();
  }
}
