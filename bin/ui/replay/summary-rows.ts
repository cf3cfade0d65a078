import type { MoltEvent } from "../../../core/events/events.ts";
import { evolutionSummary } from "../../../core/record/evolution-summary.ts";
import type { RunRecord } from "../../../core/record/record.ts";
import { formatMs } from "../format.ts";
import { setupLine } from "../setup-line.ts";
import type { Theme } from "../live/theme.ts";
import { rowsOf, type Row } from "./rows.ts";
import type { Timeline } from "./timeline.ts";

/** What the record is: which run, where, with what, and the library it started from. */
export function headerRows(record: RunRecord, timeline: Timeline, theme: Theme, columns: number): Row[] {
  const { run } = timeline;
  const started = record.events.find((event) => event.type === "run_started");
  const from = record.kind === "mini-swe-agent" ? `a mini-SWE-agent trajectory (${record.file})` : `run ${run.runId}`;
  const rows = rowsOf(`molt replay · ${from}`, columns, { color: theme.accent, bold: true });
  if (run.repo !== "") rows.push(...rowsOf(`repo   ${run.repo}${started?.type === "run_started" ? ` @ ${started.spec.base.slice(0, 10)}` : ""}`, columns));
  if (run.issueLine !== "") rows.push(...rowsOf(`issue  ${run.issueLine}`, columns));
  if (run.model !== "") rows.push(...rowsOf(`model  ${run.model}${run.sandbox === "" ? "" : ` · ${run.sandbox}`}`, columns));
  if (run.setup) rows.push(...rowsOf(setupLine(run.setup, columns), columns));
  const tools = timeline.initialTools;
  if (record.kind === "molt") rows.push(...rowsOf(`tools  ${tools.length === 0 ? "none at the start" : `${tools.length} at the start: ${tools.map((tool) => `${tool.name} v${tool.version}`).join(", ")}`}`, columns));
  rows.push(...rowsOf(`steps  ${timeline.steps.length}`, columns));
  return rows;
}

/** The run's self-evolution in numbers, the analysis the Live-SWE-agent paper makes. */
export function summaryRows(events: readonly MoltEvent[], theme: Theme, columns: number): Row[] {
  const summary = evolutionSummary(events);
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const times = (label: string, ms: { p50: number; max: number } | undefined) => (ms ? `${label} p50 ${formatMs(ms.p50)}, max ${formatMs(ms.max)}` : `${label} none`);
  const rejected = Object.entries(summary.rejected)
    .filter(([, count]) => count > 0)
    .map(([stage, count]) => `${count} at ${stage}`);
  const rows: Row[] = [
    ...rowsOf("Evolution", columns, { color: theme.accent, bold: true }),
    ...rowsOf(
      `${summary.toolVersionsWritten} tool version${summary.toolVersionsWritten === 1 ? "" : "s"} written · ${summary.accepted} accepted · ${summary.rejectedTotal} rejected${rejected.length > 0 ? ` (${rejected.join(", ")})` : ""} · ${summary.toolsCreated} new tool${summary.toolsCreated === 1 ? "" : "s"}`,
      columns,
    ),
    ...rowsOf(`${summary.toolCalls} tool call${summary.toolCalls === 1 ? "" : "s"} · ${summary.stepsWithToolCall} of ${summary.steps} steps used an evolved tool (${percent(summary.shareOfStepsUsingTools)})`, columns),
    ...rowsOf(`${times("validation", summary.validationMs)} · ${times("load", summary.loadMs)}`, columns),
  ];
  for (const tool of summary.perTool) rows.push(...rowsOf(`  ${tool.name.padEnd(24)} ${tool.versions} version${tool.versions === 1 ? "" : "s"} · ${tool.calls} call${tool.calls === 1 ? "" : "s"}`, columns));
  return rows;
}
