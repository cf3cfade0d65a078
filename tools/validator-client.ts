import { Worker } from "node:worker_threads";
import type { ValidationResult } from "./validator.ts";
import type { ValidatorReply, ValidatorRequest } from "./validator-worker.ts";

/** The validator, run in a worker thread; requests are answered in order. */
export class ValidatorClient {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (result: ValidationResult) => void>();
  #nextId = 0;

  constructor(searchPath: string) {
    this.#worker = new Worker(new URL("./validator-worker.ts", import.meta.url), { workerData: { searchPath } });
    this.#worker.on("message", (reply: ValidatorReply) => {
      this.#waiting.get(reply.id)?.(reply.result);
      this.#waiting.delete(reply.id);
    });
    this.#worker.unref();
  }

  /** Starts loading the compiler and the contract's types in the background. */
  warmUp(folder: string): void {
    this.#post({ type: "warm", folder });
  }

  validate(path: string, displayPath: string): Promise<ValidationResult> {
    const id = this.#nextId++;
    const result = new Promise<ValidationResult>((resolve) => this.#waiting.set(id, resolve));
    this.#worker.ref();
    this.#post({ type: "validate", id, path, displayPath });
    return result.finally(() => {
      if (this.#waiting.size === 0) this.#worker.unref();
    });
  }

  forget(path: string): void {
    this.#post({ type: "forget", path });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(request: ValidatorRequest): void {
    this.#worker.postMessage(request);
  }
}
