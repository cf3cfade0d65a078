import { Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { Theme } from "./theme.ts";

/** A unified diff as coloured lines: additions, removals, hunk headers; at most `limit` of them, then where the `rest` is. */
export function DiffLines({ patch, theme, limit, rest }: { patch: string; theme: Theme; limit: number; rest?: string }): ReactElement[] {
  const lines = patch.replace(/\n$/, "").split("\n");
  const shown = lines.slice(0, limit).map((line, index) => {
    const color = line.startsWith("+++") || line.startsWith("---") ? theme.accent : line.startsWith("+") ? theme.ok : line.startsWith("-") ? theme.bad : line.startsWith("@@") ? theme.tool : undefined;
    return h(Text, { key: `diff-${index}`, color, bold: line.startsWith("diff --git"), wrap: "truncate-end" }, line === "" ? " " : line);
  });
  if (lines.length > limit) shown.push(h(Text, { key: "diff-more", dimColor: theme.dim }, `… ${lines.length - limit} more lines${rest ? ` ${rest}` : ""}`));
  return shown;
}
