// The validator as a process of its own: type-checking is synchronous, takes a second when cold
// and holds the compiler's few hundred megabytes, so it runs apart from molt, at a lower priority,
// warming up while the model thinks; molt's own process stays small and its event loop free.
import { setPriority } from "node:os";
import { ToolValidator, type ValidationResult } from "./validator.ts";

export type ValidatorRequest =
  | { type: "warm"; folder: string }
  | { type: "validate"; id: number; path: string; displayPath: string }
  | { type: "forget"; path: string };

export type ValidatorReply = { id: number; result: ValidationResult };

try {
  setPriority(10);
} catch {
  // Not allowed here; the default priority does too.
}

const validator = new ToolValidator({ searchPath: process.env.MOLT_SEARCH_PATH ?? "" });

function validate(path: string, displayPath: string): ValidationResult {
  try {
    return validator.validate(path, displayPath);
  } catch (error) {
    const message = `the checker failed on this file: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: "tool", name: "", ok: false, diagnostics: [{ file: displayPath, line: 1, column: 1, code: "molt:validator", message }], ms: 0 };
  }
}

process.on("message", (request: ValidatorRequest) => {
  if (request.type === "warm") {
    try {
      validator.warmUp(request.folder);
    } catch {
      // A failed warm-up only means the first check is slower.
    }
  } else if (request.type === "forget") validator.forget(request.path);
  else process.send?.({ id: request.id, result: validate(request.path, request.displayPath) } satisfies ValidatorReply);
});
process.on("disconnect", () => process.exit(0));
