/**
 * The tool contract, imported by tools as "molt/tool". A tool is a TypeScript module in the
 * evolved folder whose default export is `defineTool({...})`; molt checks it, loads it, and puts
 * it on the agent's PATH as a command named after it.
 */
import { z } from "zod";

export { z };

/** What a tool's `run` gets besides its input. */
export interface ToolContext {
  /** The workspace root: the repository the agent works on. */
  cwd: string;
  /** Runs a shell command in the workspace; resolves with its exit code and output, never rejects on a non-zero exit. */
  exec(command: string, options?: { timeoutMs?: number }): Promise<ExecOutcome>;
}

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ToolExample<Input> {
  input: Input;
  /** Text the result must contain for the example to pass. Without it, the example passes when `run` does not throw. */
  expect?: string;
}

export interface ToolDefinition<Schema extends z.ZodObject = z.ZodObject> {
  /** The command's name: the file name without .ts, [a-z][a-z0-9_]*. */
  name: string;
  description: string;
  input: Schema;
  examples?: ToolExample<z.input<Schema>>[];
  run(input: z.output<Schema>, ctx: ToolContext): string | Promise<string>;
}

const DEFINED = Symbol.for("molt.tool");

export function defineTool<Schema extends z.ZodObject>(definition: ToolDefinition<Schema>): ToolDefinition<Schema> {
  return Object.assign(definition, { [DEFINED]: true });
}

/** True for what `defineTool` returned. */
export function isToolDefinition(value: unknown): value is ToolDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DEFINED] === true;
}
