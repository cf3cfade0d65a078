import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ValidationResult } from "./validator.ts";
import type { ValidatorReply, ValidatorRequest } from "./validator-process.ts";

const VALIDATOR = fileURLToPath(new URL("./validator-process.ts", import.meta.url));
const TYPE_FLAGS = process.features.typescript ? [] : ["--experimental-strip-types", "--disable-warning=ExperimentalWarning"];

/** The validator, in a process of its own; requests are answered in order. */
export class ValidatorClient {
  readonly #process: ChildProcess;
  readonly #waiting = new Map<number, (result: ValidationResult) => void>();
  #nextId = 0;

  /** `searchPath`: the PATH the agent's commands see, which tool names may not shadow. */
  constructor(searchPath: string) {
    this.#process = fork(VALIDATOR, [], {
      execArgv: TYPE_FLAGS,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MOLT_SEARCH_PATH: searchPath },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.#process.on("message", (reply: ValidatorReply) => {
      this.#waiting.get(reply.id)?.(reply.result);
      this.#waiting.delete(reply.id);
    });
    this.#process.on("exit", () => {
      for (const resolve of this.#waiting.values()) resolve({ kind: "tool", name: "", ok: false, diagnostics: [{ file: "", line: 1, column: 1, code: "molt:validator", message: "the validator stopped" }], ms: 0 });
      this.#waiting.clear();
    });
  }

  /** Starts loading the compiler and the contract's types in the background. */
  warmUp(folder: string): void {
    this.#post({ type: "warm", folder });
  }

  validate(path: string, displayPath: string): Promise<ValidationResult> {
    const id = this.#nextId++;
    const result = new Promise<ValidationResult>((resolve) => this.#waiting.set(id, resolve));
    this.#post({ type: "validate", id, path, displayPath });
    return result;
  }

  forget(path: string): void {
    this.#post({ type: "forget", path });
  }

  async close(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#process.once("exit", resolve));
    this.#process.kill("SIGKILL");
    await exited;
  }

  #post(request: ValidatorRequest): void {
    if (this.#process.connected) this.#process.send(request);
  }
}
