import { z } from "zod";
import { RunSpec } from "../run-spec.ts";

/**
 * Every transition of a run is one of these events. The live printers, the record
 * (events.jsonl), the trajectory and replay all read this one stream.
 */

export const ExitStatus = z.enum([
  "Submitted",
  "LimitsExceeded",
  "TimeExceeded",
  "RepeatedFormatError",
  /** How records before molt 0.2 named RepeatedFormatError. */
  "FormatError",
  "ModelError",
  /** The conversation no longer fits the model's context window (mini-SWE-agent's name). */
  "ContextWindowExceeded",
  "Interrupted",
  "EnvironmentError",
]);
export type ExitStatus = z.infer<typeof ExitStatus>;

export const Usage = z.object({
  /** Every input token of the request, read from the cache or not. */
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** Input tokens read from the endpoint's prompt cache (priced at a fraction); none when absent. */
  cachedTokens: z.number().int().nonnegative().optional(),
  /** Input tokens written to the prompt cache (Claude prices them above fresh ones); none when absent. */
  cacheWriteTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCall>;

const at = { ts: z.number() };
const inStep = { ...at, step: z.number().int().positive() };
/** Which command of its reply an event is about: the reply's tool calls run in order, 0 first. */
const ofCall = { call: z.number().int().nonnegative().default(0) };

/** A run began: its spec as resolved (the repository's absolute path, the commit it starts from) and where it works. */
export const RunStarted = z.object({
  type: z.literal("run_started"),
  ...at,
  runId: z.string(),
  moltVersion: z.string(),
  /** As resolved: `repo` an absolute path, `base` the commit the workspace was made at. */
  spec: RunSpec.required({ base: true }),
  workspace: z.string(),
  outputDir: z.string(),
  /** The sandbox in force, in words. */
  sandbox: z.string(),
});

/** A run carried on by `molt resume` after the step it had completed. */
export const RunResumed = z.object({
  type: z.literal("run_resumed"),
  ...at,
  afterStep: z.number().int().nonnegative(),
  model: z.string(),
  /** What the run had used before it stopped. */
  totals: z.lazy(() => Totals).optional(),
});

/** The conversation's opening: the system prompt and the task, as the model got them. */
export const Prompt = z.object({
  type: z.literal("prompt"),
  ...at,
  system: z.string(),
  task: z.string(),
});

export const ModelRequest = z.object({
  type: z.literal("model_request"),
  ...inStep,
  messages: z.number().int(),
});

/** Streamed text of a reply, or of a reasoning model's thinking. Transient: shown live, not written to the record. */
export const ModelDelta = z.object({
  type: z.literal("model_delta"),
  ...inStep,
  text: z.string(),
  reasoning: z.boolean().optional(),
});

export const ModelRetry = z.object({
  type: z.literal("model_retry"),
  ...inStep,
  attempt: z.number().int().positive(),
  /** How many retries there may be in all. */
  of: z.number().int().nonnegative().optional(),
  reason: z.string(),
  delayMs: z.number().nonnegative(),
});

export const ModelResponse = z.object({
  type: z.literal("model_response"),
  ...inStep,
  content: z.string(),
  toolCalls: z.array(ToolCall),
  usage: Usage,
  cost: z.number().nonnegative(),
  ms: z.number().nonnegative(),
  /** Why the model stopped: "stop", "tool_calls", "length" (cut off at the token limit), … as the endpoint said. */
  finishReason: z.string().nullable().optional(),
  /** What a reasoning model thought before its reply, as the endpoint streamed it (never sent back). */
  reasoning: z.string().optional(),
});

export const FormatError = z.object({
  type: z.literal("format_error"),
  ...inStep,
  reason: z.string(),
  inARow: z.number().int().positive(),
});

export const CommandStarted = z.object({
  type: z.literal("command_started"),
  ...inStep,
  ...ofCall,
  /** What runs. */
  command: z.string(),
  /** The agent's own command, when the user changed it before it ran (`--confirm`, e). */
  proposed: z.string().optional(),
});

/** The user turned a command down (`--confirm`); their message is the agent's observation. */
export const CommandRejected = z.object({
  type: z.literal("command_rejected"),
  ...inStep,
  ...ofCall,
  command: z.string(),
  message: z.string(),
});

/** How a command ended: what command_finished and setup_finished record of it. */
const commandOutcome = {
  exitCode: z.number().int(),
  ms: z.number().nonnegative(),
  /** The output when nothing was elided, else its head. */
  output: z.string(),
  /** The end of the output when characters were elided, else "". */
  outputTail: z.string(),
  elidedChars: z.number().int().nonnegative(),
  timedOut: z.boolean(),
};

export const CommandFinished = z.object({
  type: z.literal("command_finished"),
  ...inStep,
  ...ofCall,
  ...commandOutcome,
  /** Lines added after the output: a limit hit, tool verdicts, the reminder. */
  notes: z.array(z.string()).default([]),
});

/**
 * The workspace after a step that changed it, kept as a commit in the run's snapshots.git (on a
 * private ref, never a branch). A step that changed nothing has none.
 */
export const Snapshot = z.object({
  type: z.literal("snapshot"),
  ...at,
  /** The step after which it was taken; 0 for the starting state a setup command left. */
  step: z.number().int().nonnegative(),
  commit: z.string(),
  tree: z.string(),
  /** Paths changed since the previous snapshot (or the base commit). */
  files: z.number().int().nonnegative(),
  /** How long taking it took (it runs while the model is asked for the next reply). */
  ms: z.number().nonnegative(),
});

/**
 * The setup command (`molt run --setup`, a batch instance's install_cmd) ran in the workspace
 * before the agent started, with network. What it changed is the starting state, never the patch.
 */
export const SetupFinished = z.object({
  type: z.literal("setup_finished"),
  ...at,
  command: z.string(),
  ...commandOutcome,
  /** The commit (in the workspace's base.git) the patch is made against; absent when the setup failed. */
  startCommit: z.string().optional(),
});

export const Totals = z.object({
  steps: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
  cost: z.number().nonnegative(),
  apiCalls: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
});
export type Totals = z.infer<typeof Totals>;

/** A run's totals before its first step. */
export function noTotals(): Totals {
  return { steps: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, cost: 0, apiCalls: 0, elapsedMs: 0 };
}

/** Counts one model call into a run's totals. */
export function countCall(totals: Totals, usage: Usage, cost: number): void {
  totals.apiCalls++;
  totals.promptTokens += usage.promptTokens;
  totals.completionTokens += usage.completionTokens;
  totals.cachedTokens = (totals.cachedTokens ?? 0) + (usage.cachedTokens ?? 0);
  totals.cacheWriteTokens = (totals.cacheWriteTokens ?? 0) + (usage.cacheWriteTokens ?? 0);
  totals.cost += cost;
}

export const RunFinished = z.object({
  type: z.literal("run_finished"),
  ...at,
  exitStatus: ExitStatus,
  /** Why the run ended, in one line, when it did not end by submitting. */
  reason: z.string(),
  patch: z.string(),
  /** What the patch leaves out (a file whose change is too big, a submodule's files), or why it could not be made: a line each. */
  patchNotes: z.array(z.string()).optional(),
  patchFile: z.string(),
  trajectoryFile: z.string(),
  totals: Totals,
});

/** One problem with a tool file, located like a compiler message. */
export const ToolDiagnostic = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  /** `TS2322` for TypeScript's own checks, `molt:<rule>` for the contract's. */
  code: z.string(),
  message: z.string(),
});
export type ToolDiagnostic = z.infer<typeof ToolDiagnostic>;

/** Tool events before the first step (the library loading) carry step 0. */
const atStep = { ...at, step: z.number().int().nonnegative() };

/** The tool library as the run found it. */
export const ToolLibraryOpened = z.object({
  type: z.literal("tool_library"),
  ...at,
  dir: z.string(),
  fresh: z.boolean(),
  tools: z.array(z.object({ name: z.string(), version: z.number().int(), source: z.string() })),
});

export const ToolWritten = z.object({
  type: z.literal("tool_written"),
  ...atStep,
  name: z.string(),
  version: z.number().int().positive(),
  kind: z.enum(["tool", "helper"]),
  sha: z.string(),
  source: z.string(),
});

export const ToolValidated = z.object({
  type: z.literal("tool_validated"),
  ...atStep,
  name: z.string(),
  version: z.number().int().positive(),
  ok: z.boolean(),
  diagnostics: z.array(ToolDiagnostic),
  ms: z.number().nonnegative(),
});

export const ToolLoaded = z.object({
  type: z.literal("tool_loaded"),
  ...atStep,
  name: z.string(),
  version: z.number().int().positive(),
  ms: z.number().nonnegative(),
  usage: z.string(),
});

export const ToolRejected = z.object({
  type: z.literal("tool_rejected"),
  ...atStep,
  name: z.string(),
  version: z.number().int().positive(),
  stage: z.enum(["validate", "load", "examples"]),
  reason: z.string(),
  diagnostics: z.array(ToolDiagnostic),
});

export const ToolCalled = z.object({
  type: z.literal("tool_called"),
  ...atStep,
  name: z.string(),
  version: z.number().int().positive(),
  args: z.array(z.string()),
  exitCode: z.number().int(),
  ms: z.number().nonnegative(),
});

export const ToolRemoved = z.object({
  type: z.literal("tool_removed"),
  ...atStep,
  name: z.string(),
});

export const MoltEvent = z.discriminatedUnion("type", [
  RunStarted,
  RunResumed,
  SetupFinished,
  Prompt,
  ModelRequest,
  ModelDelta,
  ModelRetry,
  ModelResponse,
  FormatError,
  CommandStarted,
  CommandRejected,
  CommandFinished,
  Snapshot,
  ToolLibraryOpened,
  ToolWritten,
  ToolValidated,
  ToolLoaded,
  ToolRejected,
  ToolCalled,
  ToolRemoved,
  RunFinished,
]);
export type MoltEvent = z.infer<typeof MoltEvent>;
export type EventOf<T extends MoltEvent["type"]> = Extract<MoltEvent, { type: T }>;

/** Events that only matter while a run is live; the record leaves them out. */
export function isTransient(event: MoltEvent): boolean {
  return event.type === "model_delta";
}
