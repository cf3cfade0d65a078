import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { formatCost, formatInput, formatMs, formatTokens } from "../format.ts";
import type { Theme } from "./theme.ts";
import type { RunView } from "./view-state.ts";

export interface StatusProps {
  view: RunView;
  theme: Theme;
  plain: boolean;
  now: number;
  /** What the run is doing in words: "thinking", "running", "paused", "waiting for you", ... */
  state: string;
  keys: string;
}

/** The run at a glance, below the live step: where, what, how far, how much, and which keys do what. */
export function StatusBar({ view, theme, plain, now, state, keys }: StatusProps): ReactElement {
  const stepLimit = view.stepLimit > 0 ? `/${view.stepLimit}` : "";
  const costLimit = view.costLimit > 0 ? ` of ${formatCost(view.costLimit)}` : "";
  const repo = view.repo.split("/").filter(Boolean).at(-1) ?? view.repo;
  const facts = [
    `Step ${view.step}${stepLimit}`,
    `${formatInput(view.promptTokens, view.cachedTokens)}, ${formatTokens(view.completionTokens)} out`,
    `${formatCost(view.cost)}${costLimit}`,
    formatMs(Math.max(0, now - view.startedAt)),
    state,
  ];
  const separator = plain ? ", " : " · ";
  return h(
    Box,
    { flexDirection: "column", marginTop: 1, ...(plain ? {} : { borderStyle: "single", borderColor: theme.accent, borderLeft: false, borderRight: false, borderBottom: false }) },
    h(Text, { wrap: "truncate-end" }, h(Text, { bold: true, color: theme.accent }, `molt ${repo}`), `${separator}${view.issueLine}`),
    h(Text, { wrap: "truncate-end", dimColor: theme.dim }, `${view.model}${separator}${view.sandbox}`),
    h(Text, { wrap: "wrap" }, facts.join(separator)),
    h(Text, { dimColor: theme.dim, wrap: "wrap" }, keys),
  );
}
