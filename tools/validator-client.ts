import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TYPE_FLAGS } from "./node-flags.ts";
import { NODE_CODE_RESERVE_BYTES, underDataLimit } from "../sandbox/limits.ts";
import { killProcessGroup } from "../sandbox/process-group.ts";
import type { ValidationResult } from "./validator.ts";
import type { ValidatorReply, ValidatorRequest } from "./validator-process.ts";

const VALIDATOR = fileURLToPath(new URL("./validator-process.ts", import.meta.url));

/** The checker's own memory: its heap, and its whole data size with Node's code reserve on top. */
const CHECKER_HEAP_MB = 1024;
const CHECKER_DATA_BYTES = NODE_CODE_RESERVE_BYTES + 1536 * 1024 ** 2;

/** The validator, in a process of its own; requests are answered in order. */
export class ValidatorClient {
  readonly #searchPath: string;
  readonly #waiting = new Map<number, { displayPath: string; resolve: (result: ValidationResult) => void }>();
  #process: ChildProcess;
  #nextId = 0;
  #closed = false;

  /** `searchPath`: the PATH the agent's commands see, which tool names may not shadow. */
  constructor(searchPath: string) {
    this.#searchPath = searchPath;
    this.#process = this.#spawn();
  }

  /** Starts the validator process; if it ever dies, the checks in flight fail and the next one starts a new process. */
  #spawn(): ChildProcess {
    // Under a memory limit of its own: a tool file that makes the compiler balloon ends the checker, not the machine.
    const [shell, ...shellArgs] = underDataLimit(CHECKER_DATA_BYTES);
    const child = fork(VALIDATOR, [], {
      execPath: shell,
      execArgv: [...shellArgs, process.execPath, ...TYPE_FLAGS, `--max-old-space-size=${CHECKER_HEAP_MB}`],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MOLT_SEARCH_PATH: this.#searchPath },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      // A group of its own: a Ctrl-C at the terminal is molt's to handle.
      detached: true,
    });
    child.on("message", (reply: ValidatorReply) => {
      this.#waiting.get(reply.id)?.resolve(reply.result);
      this.#waiting.delete(reply.id);
    });
    child.on("exit", () => {
      for (const { displayPath, resolve } of this.#waiting.values()) {
        resolve({ kind: "tool", name: "", ok: false, diagnostics: [{ file: displayPath, line: 1, column: 1, code: "molt:validator", message: `the checker stopped on this file (out of its memory, ${CHECKER_DATA_BYTES / 1024 ** 3} GiB, or crashed); write the file again to retry` }], ms: 0 });
      }
      this.#waiting.clear();
    });
    return child;
  }

  /** Starts loading the compiler and the contract's types in the background. */
  warmUp(folder: string): void {
    this.#post({ type: "warm", folder });
  }

  validate(path: string, displayPath: string): Promise<ValidationResult> {
    if (!this.#process.connected && !this.#closed) this.#process = this.#spawn();
    const id = this.#nextId++;
    const result = new Promise<ValidationResult>((resolve) => this.#waiting.set(id, { displayPath, resolve }));
    this.#post({ type: "validate", id, path, displayPath });
    return result;
  }

  forget(path: string): void {
    this.#post({ type: "forget", path });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#process.once("exit", resolve));
    killProcessGroup(this.#process.pid);
    await exited;
  }

  #post(request: ValidatorRequest): void {
    if (this.#process.connected) this.#process.send(request);
  }
}
