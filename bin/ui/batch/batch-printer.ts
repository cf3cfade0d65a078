import type { EventSink } from "../../../core/events/event-bus.ts";
import type { BatchEvent } from "../../runtime/batch/batch-events.ts";
import type { InstanceSummary } from "../../runtime/batch/batch-files.ts";
import { batchLeftovers, formatCost, formatInput, formatMs } from "../format.ts";

/** Plain lines for a batch: one when it starts, one per finished instance, and a table at the end. */
export class BatchPrinter implements EventSink<BatchEvent> {
  readonly #out: { write(text: string): unknown };

  constructor(out: { write(text: string): unknown }) {
    this.#out = out;
  }

  onEvent(event: BatchEvent): void {
    const out = this.#out;
    if (event.type === "batch_started") {
      const { total, skipped, toRun, workers } = event;
      const already = skipped > 0 ? `, ${skipped} already finished` : "";
      out.write(`batch    ${total} instances${already}: running ${toRun} on ${workers} worker${workers === 1 ? "" : "s"}\n`);
    } else if (event.type === "instance_finished") {
      out.write(`[${event.done}/${event.toRun}] ${instanceLine(event.summary)}\n`);
    } else if (event.type === "batch_finished") {
      if (event.instances.length > 0) out.write(`\n${summaryTable(event.instances)}`);
      out.write(`${[`${event.finished} finished`, ...batchLeftovers(event)].join(", ")}\n`);
    }
  }
}

function instanceLine(entry: InstanceSummary): string {
  const parts = [entry.instance_id, entry.exit_status, `${entry.steps} steps`, formatCost(entry.cost), formatMs(entry.ms)];
  if (entry.cached_tokens > 0) parts.push(formatInput(entry.prompt_tokens, entry.cached_tokens));
  if (entry.tools_created.length > 0) parts.push(`new tools: ${entry.tools_created.join(", ")}`);
  if (entry.kept_tools_used.length > 0) parts.push(`used kept: ${entry.kept_tools_used.join(", ")}`);
  if (entry.ignored_paths_in_patch.length > 0) parts.push(`ignored paths in patch: ${entry.ignored_paths_in_patch.join(", ")}`);
  if (entry.patch_notes.length > 0) parts.push(entry.patch_notes.join("; "));
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
