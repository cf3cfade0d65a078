import type { ToolCall } from "./events/events.ts";

/** The chat messages of a run, in the shape OpenAI-compatible endpoints and mini-SWE-agent trajectories use. */

export interface AssistantToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type Message =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; tool_calls?: AssistantToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string };

/** The assistant message of a reply, with its tool calls in the wire shape. */
export function assistantMessage(content: string, toolCalls: readonly ToolCall[]): Message {
  if (toolCalls.length === 0) return { role: "assistant", content };
  return {
    role: "assistant",
    content,
    tool_calls: toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
  };
}
