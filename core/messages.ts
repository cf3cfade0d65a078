import type { ToolCall } from "./events/events.ts";

/** The chat messages of a run, in the shape OpenAI-compatible endpoints and mini-SWE-agent trajectories use. */

export interface AssistantToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type Message =
  | { role: "system"; content: string }
  /** `extra` is kept in the trajectory, never sent: a format error's holds the reply that was not kept, as mini-SWE-agent 2 keeps it. */
  | { role: "user"; content: string; extra?: Record<string, unknown> }
  /** `reasoning_content` is the trajectory's (what a reasoning model thought), never sent back. */
  | { role: "assistant"; content: string; tool_calls?: AssistantToolCall[]; reasoning_content?: string }
  | { role: "tool"; content: string; tool_call_id: string };

/** A format error's message: what the model is told, and (for the trajectory only) the reply it is about. */
export function formatErrorMessage(content: string, reply: { content: string; toolCalls: readonly ToolCall[]; finishReason?: string | null | undefined }): Message {
  const message = assistantMessage(reply.content, reply.toolCalls);
  return { role: "user", content, extra: { interrupt_type: "FormatError", response: { choices: [{ message, finish_reason: reply.finishReason ?? null }] } } };
}

/** The assistant message of a reply, with its tool calls in the wire shape. */
export function assistantMessage(content: string, toolCalls: readonly ToolCall[], reasoning?: string): Message {
  return {
    role: "assistant",
    content,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } })) } : {}),
    ...(reasoning ? { reasoning_content: reasoning } : {}),
  };
}
