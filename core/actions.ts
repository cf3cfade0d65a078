import type { ToolCall } from "./events/events.ts";
import type { ActionFormat } from "./run-spec.ts";

export const SUBMIT_MARKER = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";

export type ParsedAction = { ok: true; command: string } | { ok: false; reason: string };

// The closing fence starts a line, so an empty block ends at once instead of running on into the next one.
// mini-SWE-agent 2 tags its blocks ```mswea_bash_command, so that ```bash examples in a reply are not run.
const ACTION_BLOCK = /```(bash|mswea_bash_command)[ \t]*\r?\n([\s\S]*?)^[ \t]*```/gm;

/** The one bash command of a reply, or why the reply has none it can run. */
export function parseAction(format: ActionFormat, content: string, toolCalls: ToolCall[]): ParsedAction {
  return format === "text" ? parseTextAction(content) : parseToolAction(toolCalls);
}

function parseTextAction(content: string): ParsedAction {
  const found = [...content.matchAll(ACTION_BLOCK)].map((match) => ({ tag: match[1] ?? "bash", body: (match[2] ?? "").replace(/\r\n/g, "\n") }));
  // Where a reply holds ```mswea_bash_command blocks, those are its actions and its ```bash blocks are examples.
  const tag = found.some((block) => block.tag === "mswea_bash_command") ? "mswea_bash_command" : "bash";
  const blocks = found.filter((block) => block.tag === tag).map((block) => block.body);
  if (blocks.length === 1) {
    const command = blocks[0]!.trim();
    if (command !== "") return { ok: true, command };
    return { ok: false, reason: `the \`\`\`${tag} block is empty` };
  }
  if (blocks.length === 0) return { ok: false, reason: "no ```bash block found" };
  return { ok: false, reason: `${blocks.length} \`\`\`${tag} blocks found; exactly one is allowed` };
}

function parseToolAction(toolCalls: ToolCall[]): ParsedAction {
  if (toolCalls.length === 0) return { ok: false, reason: "no bash tool call found" };
  if (toolCalls.length > 1) return { ok: false, reason: `${toolCalls.length} tool calls found; exactly one is allowed` };
  const call = toolCalls[0]!;
  if (call.name !== "bash") return { ok: false, reason: `unknown tool "${call.name}"; the only tool is bash` };
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    return { ok: false, reason: "the bash tool call's arguments are not valid JSON" };
  }
  const command = typeof args === "object" && args !== null && "command" in args ? args.command : undefined;
  if (typeof command !== "string" || command.trim() === "") {
    return { ok: false, reason: 'the bash tool call needs a non-empty "command" string' };
  }
  return { ok: true, command };
}

/** mini-SWE-agent's rule: the output's first line is the marker and the command succeeded. */
export function isSubmission(exitCode: number, output: string): boolean {
  if (exitCode !== 0) return false;
  const firstLine = output.trimStart().split("\n", 1)[0] ?? "";
  return firstLine.trim() === SUBMIT_MARKER;
}
