import type { EventOf } from "../../core/events/events.ts";
import { formatMs, oneLine } from "./format.ts";

/** The setup command in one line, as the printers, the live view and replay show it: `setup  $ CMD  → exit 0 · 1.2 s`. */
export function setupLine(setup: Pick<EventOf<"setup_finished">, "command" | "exitCode" | "ms" | "timedOut">, width = 100): string {
  const facts = [`exit ${setup.exitCode}`, formatMs(setup.ms)];
  if (setup.timedOut) facts.push("timed out");
  const verdict = `  → ${facts.join(" · ")}`;
  return `setup  $ ${oneLine(setup.command, Math.max(width - 9 - verdict.length, 20))}${verdict}`;
}
