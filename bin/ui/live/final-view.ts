import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { filesInPatch, formatCost, formatInput, formatMs, formatTokens } from "../format.ts";
import { DiffLines } from "./diff-lines.ts";
import type { Theme } from "./theme.ts";
import type { RunView } from "./view-state.ts";

/** The end of a run: how it ended, what it cost, the patch in colour, and where the files are. */
export function FinalView({ view, theme, patchLines }: { view: RunView; theme: Theme; patchLines: number }): ReactElement {
  const finished = view.finished!;
  const good = finished.exitStatus === "Submitted";
  const files = filesInPatch(finished.patch);
  return h(
    Box,
    { flexDirection: "column", marginTop: 1 },
    h(Text, { bold: true, color: good ? theme.ok : theme.bad }, `${finished.exitStatus}${good ? "" : `: ${finished.reason}`}`),
    h(
      Text,
      { wrap: "wrap" },
      `${view.step} step${view.step === 1 ? "" : "s"} · ${formatInput(view.promptTokens, view.cachedTokens, "tokens in")}, ${formatTokens(view.completionTokens)} out · ${formatCost(view.cost)} · ${formatMs(finished.elapsedMs)} · ${view.toolsCreated} tool${view.toolsCreated === 1 ? "" : "s"} created`,
    ),
    ...(finished.patch.trim() === "" ? [h(Text, { key: "empty", dimColor: theme.dim }, "The patch is empty: the agent changed nothing.")] : DiffLines({ patch: finished.patch, theme, limit: patchLines })),
    h(Text, { wrap: "wrap" }, `patch  ${finished.patchFile} (${files} file${files === 1 ? "" : "s"})`),
    h(Text, { wrap: "wrap" }, `run    ${view.outputDir}`),
    h(Text, { dimColor: theme.dim }, "q or Enter: leave"),
  );
}
