import type { ChatCompletionTool } from "openai/resources/chat/completions";
import type { Message } from "../messages.ts";
import type { ActionFormat, CacheControl } from "../run-spec.ts";

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

/** What model_kwargs may hold that is not sent: drop_params is LiteLLM's own switch, and the rest molt sets itself. */
const NOT_SENT = new Set(["drop_params", "model", "messages", "stream", "stream_options", "tools"]);

/** Fields of a message that are the trajectory's, never the endpoint's. */
const NOT_SENT_FIELDS = new Set(["extra", "reasoning_content"]);

/**
 * The body of a streamed chat-completions request, assembled from pieces. The history only grows
 * and its messages never change, so each is serialized once: a request costs about the same at
 * message 2,000 as at message 20. With `default_end` cache control (Claude), the last message
 * carries the cache breakpoint, as mini-SWE-agent marks it; every earlier message is sent as it
 * was, so the history stays a pure prefix from request to request.
 */
export class RequestBody {
  readonly #model: string;
  readonly #tools: string;
  readonly #cacheControl: CacheControl;
  readonly #kwargs: Map<string, unknown>;
  readonly #serialized = new WeakMap<Message, string>();
  #start = "";

  constructor(model: string, actionFormat: ActionFormat, kwargs: Record<string, unknown>, cacheControl: CacheControl) {
    this.#model = model;
    this.#tools = actionFormat === "tools" ? `,"tools":${JSON.stringify([BASH_TOOL])}` : "";
    this.#cacheControl = cacheControl;
    this.#kwargs = new Map(Object.entries(kwargs).filter(([key]) => !NOT_SENT.has(key)));
    this.#rebuild();
  }

  /** The request parameters sent (from model_kwargs). */
  get parameters(): string[] {
    return [...this.#kwargs.keys()];
  }

  /** Stops sending a parameter the endpoint refused (with drop_params). */
  drop(parameter: string): void {
    this.#kwargs.delete(parameter);
    this.#rebuild();
  }

  of(messages: readonly Message[]): string {
    const last = messages.length - 1;
    const parts = messages.map((message, index) => (index === last && this.#cacheControl === "default_end" ? JSON.stringify(marked(sent(message))) : this.#plain(message)));
    return `${this.#start}${parts.join(",")}]}`;
  }

  #plain(message: Message): string {
    let json = this.#serialized.get(message);
    if (json === undefined) {
      json = JSON.stringify(sent(message));
      this.#serialized.set(message, json);
    }
    return json;
  }

  #rebuild(): void {
    const kwargs = [...this.#kwargs].map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`).join("");
    this.#start = `{"model":${JSON.stringify(this.#model)},"stream":true,"stream_options":{"include_usage":true}${this.#tools}${kwargs},"messages":[`;
  }
}

function sent(message: Message): Record<string, unknown> {
  return Object.fromEntries(Object.entries(message).filter(([key]) => !NOT_SENT_FIELDS.has(key)));
}

/** mini-SWE-agent's `default_end` breakpoint: on a tool message itself, else on its content as a text part. */
function marked(message: Record<string, unknown>): Record<string, unknown> {
  const ephemeral = { type: "ephemeral" };
  const text = typeof message.content === "string" ? message.content : "";
  if (message.role === "tool") return { ...message, content: [{ type: "text", text }], cache_control: ephemeral };
  return { ...message, content: [{ type: "text", text, cache_control: ephemeral }] };
}
