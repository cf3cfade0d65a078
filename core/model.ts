import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import type { Stream } from "openai/streaming";
import type { ToolCall, Usage } from "./events/events.ts";
import type { ActionFormat } from "./run-spec.ts";
import type { Message } from "./messages.ts";
import { costOf, type Price } from "./pricing.ts";

export interface ModelReply {
  content: string;
  toolCalls: ToolCall[];
  usage: Usage;
  cost: number;
  ms: number;
  /** Why the model stopped, as the endpoint said ("stop", "tool_calls", "length", …). */
  finishReason?: string | null;
}

export interface RetryNotice {
  attempt: number;
  reason: string;
  delayMs: number;
}

export interface CompletionHooks {
  signal?: AbortSignal;
  onDelta?(text: string): void;
  onRetry?(notice: RetryNotice): void;
}

/** Anything that answers the conversation so far with one assistant reply. */
export interface Model {
  readonly name: string;
  complete(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply>;
}

/** The model could not answer; `message` is one line for the user. */
export class ModelError extends Error {
  override readonly name = "ModelError";
}

/** The run was interrupted while waiting for the model. */
export class ModelAborted extends Error {
  override readonly name = "ModelAborted";
}

/** The one tool, as mini-SWE-agent 2 declares it. */
export const BASH_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: "bash",
    description: "Execute a bash command",
    parameters: {
      type: "object",
      properties: { command: { type: "string", description: "The bash command to execute" } },
      required: ["command"],
    },
  },
};

export interface OpenAIModelOptions {
  model: string;
  baseUrl?: string;
  apiKey: string;
  actionFormat: ActionFormat;
  price: Price;
  /** How many times a failed call is tried again before the run gives up. */
  retries: number;
  /** The first backoff delay; it doubles with every retry. */
  backoffMs?: number;
  requestTimeoutMs?: number;
  /** Fields sent with every request (the configuration's model.model_kwargs). */
  kwargs?: Record<string, unknown>;
}

/** What model_kwargs may hold that molt does not send: drop_params is LiteLLM's own switch, and the rest molt sets itself. */
const NOT_SENT = new Set(["drop_params", "model", "messages", "stream", "stream_options", "tools"]);

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

const MAX_BACKOFF_MS = 30_000;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** A streaming chat-completions client for any OpenAI-compatible endpoint, retrying transient faults. */
export class OpenAIModel implements Model {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #options: OpenAIModelOptions;
  readonly #serialized = new WeakMap<Message, string>();
  readonly #bodyStart: string;

  constructor(options: OpenAIModelOptions) {
    this.name = options.model;
    this.#options = options;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      maxRetries: 0,
      timeout: options.requestTimeoutMs ?? 10 * 60_000,
    });
    const tools = options.actionFormat === "tools" ? `,"tools":${JSON.stringify([BASH_TOOL])}` : "";
    const kwargs = Object.entries(options.kwargs ?? {})
      .filter(([key]) => !NOT_SENT.has(key))
      .map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`)
      .join("");
    this.#bodyStart = `{"model":${JSON.stringify(options.model)},"stream":true,"stream_options":{"include_usage":true}${tools}${kwargs},"messages":[`;
  }

  async complete(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    const backoffMs = this.#options.backoffMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#stream(messages, hooks);
      } catch (error) {
        const fault = classify(error, hooks.signal);
        if (!(fault instanceof Retryable)) throw fault;
        if (attempt >= this.#options.retries) {
          throw new ModelError(`the model endpoint kept failing (${fault.message}); gave up after ${attempt + 1} attempts`);
        }
        const backoff = Math.min(backoffMs * 2 ** attempt, MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
        const delayMs = Math.round(fault.retryAfterMs ?? backoff);
        hooks.onRetry?.({ attempt: attempt + 1, reason: fault.message, delayMs });
        await sleep(delayMs, hooks.signal);
      }
    }
  }

  async #stream(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    const started = performance.now();
    const stream = await this.#client.post<Stream<ChatCompletionChunk>>("/chat/completions", {
      body: this.#body(messages),
      headers: { "content-type": "application/json" },
      stream: true,
      signal: hooks.signal,
    });
    let content = "";
    let finished = false;
    let finishReason: string | null = null;
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    const calls: { id: string; name: string; arguments: string }[] = [];
    for await (const chunk of stream) {
      if (chunk.usage) {
        usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
      }
      const choice = chunk.choices[0];
      if (!choice) continue;
      const text = choice.delta?.content;
      if (text) {
        content += text;
        hooks.onDelta?.(text);
      }
      for (const delta of choice.delta?.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { id: "", name: "", arguments: "" });
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
      }
      if (choice.finish_reason) {
        finished = true;
        finishReason = choice.finish_reason;
      }
    }
    if (!finished) throw new Retryable("the reply stream ended before the reply was complete");
    // Arguments that are not JSON reach the agent as they are: a format error it is told about, as mini-SWE-agent does.
    const toolCalls = calls.filter(Boolean).map((call, index) => ({ ...call, id: call.id || `call_${index}` }));
    return {
      finishReason,
      content,
      toolCalls,
      usage,
      cost: costOf(this.#options.price, usage.promptTokens, usage.completionTokens),
      ms: performance.now() - started,
    };
  }

  /**
   * The request body of `chat.completions.create`, assembled from pieces. The history only grows
   * and its messages never change, so each is serialized once: a request costs about the same at
   * message 2,000 as at message 20, where serializing the whole history anew would not.
   */
  #body(messages: readonly Message[]): string {
    const parts = messages.map((message) => {
      let json = this.#serialized.get(message);
      if (json === undefined) {
        // A message's `extra` is the trajectory's, never the endpoint's.
        json = JSON.stringify("extra" in message ? { ...message, extra: undefined } : message);
        this.#serialized.set(message, json);
      }
      return json;
    });
    return `${this.#bodyStart}${parts.join(",")}]}`;
  }
}

function classify(error: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return new ModelAborted("interrupted");
  if (error instanceof Retryable) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new Retryable("the request timed out");
  if (error instanceof OpenAI.APIConnectionError) return new Retryable(`could not reach the endpoint: ${rootCause(error)}`);
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const detail = firstLine(error.message);
    if (status === 401) return new ModelError("the model endpoint refused the API key (HTTP 401); check OPENAI_API_KEY");
    if (status === 403) return new ModelError(`the model endpoint denied access (HTTP 403): ${detail}`);
    if (status === 404) return new ModelError(`the model or endpoint was not found (HTTP 404); check --model and --base-url: ${detail}`);
    if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
      return new Retryable(status === undefined ? detail : `HTTP ${status}`, retryAfterMs(error.headers));
    }
    return new ModelError(`the model endpoint rejected the request (HTTP ${status}): ${detail}`);
  }
  // Anything else broke mid-stream: a reset connection, a torn event.
  return new Retryable(error instanceof Error ? firstLine(error.message) : String(error));
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
  return cause instanceof Error ? firstLine(cause.message) : firstLine(error.message);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ModelAborted("interrupted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ModelAborted("interrupted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
