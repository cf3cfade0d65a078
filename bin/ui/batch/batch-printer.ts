import { formatCost, formatMs } from "../format.ts";
import type { InstanceSummary } from "../../runtime/batch/batch-files.ts";
import type { BatchProgress } from "../../runtime/batch/batch-progress.ts";

/** Plain lines for a batch: one when it starts, one per finished instance, and a table at the end. */
export function printBatchProgress(progress: BatchProgress, out: { write(text: string): unknown }): void {
  progress.on("batch_started", ({ total, skipped, toRun, workers }) => {
    const already = skipped > 0 ? `, ${skipped} already finished` : "";
    out.write(`batch    ${total} instances${already}: running ${toRun} on ${workers} worker${workers === 1 ? "" : "s"}\n`);
  });
  progress.on("instance_finished", ({ done, toRun, summary }) => {
    out.write(`[${done}/${toRun}] ${instanceLine(summary)}\n`);
  });
  progress.on("batch_finished", ({ instances, finished, unfinished }) => {
    if (instances.length > 0) out.write(`\n${summaryTable(instances)}`);
    out.write(`${finished} finished${unfinished > 0 ? `, ${unfinished} not (run the same command again to retry them)` : ""}\n`);
  });
}

function instanceLine(entry: InstanceSummary): string {
  const parts = [entry.instance_id, entry.exit_status, `${entry.steps} steps`, formatCost(entry.cost), formatMs(entry.ms)];
  if (entry.tools_created.length > 0) parts.push(`new tools: ${entry.tools_created.join(", ")}`);
  if (entry.kept_tools_used.length > 0) parts.push(`used kept: ${entry.kept_tools_used.join(", ")}`);
  if (entry.ignored_paths_in_patch.length > 0) parts.push(`ignored paths in patch: ${entry.ignored_paths_in_patch.join(", ")}`);
  if (entry.exit_status !== "Submitted" && entry.reason) parts.push(entry.reason);
  return parts.join("  ");
}

const HEADERS = ["instance", "status", "steps", "cost", "time", "new tools", "kept tools used"];
const RIGHT = new Set([2, 3, 4]);

export function summaryTable(instances: readonly InstanceSummary[]): string {
  const rows = [
    HEADERS,
    ...instances.map((entry) => [
      entry.instance_id,
      entry.exit_status,
      String(entry.steps),
      formatCost(entry.cost),
      formatMs(entry.ms),
      entry.tools_created.join(",") || "-",
      entry.kept_tools_used.join(",") || "-",
    ]),
  ];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (RIGHT.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd()).join("\n") + "\n";
}
