import type { EvalReport, InstanceEval } from "../../core/eval/eval-report.ts";
import { oneLine } from "./format.ts";

const HEADERS = ["instance", "status", "F2P", "P2P", "reward", "reason"];
const RIGHT = new Set([2, 3, 4]);
const REASON_WIDTH = 70;

/** The evaluation as a table: one row an instance, then the totals. */
export function evalTable(report: EvalReport): string {
  const rows = [HEADERS, ...Object.entries(report.instances).map(([id, entry]) => rowOf(id, entry))];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => (RIGHT.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd());
  return `${table.join("\n")}\n\n${totals(report)}\n`;
}

function rowOf(id: string, entry: InstanceEval): string[] {
  const count = (list: { passed: string[]; failed: string[]; skipped: string[] } | undefined) =>
    list && list.passed.length + list.failed.length + list.skipped.length > 0 ? `${list.passed.length}/${list.passed.length + list.failed.length + list.skipped.length}` : "-";
  return [
    id,
    entry.status,
    count(entry.tests?.FAIL_TO_PASS),
    count(entry.tests?.PASS_TO_PASS),
    entry.reward === null ? "-" : entry.reward.toFixed(3),
    oneLine(entry.reason, REASON_WIDTH),
  ];
}

function totals(report: EvalReport): string {
  const submitted = report.submitted_instances;
  const share = submitted > 0 ? ` (${((100 * report.resolved_instances) / submitted).toFixed(1)}%)` : "";
  const parts = [
    `resolved ${report.resolved_instances} of ${submitted} submitted${share}`,
    `unresolved ${report.unresolved_instances}`,
    `error ${report.error_instances}`,
  ];
  if (report.empty_patch_instances > 0) parts.push(`empty patch ${report.empty_patch_instances}`);
  if (report.untested_ids.length > 0) parts.push(`untested ${report.untested_ids.length}`);
  if (report.incomplete_ids.length > 0) parts.push(`not evaluated ${report.incomplete_ids.length}`);
  if (report.mean_reward !== null) parts.push(`mean reward ${report.mean_reward.toFixed(3)}`);
  return parts.join(" · ");
}
