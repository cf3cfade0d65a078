import type { ActionFormat, ToolCall } from "./events.ts";

export const SUBMIT_MARKER = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";

export type ParsedAction = { ok: true; command: string } | { ok: false; reason: string };

// The closing fence starts a line, so an empty block ends at once instead of running on into the next one.
const BASH_BLOCK = /```bash[ \t]*\r?\n([\s\S]*?)^[ \t]*```/gm;

/** The one bash command of a reply, or why the reply has none it can run. */
export function parseAction(format: ActionFormat, content: string, toolCalls: ToolCall[]): ParsedAction {
  return format === "text" ? parseTextAction(content) : parseToolAction(toolCalls);
}

function parseTextAction(content: string): ParsedAction {
  const blocks = [...content.matchAll(BASH_BLOCK)].map((match) => (match[1] ?? "").replace(/\r\n/g, "\n"));
  if (blocks.length === 1) {
    const command = blocks[0]!.trim();
    if (command !== "") return { ok: true, command };
    return { ok: false, reason: "the ```bash block is empty" };
  }
  if (blocks.length === 0) return { ok: false, reason: "no ```bash block found" };
  return { ok: false, reason: `${blocks.length} \`\`\`bash blocks found; exactly one is allowed` };
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
