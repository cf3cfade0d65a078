// The validator in a worker thread: type-checking is synchronous and takes a second when cold,
// so it runs here, warming up while the model thinks, and never stalls molt's event loop.
import { parentPort, workerData } from "node:worker_threads";
import { ToolValidator, type ValidationResult } from "./validator.ts";

export type ValidatorRequest =
  | { type: "warm"; folder: string }
  | { type: "validate"; id: number; path: string; displayPath: string }
  | { type: "forget"; path: string };

export type ValidatorReply = { id: number; result: ValidationResult };

const validator = new ToolValidator({ searchPath: (workerData as { searchPath: string }).searchPath });

parentPort!.on("message", (request: ValidatorRequest) => {
  if (request.type === "warm") validator.warmUp(request.folder);
  else if (request.type === "forget") validator.forget(request.path);
  else parentPort!.postMessage({ id: request.id, result: validator.validate(request.path, request.displayPath) } satisfies ValidatorReply);
});
