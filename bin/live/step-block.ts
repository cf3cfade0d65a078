import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { formatMs } from "../format.ts";
import type { Theme } from "./theme.ts";
import type { StepNote, StepView } from "./view-state.ts";

export interface StepProps {
  step: StepView;
  theme: Theme;
  /** Plain words instead of symbols, for screen readers. */
  plain: boolean;
  /** While the step is live: "thinking" or "running", and for how long. */
  live?: { phase: "thinking" | "running"; sinceMs: number; spinner: string };
}

const HEAD_LINES = 4;
const TAIL_LINES = 2;
const COMMAND_LINES = 6;

/** The first and last lines of an output, and how many lines lie between them. */
export function clipLines(text: string, head = HEAD_LINES, tail = TAIL_LINES): { head: string[]; hidden: number; tail: string[] } {
  const lines = text.replace(/\n$/, "").split("\n");
  if (text === "") return { head: [], hidden: 0, tail: [] };
  if (lines.length <= head + tail + 1) return { head: lines, hidden: 0, tail: [] };
  return { head: lines.slice(0, head), hidden: lines.length - head - tail, tail: lines.slice(-tail) };
}

function noteColor(note: StepNote, theme: Theme): string | undefined {
  if (note.kind === "tool-rejected" || note.kind === "format-error") return theme.bad;
  if (note.kind === "retry" || note.kind === "note") return theme.warn;
  return theme.tool;
}

function noteMark(note: StepNote, plain: boolean): string {
  if (plain) return note.kind.startsWith("tool") ? "tool:" : "note:";
  if (note.kind.startsWith("tool")) return "⚙";
  if (note.kind === "retry") return "↻";
  return "!";
}

/** One step of the transcript: the thought, the command, a clipped output, the verdict and the notes. */
export function StepBlock({ step, theme, plain, live }: StepProps): ReactElement {
  const children: ReactElement[] = [];
  const marker = plain ? `Step ${step.step}.` : `● ${step.step}`;
  const thought = step.thought.trim();
  if (thought !== "" || live?.phase === "thinking") {
    const suffix = live?.phase === "thinking" ? ` ${live.spinner}` : "";
    children.push(h(Text, { key: "thought", dimColor: theme.dim }, `${marker} ${thought}${suffix}`));
  } else {
    children.push(h(Text, { key: "thought", dimColor: theme.dim }, marker));
  }
  if (step.command !== undefined) {
    const lines = step.command.split("\n");
    const shown = lines.slice(0, COMMAND_LINES);
    if (lines.length > COMMAND_LINES) shown.push(`… ${lines.length - COMMAND_LINES} more lines`);
    children.push(
      h(Text, { key: "command", color: theme.accent, bold: true }, `${plain ? "Command: " : "  $ "}${shown.join("\n    ")}`),
    );
  }
  if (step.rejected !== undefined) {
    children.push(h(Text, { key: "rejected", color: theme.warn }, `  ${plain ? "Refused by you:" : "✋ refused by you:"} ${step.rejected || "(no reason given)"}`));
  }
  if (step.output) children.push(...outputLines(step, theme, plain));
  if (live?.phase === "running") {
    children.push(h(Text, { key: "running", color: theme.warn }, `  ${live.spinner} running · ${formatMs(live.sinceMs)}`));
  } else if (step.exitCode !== undefined) {
    const good = step.exitCode === 0 && !step.timedOut;
    const verdict = step.timedOut ? `timed out · exit ${step.exitCode}` : `exit ${step.exitCode}`;
    const mark = plain ? "Result:" : good ? "✓" : "✗";
    children.push(h(Text, { key: "verdict", color: good ? theme.ok : theme.bad }, `  ${mark} ${verdict} · ${formatMs(step.ms ?? 0)}`));
  }
  step.notes.forEach((note, index) => {
    children.push(h(Text, { key: `note-${index}`, color: noteColor(note, theme) }, `  ${noteMark(note, plain)} ${note.text}`));
  });
  return h(Box, { flexDirection: "column" }, ...children);
}

function outputLines(step: StepView, theme: Theme, plain: boolean): ReactElement[] {
  const output = step.output!;
  const full = output.elidedChars > 0 ? `${output.text}\n${output.tail}` : output.text;
  const clipped = clipLines(full);
  const lines: ReactElement[] = [];
  const indent = plain ? "" : "    ";
  clipped.head.forEach((line, index) => lines.push(h(Text, { key: `head-${index}`, wrap: "truncate-end" }, `${indent}${line}`)));
  if (clipped.hidden > 0 || output.elidedChars > 0) {
    const parts = [];
    if (clipped.hidden > 0) parts.push(`${clipped.hidden} more lines`);
    if (output.elidedChars > 0) parts.push(`${output.elidedChars.toLocaleString("en-US")} characters the agent did not see`);
    lines.push(h(Text, { key: "hidden", dimColor: theme.dim, italic: !plain }, `${indent}… ${parts.join(", ")} (all of it is in events.jsonl)`));
  }
  clipped.tail.forEach((line, index) => lines.push(h(Text, { key: `tail-${index}`, wrap: "truncate-end" }, `${indent}${line}`)));
  return lines;
}
