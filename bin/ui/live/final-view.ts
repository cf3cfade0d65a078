import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { filesInPatch, formatCost, formatInput, formatMs, formatTokens } from "../format.ts";
import { DiffLines } from "./diff-lines.ts";
import type { Theme } from "./theme.ts";
import type { RunView } from "./view-state.ts";

/**
 * The end of a run: how it ended, what it cost, the patch in colour, and where the files are; the
 * patch is cut so that the whole view fits the terminal's `rows` and the status stays in sight.
 */
export function FinalView({ view, theme, rows, columns }: { view: RunView; theme: Theme; rows: number; columns: number }): ReactElement {
  const finished = view.finished!;
  const good = finished.exitStatus === "Submitted";
  const files = filesInPatch(finished.patch);
  const status = `${finished.exitStatus}${good ? "" : `: ${finished.reason}`}`;
  const totals = `${view.step} step${view.step === 1 ? "" : "s"} · ${formatInput(view.promptTokens, view.cachedTokens, "tokens in")}, ${formatTokens(view.completionTokens)} out · ${formatCost(view.cost)} · ${formatMs(finished.elapsedMs)} · ${view.toolsCreated} tool${view.toolsCreated === 1 ? "" : "s"} created`;
  const patchPath = `patch  ${finished.patchFile} (${files} file${files === 1 ? "" : "s"})`;
  const runPath = `run    ${view.outputDir}`;
  const height = (text: string) => Math.max(1, Math.ceil(text.length / Math.max(columns, 1)));
  // The margin, the texts around the patch, "q or Enter", the "… more lines" line and the cursor's line.
  const around = 1 + height(status) + height(totals) + height(patchPath) + height(runPath) + 1 + 1 + 1;
  return h(
    Box,
    { flexDirection: "column", marginTop: 1 },
    h(Text, { bold: true, color: good ? theme.ok : theme.bad }, status),
    h(Text, { wrap: "wrap" }, totals),
    ...(finished.patch.trim() === ""
      ? [h(Text, { key: "empty", dimColor: theme.dim }, "The patch is empty: the agent changed nothing.")]
      : DiffLines({ patch: finished.patch, theme, limit: Math.max(3, rows - around), rest: "in patch.diff" })),
    h(Text, { wrap: "wrap" }, patchPath),
    h(Text, { wrap: "wrap" }, runPath),
    h(Text, { dimColor: theme.dim }, "q or Enter: leave · t tools"),
  );
}
