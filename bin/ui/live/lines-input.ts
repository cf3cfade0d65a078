import { Box, Text, useInput } from "ink";
import { createElement as h, useState, type ReactElement } from "react";

export interface LinesInputProps {
  value: string;
  onChange(value: string): void;
  /** Ctrl-D: the text is done. */
  onSubmit(value: string): void;
}

/**
 * A text of several lines to edit, as a heredoc is: Enter starts a new line, the arrows move
 * between lines, Ctrl-D is done. The cursor is drawn inverse.
 */
export function LinesInput({ value, onChange, onSubmit }: LinesInputProps): ReactElement {
  const [cursor, setCursor] = useState(value.length);
  const at = Math.min(cursor, value.length);
  const move = (to: number) => setCursor(Math.max(0, Math.min(to, value.length)));
  const edit = (next: string, to: number) => {
    onChange(next);
    setCursor(to);
  };

  useInput((input, key) => {
    if (key.ctrl && input === "d") return onSubmit(value);
    if (key.escape || key.tab || (key.ctrl && input !== "")) return;
    const lineStart = value.lastIndexOf("\n", at - 1) + 1;
    const column = at - lineStart;
    if (key.leftArrow) move(at - 1);
    else if (key.rightArrow) move(at + 1);
    else if (key.upArrow) {
      if (lineStart === 0) return;
      const previousStart = value.lastIndexOf("\n", lineStart - 2) + 1;
      move(previousStart + Math.min(column, lineStart - 1 - previousStart));
    } else if (key.downArrow) {
      const lineEnd = value.indexOf("\n", at);
      if (lineEnd < 0) return;
      const nextEnd = value.indexOf("\n", lineEnd + 1);
      move(lineEnd + 1 + Math.min(column, (nextEnd < 0 ? value.length : nextEnd) - lineEnd - 1));
    } else if (key.return) edit(`${value.slice(0, at)}\n${value.slice(at)}`, at + 1);
    else if (key.backspace || key.delete) {
      if (at > 0) edit(value.slice(0, at - 1) + value.slice(at), at - 1);
    } else if (input) {
      // A paste arrives as one input: its line ends as the terminal sends them.
      const typed = input.replace(/\r\n?/g, "\n");
      edit(value.slice(0, at) + typed + value.slice(at), at + typed.length);
    }
  });

  const lines = value.split("\n");
  let offset = 0;
  return h(
    Box,
    { flexDirection: "column" },
    ...lines.map((line, index) => {
      const start = offset;
      offset += line.length + 1;
      if (at < start || at > start + line.length) return h(Text, { key: index }, line === "" ? " " : line);
      const column = at - start;
      return h(Text, { key: index }, line.slice(0, column), h(Text, { inverse: true }, line[column] ?? " "), line.slice(column + 1));
    }),
  );
}
