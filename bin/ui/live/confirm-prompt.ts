import { Box, Text } from "ink";
import TextInput from "ink-text-input";
import { createElement as h, type ReactElement } from "react";
import { LinesInput } from "./lines-input.ts";
import type { Theme } from "./theme.ts";

export type ConfirmMode = "choose" | "reject" | "edit";

export interface ConfirmProps {
  command: string;
  mode: ConfirmMode;
  draft: string;
  theme: Theme;
  /** Screen-reader mode: no box around the prompt. */
  plain: boolean;
  onDraft(value: string): void;
  onSubmit(value: string): void;
}

/** `--confirm`: the command the agent wants to run, and what the user may do about it. */
export function ConfirmPrompt({ command, mode, draft, theme, plain, onDraft, onSubmit }: ConfirmProps): ReactElement {
  const body: ReactElement[] = [h(Text, { key: "command", color: theme.accent, bold: true }, `$ ${command}`)];
  if (mode === "choose") {
    body.push(h(Text, { key: "keys" }, h(Text, { bold: true }, "y"), " run it · ", h(Text, { bold: true }, "n"), " refuse it and tell the agent why · ", h(Text, { bold: true }, "e"), " edit it first"));
  } else if (mode === "edit" && command.includes("\n")) {
    // A command of several lines (a heredoc) is edited as lines.
    body.push(h(Text, { key: "label", color: theme.warn }, "Edit the command (Enter adds a line, Ctrl-D runs it, Esc goes back):"));
    body.push(h(LinesInput, { key: "input", value: draft, onChange: onDraft, onSubmit }));
  } else {
    const label = mode === "reject" ? "Tell the agent why (Enter sends, Esc goes back): " : "Edit the command (Enter runs it, Esc goes back): ";
    body.push(h(Box, { key: "input" }, h(Text, { color: theme.warn }, label), h(TextInput, { value: draft, onChange: onDraft, onSubmit })));
  }
  const frame = plain ? {} : { borderStyle: "round" as const, borderColor: theme.warn, paddingX: 1 };
  return h(Box, { flexDirection: "column", marginTop: 1, ...frame }, h(Text, { bold: true, color: theme.warn }, "The agent wants to run:"), ...body);
}
