import { styleText } from "node:util";
import { createTwoFilesPatch } from "diff";
import { filesInPatch, formatCost, formatMs, formatTokens } from "../format.ts";
import { colorOf, isDim, stepLines } from "../live/step-lines.ts";
import type { Theme } from "../live/theme.ts";
import type { RunView, StepView, ToolView } from "../live/view-state.ts";
import { cutToWidth, wrapAtWords } from "../live/wrap-words.ts";

/** One line of the screen, already fitted to its width. */
export interface Row {
  text: string;
  color?: string | undefined;
  bold?: boolean;
  dim?: boolean;
}

type Style = Omit<Row, "text">;

/** Text as rows: wrapped at words, or cut when `cut` (output, code, diffs keep their lines). */
export function rowsOf(text: string, columns: number, style: Style = {}, cut = false): Row[] {
  const lines = cut ? text.split("\n").map((line) => cutToWidth(line, columns)) : wrapAtWords(text, columns).split("\n");
  return lines.map((line) => ({ ...style, text: line }));
}

/** A step as the transcript shows it: thought, command, clipped output, verdict and notes; `whereAll` says where the rest of the output is. */
export function stepRows(step: StepView, theme: Theme, plain: boolean, columns: number, whereAll?: string): Row[] {
  return stepLines(step, plain, undefined, whereAll).flatMap((line) =>
    rowsOf(line.text, columns, { color: colorOf(line.role, theme), bold: line.role === "command", dim: theme.dim && isDim(line.role) }, line.truncate),
  );
}

/** A unified diff, coloured by line. */
export function diffRows(patch: string, theme: Theme, columns: number): Row[] {
  if (patch.trim() === "") return [];
  return patch
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => {
      const color = line.startsWith("+++") || line.startsWith("---") ? theme.accent : line.startsWith("+") ? theme.ok : line.startsWith("-") ? theme.bad : line.startsWith("@@") ? theme.tool : undefined;
      return { text: cutToWidth(line, columns), color, bold: line.startsWith("diff --git") };
    });
}

/** The library as it stood, and the selected tool's source and its diff to the version before. */
export function toolRows(tools: readonly ToolView[], selected: number, theme: Theme, plain: boolean, columns: number): Row[] {
  if (tools.length === 0) return [{ text: "No tools in the library at this step.", dim: theme.dim }];
  const rows: Row[] = tools.map((tool, index) => ({
    text: cutToWidth(`${index === selected ? (plain ? "> " : "▸ ") : "  "}${tool.name.padEnd(24)} v${String(tool.version).padEnd(4)} ${tool.status.padEnd(9)} ${tool.calls} call${tool.calls === 1 ? "" : "s"}`, columns),
    color: tool.status === "loaded" ? theme.ok : tool.status === "rejected" ? theme.bad : theme.warn,
    bold: index === selected,
  }));
  const tool = tools[Math.min(selected, tools.length - 1)]!;
  rows.push({ text: "" }, { text: `${tool.name} v${tool.version}`, color: theme.accent, bold: true });
  const source = tool.source.replace(/\n$/, "").split("\n");
  rows.push(...source.map((line, index) => ({ text: cutToWidth(`${String(index + 1).padStart(3)} ${line}`, columns) })));
  rows.push({ text: "" }, { text: "Changes from the version before", color: theme.accent, bold: true });
  if (tool.previous === undefined) rows.push({ text: "the first version: nothing to compare with", dim: theme.dim });
  else {
    const patch = createTwoFilesPatch(`${tool.name} (before)`, `${tool.name} v${tool.version}`, tool.previous, tool.source, "", "", { context: 2 });
    rows.push(...diffRows(patch.split("\n").slice(1).join("\n"), theme, columns));
  }
  return rows;
}

/** How the run ended: status, totals, and the patch. */
export function endRows(run: RunView, theme: Theme, columns: number): Row[] {
  const finished = run.finished;
  if (!finished) return rowsOf("The record ends here, without an end: the run was killed or is still going.", columns, { color: theme.warn });
  const good = finished.exitStatus === "Submitted";
  const files = filesInPatch(finished.patch);
  return [
    ...rowsOf(`${finished.exitStatus}${good || finished.reason === "" ? "" : `: ${finished.reason}`}`, columns, { color: good ? theme.ok : theme.bad, bold: true }),
    ...rowsOf(
      `${run.step} step${run.step === 1 ? "" : "s"} · ${formatTokens(run.promptTokens)} tokens in, ${formatTokens(run.completionTokens)} out · ${formatCost(run.cost)} · ${formatMs(finished.elapsedMs)} · ${run.toolsCreated} tool${run.toolsCreated === 1 ? "" : "s"} created`,
      columns,
    ),
    ...(files === 0 ? [{ text: "The patch is empty: the agent changed nothing.", dim: theme.dim }] : [{ text: `The patch (${files} file${files === 1 ? "" : "s"}):` }, ...diffRows(finished.patch, theme, columns)]),
  ];
}

type Format = Parameters<typeof styleText>[0];

/** Rows as terminal text; colours only when `colour`. */
export function rowsText(rows: readonly Row[], colour: boolean): string {
  return rows
    .map((row) => {
      if (!colour) return row.text;
      const formats: string[] = [];
      if (row.color) formats.push(row.color);
      if (row.bold) formats.push("bold");
      if (row.dim) formats.push("dim");
      return formats.length > 0 && row.text !== "" ? styleText(formats as Format, row.text, { validateStream: false }) : row.text;
    })
    .join("\n");
}
