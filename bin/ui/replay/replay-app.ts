import { Box, Text, useApp, useInput, useWindowSize } from "ink";
import { createElement as h, useEffect, useMemo, useState, type ReactElement } from "react";
import type { MoltEvent } from "../../../core/events/events.ts";
import type { Theme } from "../live/theme.ts";
import { cutToWidth } from "../live/wrap-words.ts";
import { diffRows, endRows, rowsOf, stepRows, toolRows, type Row } from "./rows.ts";
import { summaryRows } from "./summary-rows.ts";
import { fullOutput, nextEvolution, type Timeline } from "./timeline.ts";

/** The repository's diff between two snapshots; absent when the record has none. */
export interface RepoDiffs {
  diff(from: string, to: string): Promise<string>;
}

export interface ReplayAppProps {
  timeline: Timeline;
  events: readonly MoltEvent[];
  theme: Theme;
  plain: boolean;
  repo: RepoDiffs | undefined;
  /** Why there is no repository diff, when there is none. */
  noRepoReason: string;
  startIndex: number;
}

type Panel = "step" | "output" | "tools" | "change" | "changes";

const TITLES: Record<Panel, string> = {
  step: "the step",
  output: "its full output",
  tools: "the tools at this step",
  change: "what this step changed in the repository",
  changes: "the repository's changes so far",
};

export const REPLAY_KEYS = "←/→ step · Home/End · n/N tool changes · o output · t tools · d/D repo diff · ↑/↓ scroll · q quit";

/** A recorded run, one step at a time, with the same pieces the live view draws. */
export function ReplayApp({ timeline, events, theme, plain, repo, noRepoReason, startIndex }: ReplayAppProps): ReactElement {
  const { exit } = useApp();
  const { columns, rows: height } = useWindowSize();
  const [index, setIndex] = useState(startIndex);
  const [panel, setPanel] = useState<Panel>("step");
  const [scroll, setScroll] = useState(0);
  const [selected, setSelected] = useState(0);
  const [diffs] = useState(() => new Map<string, string>());
  const [, setLoaded] = useState(0);
  const last = timeline.steps.length - 1;
  // The whole record is read once for the summary, not on every redraw of the last step.
  const summary = useMemo(() => summaryRows(events, theme, Math.max(columns, 20)), [events, theme, columns]);
  const step = timeline.steps[index];
  const width = Math.max(columns, 20);
  const bodyHeight = Math.max(height - 4, 3);

  const diffRange = (): [string, string] | undefined => {
    if (!repo || !step) return undefined;
    const from = panel === "change" ? (timeline.steps[index - 1]?.commit ?? timeline.baseCommit) : timeline.baseCommit;
    return [from, step.commit];
  };
  const range = panel === "change" || panel === "changes" ? diffRange() : undefined;
  const diffKey = range?.join("..");

  useEffect(() => {
    if (!range || !repo || diffKey === undefined || diffs.has(diffKey)) return;
    let live = true;
    repo
      .diff(range[0], range[1])
      .catch((error: unknown) => `! could not read the repository's diff: ${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)}`)
      .then((text) => {
        diffs.set(diffKey, text);
        if (live) setLoaded((count) => count + 1);
      });
    return () => {
      live = false;
    };
  }, [diffKey]);

  // Keys that arrive together (a held arrow key) are handled before the next render: every
  // update works from the latest state, not from the one this render saw.
  const move = (to: (from: number) => number | undefined) => {
    setIndex((from) => {
      const next = to(from);
      return next === undefined || next < 0 || next > last ? from : next;
    });
    setScroll(0);
  };
  const toggle = (next: Panel) => {
    setPanel((current) => (current === next ? "step" : next));
    setScroll(0);
  };
  const scrollBy = (lines: number) => setScroll((top) => Math.max(Math.min(top + lines, maxScroll), 0));

  const body: Row[] = bodyOf();
  const maxScroll = Math.max(body.length - bodyHeight, 0);

  useInput((input, key) => {
    if (input === "q" || (key.ctrl && input === "c")) exit();
    else if (key.rightArrow || input === "l") move((from) => from + 1);
    else if (key.leftArrow || input === "h") move((from) => from - 1);
    else if (key.home || input === "g") move(() => 0);
    else if (key.end || input === "G") move(() => last);
    else if (input === "n") move((from) => nextEvolution(timeline, from, 1));
    else if (input === "N") move((from) => nextEvolution(timeline, from, -1));
    else if (input === "o") toggle("output");
    else if (input === "t") toggle("tools");
    else if (input === "d") toggle("change");
    else if (input === "D") toggle("changes");
    else if (key.escape) toggle("step");
    else if (panel === "tools" && (key.upArrow || key.downArrow)) {
      const count = Math.max(step?.tools.length ?? 1, 1);
      setSelected((current) => (current + (key.upArrow ? -1 : 1) + count) % count);
    } else if (key.upArrow || input === "k") scrollBy(-1);
    else if (key.downArrow || input === "j") scrollBy(1);
    else if (key.pageUp || input === "b") scrollBy(-bodyHeight);
    else if (key.pageDown || input === " ") scrollBy(bodyHeight);
  });

  function bodyOf(): Row[] {
    if (!step) return [{ text: "The record holds no steps.", dim: theme.dim }, { text: "" }, ...endRows(timeline.run, theme, width)];
    switch (panel) {
      case "step": {
        const rows = stepRows(step.view, theme, plain, width, "o shows all of it");
        if (index === last) rows.push({ text: "" }, ...endRows(timeline.run, theme, width), { text: "" }, ...summary);
        return rows;
      }
      case "output":
        return [...step.view.earlier, step.view].flatMap((command, at) => [
          ...(at > 0 ? [{ text: "" }] : []),
          ...rowsOf(`$ ${command.command ?? "(no command)"}`, width, { color: theme.accent, bold: true }),
          ...rowsOf(command.output ? fullOutput(command) || "(no output)" : "(the command did not run)", width, {}, true),
        ]);
      case "tools":
        return toolRows(step.tools, Math.min(selected, Math.max(step.tools.length - 1, 0)), theme, plain, width);
      case "change":
      case "changes": {
        if (!repo) return rowsOf(noRepoReason, width, { dim: theme.dim });
        const text = diffKey === undefined ? undefined : diffs.get(diffKey);
        if (text === undefined) return [{ text: "reading the repository…", dim: theme.dim }];
        if (text.trim() === "") return [{ text: panel === "change" ? "This step changed no file." : "No changes yet: the repository is as it was at the start.", dim: theme.dim }];
        return text.startsWith("! ") ? rowsOf(text.slice(2), width, { color: theme.bad }) : diffRows(text, theme, width);
      }
    }
  }

  const top = Math.min(scroll, maxScroll);
  const shown = body.slice(top, top + bodyHeight);
  const where = body.length > bodyHeight ? ` · lines ${top + 1}-${top + shown.length} of ${body.length}` : "";
  const marker = step?.evolved ? (plain ? " · tools changed" : " · ⚙ tools changed") : "";
  const { run } = timeline;
  const title = cutToWidth(`molt replay · ${run.repo.split("/").filter(Boolean).at(-1) ?? "trajectory"}${run.issueLine ? ` · ${run.issueLine}` : ""}`, width);
  return h(
    Box,
    { flexDirection: "column", height: Math.max(height - 1, 5) },
    h(Text, { bold: true, color: theme.accent }, title),
    h(Text, { bold: true }, cutToWidth(`Step ${step?.step ?? 0}/${timeline.steps.at(-1)?.step ?? 0} · ${TITLES[panel]}${marker}${where}`, width)),
    h(
      Box,
      { flexDirection: "column", flexGrow: 1 },
      ...shown.map((row, at) => h(Text, { key: at, color: row.color, bold: row.bold ?? false, dimColor: row.dim ?? false, wrap: "truncate-end" }, row.text === "" ? " " : row.text)),
    ),
    h(Text, { dimColor: theme.dim, wrap: "truncate-end" }, REPLAY_KEYS),
  );
}
