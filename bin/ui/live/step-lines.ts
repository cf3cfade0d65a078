import { formatMs, oneLine } from "../format.ts";
import type { Theme } from "./theme.ts";
import type { CommandView, StepNote, StepView } from "./view-state.ts";

/** What a line of the transcript is, which decides its colour. */
export type LineRole = "thought" | "reasoning" | "command" | "output" | "hint" | "ok" | "bad" | "warn" | "tool";

export interface StepLine {
  text: string;
  role: LineRole;
  /** Output lines are cut at the terminal's width instead of wrapping. */
  truncate?: boolean;
}

export interface LiveState {
  phase: "thinking" | "running";
  sinceMs: number;
  spinner: string;
  /** The tool molt is checking after the command wrote it. */
  checking?: string;
}

const HEAD_LINES = 4;
const TAIL_LINES = 2;
const COMMAND_LINES = 6;

/** The first and last lines of an output, and how many lines lie between them. */
export function clipLines(text: string, head = HEAD_LINES, tail = TAIL_LINES): { head: string[]; hidden: number; tail: string[] } {
  if (text === "") return { head: [], hidden: 0, tail: [] };
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines.length <= head + tail + 1) return { head: lines, hidden: 0, tail: [] };
  return { head: lines.slice(0, head), hidden: lines.length - head - tail, tail: lines.slice(-tail) };
}

function noteLine(note: StepNote, plain: boolean): StepLine {
  const role: LineRole = note.kind === "tool-rejected" || note.kind === "format-error" ? "bad" : note.kind === "retry" || note.kind === "note" ? "warn" : "tool";
  const mark = plain ? (note.kind.startsWith("tool") ? "tool:" : "note:") : note.kind.startsWith("tool") ? "⚙" : note.kind === "retry" ? "↻" : "!";
  return { text: `  ${mark} ${note.text}`, role };
}

/**
 * One step of the transcript as lines: the thought, the command, a clipped output, the verdict and
 * the notes. The live view draws them with ink; finished steps are printed from them as text.
 */
export function stepLines(step: StepView, plain: boolean, live?: LiveState, whereAll = "all of it is in events.jsonl"): StepLine[] {
  const lines: StepLine[] = [];
  const marker = plain ? `Step ${step.step}.` : `● ${step.step}`;
  const spin = live?.phase === "thinking" ? ` ${live.spinner}` : "";
  const thought = step.thought.trim();
  const reasoning = step.reasoning?.trim() ?? "";
  if (reasoning !== "") {
    // A reasoning model's thinking comes first, apart from its reply, clipped as an output is.
    lines.push({ text: `${marker} ${plain ? "Thinking:" : "thinking"}${thought === "" ? spin : ""}`, role: "reasoning" });
    const clipped = clipLines(reasoning);
    const indent = plain ? "" : "    ";
    lines.push(...clipped.head.map((line): StepLine => ({ text: `${indent}${line}`, role: "reasoning", truncate: true })));
    if (clipped.hidden > 0) lines.push({ text: `${indent}… ${clipped.hidden} more lines of thinking (${whereAll})`, role: "hint" });
    lines.push(...clipped.tail.map((line): StepLine => ({ text: `${indent}${line}`, role: "reasoning", truncate: true })));
    if (thought !== "") lines.push({ text: `  ${thought}${spin}`, role: "thought" });
  } else {
    lines.push({ text: `${marker}${thought === "" ? "" : ` ${thought}`}${spin}`, role: "thought" });
  }
  for (const command of step.earlier) lines.push(...commandLines(command, plain, whereAll, undefined));
  lines.push(...commandLines(step, plain, whereAll, live));
  for (const note of step.notes) lines.push(noteLine(note, plain));
  return lines;
}

/** A command of a step: the command, its clipped output, and its verdict (or how long it has been running). */
function commandLines(command: CommandView, plain: boolean, whereAll: string, live: LiveState | undefined): StepLine[] {
  const lines: StepLine[] = [];
  if (command.command !== undefined) {
    const commandText = command.command.split("\n");
    const shown = commandText.slice(0, COMMAND_LINES);
    if (commandText.length > COMMAND_LINES) shown.push(`… ${commandText.length - COMMAND_LINES} more lines`);
    lines.push({ text: `${plain ? "Command: " : "  $ "}${shown.join("\n    ")}`, role: "command" });
  }
  if (command.proposed !== undefined) lines.push({ text: `  ${plain ? "Edited by you; the agent proposed:" : "✎ edited by you; the agent proposed:"} ${oneLine(command.proposed, 200)}`, role: "warn", truncate: true });
  if (command.rejected !== undefined) lines.push({ text: `  ${plain ? "Refused by you:" : "✋ refused by you:"} ${command.rejected || "(no reason given)"}`, role: "warn" });
  if (command.output) lines.push(...outputLines(command, plain, whereAll));
  if (live?.phase === "running") lines.push({ text: `  ${live.spinner} ${live.checking ? `checking the tool ${live.checking}` : "running"} · ${formatMs(live.sinceMs)}`, role: "warn" });
  else if (command.exitCode !== undefined) {
    const good = command.exitCode === 0 && !command.timedOut;
    const verdict = command.timedOut ? `timed out · exit ${command.exitCode}` : `exit ${command.exitCode}`;
    lines.push({ text: `  ${plain ? "Result:" : good ? "✓" : "✗"} ${verdict} · ${formatMs(command.ms ?? 0)}`, role: good ? "ok" : "bad" });
  }
  return lines;
}

function outputLines(step: CommandView, plain: boolean, whereAll: string): StepLine[] {
  const output = step.output!;
  const clipped = clipLines(output.elidedChars > 0 ? `${output.text}\n${output.tail}` : output.text);
  const indent = plain ? "" : "    ";
  const lines: StepLine[] = clipped.head.map((line) => ({ text: `${indent}${line}`, role: "output", truncate: true }));
  if (clipped.hidden > 0 || output.elidedChars > 0) {
    const parts = [];
    if (clipped.hidden > 0) parts.push(`${clipped.hidden} more lines`);
    if (output.elidedChars > 0) parts.push(`${output.elidedChars.toLocaleString("en-US")} characters the agent did not see`);
    lines.push({ text: `${indent}… ${parts.join(", ")} (${whereAll})`, role: "hint" });
  }
  lines.push(...clipped.tail.map((line): StepLine => ({ text: `${indent}${line}`, role: "output", truncate: true })));
  return lines;
}

/** Whether a role is drawn dim (when the theme dims): the secondary lines, never the agent's reply. */
export function isDim(role: LineRole): boolean {
  return role === "reasoning" || role === "hint";
}

/** The colour a role has in a theme. */
export function colorOf(role: LineRole, theme: Theme): string | undefined {
  switch (role) {
    case "command":
      return theme.accent;
    case "ok":
      return theme.ok;
    case "bad":
      return theme.bad;
    case "warn":
      return theme.warn;
    case "tool":
      return theme.tool;
    case "reasoning":
      return undefined;
    default:
      return undefined;
  }
}
