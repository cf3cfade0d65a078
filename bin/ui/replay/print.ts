import type { RunRecord } from "../../../core/record/record.ts";
import { themeFor } from "../live/theme.ts";
import { headerRows, summaryRows } from "./summary-rows.ts";
import { endRows, rowsText, stepRows, type Row } from "./rows.ts";
import { buildTimeline } from "./timeline.ts";

export interface PrintOptions {
  columns: number;
  colour: boolean;
}

/** `molt replay RUN --print`: the whole timeline as text, step by step, then the end and the evolution summary. */
export function printReplay(record: RunRecord, out: NodeJS.WritableStream, options: PrintOptions): void {
  const theme = themeFor("dark", options.colour ? process.env : { NO_COLOR: "1" });
  const timeline = buildTimeline(record.events);
  const { columns } = options;
  const write = (rows: Row[]) => out.write(`${rowsText(rows, options.colour)}\n`);
  write(headerRows(record, timeline, theme, columns));
  // Written a step at a time: a long run's text is never held whole.
  for (const step of timeline.steps) write([{ text: "" }, ...stepRows(step.view, theme, false, columns)]);
  write([{ text: "" }, ...endRows(timeline.run, theme, columns)]);
  write([{ text: "" }, ...summaryRows(record.events, theme, columns)]);
}
