import { ContextWindowExceeded, ModelError, UnsupportedParameter } from "../../core/endpoint/errors.ts";
import { endpointName } from "../../core/endpoint/endpoint-name.ts";
import type { Message } from "../../core/messages.ts";
import type { Model, ModelReply } from "../../core/model.ts";
import type { ActionFormat, CacheControl, ModelSpec } from "../../core/run-spec.ts";
import { checkedScript, openModel } from "./run-model.ts";

/** Why a request failed, as far as a user can act on it. */
export type FailureKind = "unreachable" | "key" | "model" | "parameter" | "context" | "busy" | "refused";

export interface DoctorFailure {
  kind: FailureKind;
  /** The endpoint's HTTP status, when it answered. */
  status: number | undefined;
  message: string;
  /** The parameter the endpoint refused (kind "parameter"). */
  parameter?: string;
}

/** What `molt doctor` learned of an endpoint from two small requests. */
export interface DoctorReport {
  endpoint: string;
  model: string;
  actionFormat: ActionFormat;
  cacheControl: CacheControl;
  /** Whether a key (OPENAI_API_KEY) was sent. */
  keySent: boolean;
  /** The plain request; absent when it failed. */
  plain?: { ms: number; firstChunkMs: number | undefined; chunks: number; finishReason: string | null | undefined; content: string };
  /** The first request that failed, if one did. */
  failure?: DoctorFailure & { request: "plain" | "action" };
  /** The request for a command: what the model sent (a command, or what came instead). */
  action?: { ok: boolean; command: string | undefined; instead: string };
  /** Token counts of the last answered request; undefined when the endpoint reports none. */
  usage?: { promptTokens: number; completionTokens: number };
  /** Which field carries cached input tokens, if any does. */
  cachedField?: string;
  /** Characters of thinking the model streamed (reasoning_content or reasoning). */
  reasoningChars: number;
  /** Parameters dropped because the endpoint refused them (drop_params). */
  dropped: string[];
  /** Whether a run can work with this endpoint as configured. */
  ok: boolean;
}

const SYSTEM: Message = { role: "system", content: "You are a helpful assistant. Answer as briefly as you can." };
const HELLO: Message = { role: "user", content: "Reply with the one word: ready" };
const TOOL_ASK: Message = { role: "user", content: "Call the bash tool once, with the command: echo molt" };
const TEXT_ASK: Message = { role: "user", content: "Reply with one markdown code block tagged bash that holds the command: echo molt" };
const BASH_BLOCK = /```bash\s*\n([\s\S]*?)\n?```/;

/**
 * Asks the endpoint two small questions as a run asks them (the same body, parameters, headers and
 * cache marks, no retries): a plain one, then one that needs a command in the run's action format.
 */
export async function diagnose(spec: ModelSpec, options: { apiKey: string | undefined; headers?: Record<string, string>; signal?: AbortSignal }): Promise<DoctorReport> {
  const report: DoctorReport = {
    endpoint: spec.script !== undefined ? "molt's scripted server" : endpointName(spec.baseUrl),
    model: spec.name,
    actionFormat: spec.actionFormat,
    cacheControl: spec.cacheControl ?? "none",
    keySent: options.apiKey !== undefined,
    reasoningChars: 0,
    dropped: [],
    ok: false,
  };
  const opened = await openModel({ ...spec, retries: 0 }, await checkedScript(spec), options.apiKey, options.headers);
  try {
    const plain = await ask(opened.model, [SYSTEM, HELLO], report, options.signal);
    if (!plain.reply) {
      report.failure = { ...failureOf(plain.error), request: "plain" };
      return report;
    }
    report.plain = { ms: plain.reply.ms, firstChunkMs: plain.firstChunkMs, chunks: plain.chunks, finishReason: plain.reply.finishReason, content: plain.reply.content };
    const action = await ask(opened.model, [SYSTEM, spec.actionFormat === "tools" ? TOOL_ASK : TEXT_ASK], report, options.signal);
    if (!action.reply) report.failure = { ...failureOf(action.error), request: "action" };
    else report.action = actionOf(action.reply, spec.actionFormat);
    const counted = action.reply ?? plain.reply;
    // Token counts count only when every answered request had them.
    if (plain.usage && (action.usage || !action.reply)) report.usage = { promptTokens: counted.usage.promptTokens, completionTokens: counted.usage.completionTokens };
    report.ok = report.failure === undefined && report.action?.ok === true;
    return report;
  } finally {
    await opened.close();
  }
}

type Answer = { chunks: number; firstChunkMs: number | undefined; usage: boolean } & ({ reply: ModelReply; error?: undefined } | { reply?: undefined; error: Error });

/** One request; what its stream shows of the endpoint goes into the report. */
async function ask(model: Model, messages: Message[], report: DoctorReport, signal: AbortSignal | undefined): Promise<Answer> {
  let chunks = 0;
  let firstChunkMs: number | undefined;
  let usage = false;
  const started = performance.now();
  try {
    const reply = await model.complete(messages, {
      signal,
      onChunk: (chunk) => {
        chunks++;
        firstChunkMs ??= performance.now() - started;
        const reported = field(chunk, "usage");
        if (typeof reported !== "object" || reported === null) return;
        usage = true;
        report.cachedField ??= cachedFieldOf(reported);
      },
      onRetry: (notice) => {
        if (notice.dropped !== undefined) report.dropped.push(notice.dropped);
      },
    });
    report.reasoningChars += reply.reasoning?.length ?? 0;
    return { chunks, firstChunkMs, usage, reply };
  } catch (error) {
    return { chunks, firstChunkMs, usage, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function actionOf(reply: ModelReply, format: ActionFormat): NonNullable<DoctorReport["action"]> {
  if (format === "text") {
    const command = BASH_BLOCK.exec(reply.content)?.[1]?.trim();
    return { ok: command !== undefined, command, instead: reply.content.trim() };
  }
  const call = reply.toolCalls[0];
  const command = call?.name === "bash" ? commandOf(call.arguments) : undefined;
  return { ok: command !== undefined, command, instead: call ? `a call of ${call.name} with ${call.arguments}` : reply.content.trim() };
}

function failureOf(error: Error): DoctorFailure {
  const status = error instanceof ModelError ? error.status : undefined;
  const base = { status, message: error.message };
  if (error instanceof UnsupportedParameter) return { ...base, kind: "parameter", parameter: error.parameter };
  if (error instanceof ContextWindowExceeded) return { ...base, kind: "context" };
  if (status === undefined) return { ...base, kind: "unreachable" };
  if (status === 401 || status === 403) return { ...base, kind: "key" };
  if (status === 404) return { ...base, kind: "model" };
  if (status === 408 || status === 429 || status >= 500) return { ...base, kind: "busy" };
  return { ...base, kind: "refused" };
}

/** Which of the cached-token fields an endpoint's usage holds. */
function cachedFieldOf(usage: object): string | undefined {
  if (typeof field(field(usage, "prompt_tokens_details"), "cached_tokens") === "number") return "prompt_tokens_details.cached_tokens";
  if (typeof field(usage, "prompt_cache_hit_tokens") === "number") return "prompt_cache_hit_tokens";
  if (typeof field(usage, "cache_read_input_tokens") === "number") return "cache_read_input_tokens";
  return undefined;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function commandOf(args: string): string | undefined {
  try {
    const command = field(JSON.parse(args), "command");
    return typeof command === "string" ? command : undefined;
  } catch {
    return undefined;
  }
}
