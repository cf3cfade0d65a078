import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { Stream } from "openai/streaming";
import { endpointName } from "./endpoint/endpoint-name.ts";
import { ModelAborted, ModelError, UnsupportedParameter } from "./endpoint/errors.ts";
import { classify, Retryable, type FaultContext } from "./endpoint/faults.ts";
import { RequestBody } from "./endpoint/request-body.ts";
import { usageOf } from "./endpoint/usage.ts";
import type { ToolCall, Usage } from "./events/events.ts";
import type { Message } from "./messages.ts";
import { costOf, type Price } from "./pricing.ts";
import type { ActionFormat, CacheControl } from "./run-spec.ts";

export interface ModelReply {
  content: string;
  toolCalls: ToolCall[];
  usage: Usage;
  cost: number;
  ms: number;
  /** Why the model stopped, as the endpoint said ("stop", "tool_calls", "length", …). */
  finishReason?: string | null;
  /** What a reasoning model thought before it replied (`reasoning_content` or `reasoning`). */
  reasoning?: string;
}

export interface RetryNotice {
  attempt: number;
  /** How many attempts there may be in all. */
  of: number;
  reason: string;
  delayMs: number;
  /** The parameter left out from now on, when the endpoint refused it (drop_params). */
  dropped?: string;
}

export interface CompletionHooks {
  signal?: AbortSignal | undefined;
  onDelta?(text: string, reasoning?: boolean): void;
  onRetry?(notice: RetryNotice): void;
  /** Each stream chunk as the endpoint sent it (molt doctor reads which fields an endpoint reports). */
  onChunk?(chunk: unknown): void;
}

/** Anything that answers the conversation so far with one assistant reply. */
export interface Model {
  readonly name: string;
  complete(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply>;
}

export interface OpenAIModelOptions {
  model: string;
  baseUrl?: string | undefined;
  apiKey: string;
  actionFormat: ActionFormat;
  price: Price;
  /** How many times a failed call is tried again before the run gives up. */
  retries: number;
  /** The first backoff delay; it doubles with every retry. */
  backoffMs?: number;
  requestTimeoutMs?: number;
  /** Fields sent with every request (the configuration's model.model_kwargs); with drop_params: true, one the endpoint refuses is dropped. */
  kwargs?: Record<string, unknown>;
  /** Headers sent with every request (--header), for providers that want more than the key. */
  headers?: Record<string, string>;
  cacheControl?: CacheControl;
}

const MAX_BACKOFF_MS = 30_000;

/** A streaming chat-completions client for any OpenAI-compatible endpoint, retrying transient faults. */
export class OpenAIModel implements Model {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #options: OpenAIModelOptions;
  readonly #body: RequestBody;
  readonly #dropParams: boolean;
  readonly #endpoint: string;

  constructor(options: OpenAIModelOptions) {
    this.name = options.model;
    this.#options = options;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      maxRetries: 0,
      timeout: options.requestTimeoutMs ?? 10 * 60_000,
      ...(options.headers ? { defaultHeaders: options.headers } : {}),
    });
    this.#body = new RequestBody(options.model, options.actionFormat, options.kwargs ?? {}, options.cacheControl ?? "none");
    this.#dropParams = options.kwargs?.drop_params === true;
    this.#endpoint = endpointName(options.baseUrl);
  }

  async complete(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    const backoffMs = this.#options.backoffMs ?? 500;
    const attempts = this.#options.retries + 1;
    let failures = 0;
    for (;;) {
      try {
        return await this.#stream(messages, hooks);
      } catch (error) {
        const fault = classify(error, hooks.signal, this.#context());
        if (fault instanceof UnsupportedParameter && this.#dropParams) {
          // As LiteLLM's drop_params: leave the parameter out from now on, and ask again at once (not counted as a retry).
          this.#body.drop(fault.parameter);
          hooks.onRetry?.({ attempt: failures + 1, of: attempts - 1, reason: `the endpoint does not take "${fault.parameter}": dropped it (drop_params)`, delayMs: 0, dropped: fault.parameter });
          continue;
        }
        if (fault instanceof UnsupportedParameter) throw new UnsupportedParameter(`${fault.message}; remove it from model_kwargs, or set model.model_kwargs.drop_params: true`, fault.parameter, fault.status);
        if (!(fault instanceof Retryable)) throw fault;
        failures++;
        if (failures >= attempts) {
          throw new ModelError(`${this.#endpoint} (model ${this.name}) kept failing: ${fault.message}; gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}`, fault.status);
        }
        const backoff = Math.min(backoffMs * 2 ** (failures - 1), MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
        const delayMs = Math.round(fault.retryAfterMs ?? backoff);
        hooks.onRetry?.({ attempt: failures, of: attempts - 1, reason: fault.message, delayMs });
        await sleep(delayMs, hooks.signal);
      }
    }
  }

  #context(): FaultContext {
    return { endpoint: this.#endpoint, model: this.name, parameters: this.#body.parameters };
  }

  async #stream(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    const started = performance.now();
    const stream = await this.#client.post<Stream<ChatCompletionChunk>>("/chat/completions", {
      body: this.#body.of(messages),
      headers: { "content-type": "application/json" },
      stream: true,
      signal: hooks.signal,
    });
    let content = "";
    let reasoning = "";
    let finishReason: string | null | undefined;
    let usage: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0 };
    const calls: { id: string; name: string; arguments: string }[] = [];
    for await (const chunk of stream) {
      hooks.onChunk?.(chunk);
      if (chunk.usage) usage = usageOf(chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) continue;
      const thought = reasoningOf(choice.delta);
      if (thought) {
        reasoning += thought;
        hooks.onDelta?.(thought, true);
      }
      const text = choice.delta?.content;
      if (text) {
        content += text;
        hooks.onDelta?.(text, false);
      }
      for (const delta of choice.delta?.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { id: "", name: "", arguments: "" });
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (finishReason === undefined) throw new Retryable("the reply stream ended before the reply was complete");
    // Arguments that are not JSON reach the agent as they are: a format error it is told about, as mini-SWE-agent does.
    const toolCalls = calls.filter(Boolean).map((call, index) => ({ ...call, id: call.id || `call_${index}` }));
    return {
      finishReason,
      content,
      toolCalls,
      usage,
      cost: costOf(this.#options.price, usage),
      ms: performance.now() - started,
      ...(reasoning ? { reasoning } : {}),
    };
  }
}

/** The thinking in a streamed delta: `reasoning_content` (DeepSeek, vLLM, LiteLLM) or `reasoning` (OpenRouter). */
function reasoningOf(delta: unknown): string {
  if (typeof delta !== "object" || delta === null) return "";
  const fields = delta as { reasoning_content?: unknown; reasoning?: unknown };
  const text = fields.reasoning_content ?? fields.reasoning;
  return typeof text === "string" ? text : "";
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
