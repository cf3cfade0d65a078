import OpenAI from "openai";
import { ContextWindowExceeded, ModelAborted, ModelError, UnsupportedParameter } from "./errors.ts";
import { hideUrlSecrets } from "./url-secrets.ts";

/** A failure that may pass: asked again after a backoff. */
export class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  /** The endpoint's HTTP status, when it answered at all. */
  readonly status: number | undefined;
  constructor(message: string, retryAfterMs?: number, status?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
    this.status = status;
  }
}

const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** What every message about an endpoint's failure says: where, and which model. */
export interface FaultContext {
  endpoint: string;
  model: string;
  /** The parameters molt added to the request (model_kwargs), which a 400 may name. */
  parameters: readonly string[];
}

// What OpenAI, Anthropic, vLLM, llama.cpp, Ollama, OpenRouter and Gemini say when the conversation is too long.
const CONTEXT_WINDOW = [
  /context_length_exceeded/i,
  /maximum context length/i,
  /context (length|window|size)[^.]*(exceed|too (long|large)|overflow)/i,
  /exceed(s|ed)? (the )?(available |max(imum)? )?context (length|window|size)/i,
  /prompt (is )?too long/i,
  /input token count[^.]*exceeds the maximum/i,
  /input (length|is too long)[^.]*context/i,
  /reduce the length of the (messages|prompt)/i,
];

const UNSUPPORTED = /unsupported|not supported|unrecognized|unknown|not permitted|not allowed|extra (fields|inputs)|invalid (param|argument)|does not support/i;

/**
 * What a failed request means: a Retryable fault, or a ModelError of one line that names the
 * endpoint and the model and says what to do (the failures that asking again cannot mend).
 */
export function classify(error: unknown, signal: AbortSignal | undefined, context: FaultContext): Error {
  const at = `${context.endpoint} (model ${context.model})`;
  if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return new ModelAborted("interrupted");
  if (error instanceof Retryable) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new Retryable("the request timed out");
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = rootCause(error);
    if (/bad port/i.test(cause)) return new ModelError(`cannot reach ${at}: its port is one that HTTP clients refuse to use ("bad port"); point --base-url at another port`);
    return new Retryable(/ECONNREFUSED/.test(cause) ? "connection refused: nothing answers there" : `could not reach it: ${cause}`);
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const detail = hideUrlSecrets(firstLine(error.message.replace(/^\d{3}\s+/, "")));
    const text = `${error.message} ${JSON.stringify(error.error ?? "")} ${error.code ?? ""}`;
    if (CONTEXT_WINDOW.some((pattern) => pattern.test(text)) && (status === undefined || status === 400 || status === 413 || status === 422 || status >= 500)) {
      return new ContextWindowExceeded(`the conversation no longer fits the context window of ${context.model} at ${context.endpoint}: ${detail}`, status);
    }
    if (status === 401) return new ModelError(`${at} refused the API key (HTTP 401); check OPENAI_API_KEY`, status);
    if (status === 403) return new ModelError(`${at} denied access (HTTP 403): ${detail}`, status);
    if (status === 404) return new ModelError(`${at} answered 404: no such model, or no /chat/completions there; check --model and --base-url: ${detail}`, status);
    if (status === 400 || status === 422) {
      const parameter = unsupportedParameter(error, text, context.parameters);
      if (parameter !== undefined) return new UnsupportedParameter(`${at} does not take the parameter "${parameter}" (HTTP ${status}): ${detail}`, parameter, status);
    }
    if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
      return new Retryable(status === undefined ? detail : `HTTP ${status}${detail ? `: ${detail}` : ""}`, retryAfterMs(error.headers), status);
    }
    return new ModelError(`${at} rejected the request (HTTP ${status}): ${detail}`, status);
  }
  // Anything else broke mid-stream: a reset connection, a torn event.
  return new Retryable(error instanceof Error ? firstLine(error.message) : String(error));
}

/** The parameter molt added that a 400 names as unsupported, if it names one. */
function unsupportedParameter(error: InstanceType<typeof OpenAI.APIError>, text: string, parameters: readonly string[]): string | undefined {
  if (typeof error.param === "string" && parameters.includes(error.param)) return error.param;
  if (!UNSUPPORTED.test(text)) return undefined;
  return parameters.find((parameter) => new RegExp(`(^|[^\\w])${parameter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^\\w]|$)`).test(text));
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get("retry-after-ms"));
  if (headers?.has("retry-after-ms") && Number.isFinite(ms)) return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(delay) ? Math.min(Math.max(delay, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function rootCause(error: Error): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const code = cause instanceof Error && "code" in cause && typeof cause.code === "string" ? `${cause.code} ` : "";
  // Node's fetch names the URL it refused, user and password included.
  return hideUrlSecrets(cause instanceof Error ? `${code}${firstLine(cause.message)}`.trim() : firstLine(error.message));
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}
