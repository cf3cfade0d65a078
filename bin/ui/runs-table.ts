import { basename } from "node:path";
import type { RunSummary } from "../../core/record/run-summary.ts";
import { formatCost } from "./format.ts";

/** `molt runs` as a table that fits `width` columns: long cells are cut with "…", the issue first. */

interface Column {
  header: string;
  /** The narrowest it may be cut to. */
  min: number;
  align?: "right";
}

const COLUMNS: Column[] = [
  { header: "run", min: 10 },
  { header: "repo", min: 6 },
  { header: "issue", min: 8 },
  { header: "status", min: 9 },
  { header: "steps", min: 5, align: "right" },
  { header: "cost", min: 7, align: "right" },
  { header: "cached", min: 6, align: "right" },
  { header: "tools new/rej", min: 7, align: "right" },
  { header: "date", min: 16 },
];
/** Which columns give up room first when the table is too wide, and which are left out when that is not enough. */
const SHRINK_ORDER = ["issue", "repo", "status", "run"];
const DROP_ORDER = ["cached", "date", "repo"];
const GAP = "  ";

export function runsTable(runs: readonly RunSummary[], width: number): string {
  const rows = [COLUMNS.map((column) => column.header), ...runs.map(cellsOf)];
  const widths = COLUMNS.map((_, index) => Math.max(...rows.map((row) => row[index]!.length)));
  const shown = new Set(COLUMNS.map((_, index) => index));
  const excess = () => [...shown].reduce((sum, index) => sum + widths[index]!, 0) + GAP.length * (shown.size - 1) - width;
  for (const name of SHRINK_ORDER) {
    const index = COLUMNS.findIndex((column) => column.header === name);
    widths[index]! -= Math.min(Math.max(excess(), 0), Math.max(widths[index]! - COLUMNS[index]!.min, 0));
  }
  for (const name of DROP_ORDER) if (excess() > 0) shown.delete(COLUMNS.findIndex((column) => column.header === name));
  return (
    rows
      .map((row) =>
        [...shown]
          .map((index) => fit(row[index]!, widths[index]!, COLUMNS[index]!.align))
          .join(GAP)
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function cellsOf(run: RunSummary): string[] {
  const date = formatDate(run.startedAt);
  if ("problem" in run) return [run.runId, "", run.problem, "unreadable", "", "", "", "", date];
  return [
    run.runId,
    run.repo === "" ? "-" : basename(run.repo),
    run.issue,
    run.exitStatus ?? "running/interrupted",
    String(run.steps),
    formatCost(run.cost),
    run.cachedTokens > 0 && run.promptTokens > 0 ? `${Math.round((100 * run.cachedTokens) / run.promptTokens)}%` : "-",
    `${run.toolsCreated}/${run.toolsRejected}`,
    date,
  ];
}

function fit(cell: string, width: number, align?: "right"): string {
  const cut = cell.length > width ? `${cell.slice(0, Math.max(width - 1, 0))}…` : cell;
  return align === "right" ? cut.padStart(width) : cut.padEnd(width);
}

/** Local time, to the minute: when the run started. */
export function formatDate(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "-";
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}
