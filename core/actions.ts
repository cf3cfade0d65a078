import { pythonRegex } from "./config/configuration.ts";
import type { ToolCall } from "./events/events.ts";
import type { ActionFormat } from "./run-spec.ts";

export const SUBMIT_MARKER = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";

/** One command of a reply: a ```bash block, or one `bash` tool call (with its id). */
export interface Action {
  command: string;
  callId?: string;
}

/** A reply's commands, in order; or why it has none that can run (the words mini-SWE-agent uses). */
export type ParsedActions = { ok: true; actions: Action[] } | { ok: false; error: string; actions: string[]; hasToolCalls: boolean };

// The closing fence starts a line, so an empty block ends at once instead of running on into the next one.
// mini-SWE-agent 2 tags its blocks ```mswea_bash_command, so that ```bash examples in a reply are not run.
const ACTION_BLOCK = /```(bash|mswea_bash_command)[ \t]*\r?\n([\s\S]*?)^[ \t]*```/gm;

/**
 * The commands of a reply, as mini-SWE-agent 2 reads them. Tool calls: every `bash` call runs, in
 * order, and one that cannot be read rejects the whole reply. Text: exactly one block, found by the
 * configuration's `action_regex` (its first group is the command), or by molt's own rule.
 */
export function parseActions(format: ActionFormat, content: string, toolCalls: readonly ToolCall[], actionRegex?: string): ParsedActions {
  return format === "text" ? parseText(content, actionRegex) : parseToolCalls(toolCalls);
}

function parseText(content: string, actionRegex: string | undefined): ParsedActions {
  const commands = actionRegex === undefined ? blocksOf(content) : [...content.matchAll(new RegExp(pythonRegex(actionRegex), "gs"))].map((match) => (match[1] ?? match[0]).trim());
  if (commands.length === 1) return { ok: true, actions: [{ command: commands[0]! }] };
  return { ok: false, error: `Expected exactly 1 action, found ${commands.length}.`, actions: commands, hasToolCalls: false };
}

/** molt's own rule: ```bash blocks, or ```mswea_bash_command blocks where a reply has those (its ```bash blocks are then examples). */
function blocksOf(content: string): string[] {
  const found = [...content.matchAll(ACTION_BLOCK)].map((match) => ({ tag: match[1] ?? "bash", body: (match[2] ?? "").replace(/\r\n/g, "\n") }));
  const tag = found.some((block) => block.tag === "mswea_bash_command") ? "mswea_bash_command" : "bash";
  return found.filter((block) => block.tag === tag).map((block) => block.body.trim());
}

function parseToolCalls(toolCalls: readonly ToolCall[]): ParsedActions {
  if (toolCalls.length === 0) {
    return { ok: false, error: "No tool calls found in the response. Every response MUST include at least one tool call.", actions: [], hasToolCalls: false };
  }
  const actions: Action[] = [];
  for (const call of toolCalls) {
    let error = "";
    let args: unknown = {};
    try {
      args = JSON.parse(call.arguments);
    } catch (caught) {
      error = `Error parsing tool call arguments: ${caught instanceof Error ? caught.message : String(caught)}.`;
    }
    if (call.name !== "bash") error += `Unknown tool '${call.name}'.`;
    const command = typeof args === "object" && args !== null && !Array.isArray(args) && "command" in args ? args.command : undefined;
    if (command === undefined) error += "Missing 'command' argument in bash tool call.";
    else if (typeof command !== "string") error += "The 'command' argument of the bash tool call must be a string.";
    if (error) return { ok: false, error: error.trim(), actions: [], hasToolCalls: true };
    actions.push({ command: command as string, callId: call.id });
  }
  return { ok: true, actions };
}

/** mini-SWE-agent's rule: the output's first line is the marker and the command succeeded. */
export function isSubmission(exitCode: number, output: string): boolean {
  if (exitCode !== 0) return false;
  const firstLine = output.trimStart().split("\n", 1)[0] ?? "";
  return firstLine.trim() === SUBMIT_MARKER;
}

/** What a submission printed after the marker's line: mini-SWE-agent's submission. */
export function afterMarker(output: string): string {
  const start = output.trimStart();
  const newline = start.indexOf("\n");
  return newline < 0 ? "" : start.slice(newline + 1);
}
