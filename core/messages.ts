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
