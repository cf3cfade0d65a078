import { createTwoFilesPatch } from "diff";
import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { DiffLines } from "./diff-lines.ts";
import type { Theme } from "./theme.ts";
import type { ToolView } from "./view-state.ts";

export interface ToolsPanelProps {
  tools: ToolView[];
  selected: number;
  theme: Theme;
  plain: boolean;
}

const SOURCE_LINES = 12;

/** The tool library as it stands: every tool, and for the selected one its source and what its last version changed. */
export function ToolsPanel({ tools, selected, theme, plain }: ToolsPanelProps): ReactElement {
  if (tools.length === 0) {
    return h(Box, { flexDirection: "column", marginTop: 1 }, h(Text, { bold: true }, "Tools"), h(Text, { dimColor: theme.dim }, "No tools yet. t closes this panel."));
  }
  const rows = tools.map((tool, index) => {
    const pointer = index === selected ? (plain ? "> " : "▸ ") : "  ";
    const color = tool.status === "loaded" ? theme.ok : tool.status === "rejected" ? theme.bad : theme.warn;
    return h(
      Text,
      { key: tool.name, inverse: index === selected && !plain },
      `${pointer}${tool.name.padEnd(24)} v${String(tool.version).padEnd(4)}`,
      h(Text, { color }, tool.status.padEnd(9)),
      ` ${tool.calls} call${tool.calls === 1 ? "" : "s"}`,
    );
  });
  const tool = tools[Math.min(selected, tools.length - 1)]!;
  const sourceLines = tool.source.replace(/\n$/, "").split("\n");
  const source = sourceLines.slice(0, SOURCE_LINES).map((line, index) => h(Text, { key: `src-${index}`, wrap: "truncate-end" }, `${String(index + 1).padStart(3)} ${line}`));
  if (sourceLines.length > SOURCE_LINES) source.push(h(Text, { key: "src-more", dimColor: theme.dim }, `    … ${sourceLines.length - SOURCE_LINES} more lines`));
  const diff =
    tool.previous !== undefined
      ? DiffLines({ patch: createTwoFilesPatch(`${tool.name} (before)`, `${tool.name} v${tool.version}`, tool.previous, tool.source, "", "", { context: 1 }).split("\n").slice(1).join("\n"), theme, limit: 14 })
      : [h(Text, { key: "no-diff", dimColor: theme.dim }, "the first version: nothing to compare with")];
  return h(
    Box,
    { flexDirection: "column", marginTop: 1 },
    h(Text, { bold: true }, `Tools (${tools.length}) · ↑/↓ choose · t close`),
    ...rows,
    h(Text, { bold: true, color: theme.accent }, `${tool.name} v${tool.version}`),
    ...source,
    h(Text, { bold: true, color: theme.accent }, "Changes from the version before"),
    ...diff,
  );
}
