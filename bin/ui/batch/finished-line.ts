import { styleText } from "node:util";
import type { Theme } from "../live/theme.ts";
import { formatCost, formatInput, formatMs } from "../format.ts";
import type { InstanceStatus, InstanceSummary } from "../../runtime/batch/batch-files.ts";

type Format = Parameters<typeof styleText>[0];

export function statusColor(status: InstanceStatus, theme: Theme): string | undefined {
  return status === "Submitted" ? theme.ok : status === "Interrupted" ? theme.warn : theme.bad;
}

/** A finished instance as one line for the scrollback: the count, a mark, the id, how it ended and what it took. */
export function finishedLine(entry: InstanceSummary, done: number, toRun: number, theme: Theme, plain: boolean): string {
  const good = entry.exit_status === "Submitted";
  const mark = plain ? "" : good ? "✓ " : "✗ ";
  const facts = [`${entry.steps} step${entry.steps === 1 ? "" : "s"}`, formatCost(entry.cost), formatMs(entry.ms)];
  if (entry.cached_tokens > 0) facts.push(formatInput(entry.prompt_tokens, entry.cached_tokens));
  if (entry.tools_created.length > 0) facts.push(`new tools: ${entry.tools_created.join(", ")}`);
  if (entry.kept_tools_used.length > 0) facts.push(`used kept: ${entry.kept_tools_used.join(", ")}`);
  if (entry.ignored_paths_in_patch.length > 0) facts.push(`ignored paths in patch: ${entry.ignored_paths_in_patch.join(", ")}`);
  if (entry.patch_notes.length > 0) facts.push(entry.patch_notes.join("; "));
  if (!good && entry.reason) facts.push(entry.reason);
  const color = statusColor(entry.exit_status, theme);
  const status = color ? styleText(color as Format, entry.exit_status, { validateStream: false }) : entry.exit_status;
  const count = theme.dim ? styleText("dim", `[${done}/${toRun}]`, { validateStream: false }) : `[${done}/${toRun}]`;
  return `${count} ${mark}${entry.instance_id}  ${status}  ${facts.join("  ")}`;
}
