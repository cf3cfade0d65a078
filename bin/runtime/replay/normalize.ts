import { basename, dirname } from "node:path";
import type { EventOf } from "../../../core/events/events.ts";

const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIMES = [
  // ISO 8601 and `stat`: 2026-11-24 10:38:12.606358129 +0000
  /\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?(?:[+-]\d{2}:?\d{2}|Z))?/g,
  // `date` and git: Tue Nov 24 10:38:14 2026 +0000
  new RegExp(`\\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? )?${MONTH} {1,2}\\d{1,2} \\d{2}:\\d{2}:\\d{2}(?: \\d{4})?(?: [+-]\\d{4})?`, "g"),
  // `ls -l`: Nov 24 10:38
  new RegExp(`\\b${MONTH} {1,2}\\d{1,2} \\d{2}:\\d{2}\\b`, "g"),
];

/**
 * What differs between two runs of the same replies without anything having gone differently,
 * written the same way in both so that only real differences show:
 * - each run works in its own temporary workspace, beside which $MOLT_EVOLVED and the tool host's
 *   socket live, and writes its own run folder; those paths (and the workspace's folder's name,
 *   which `ls /tmp` shows in the sandbox) become placeholders;
 * - how long things took (molt's "loaded in 123 ms", a test runner's "passed in 0.42s");
 * - clock times: files of the workspace are as new as its checkout, and commands print the time.
 * Commits the agent makes differ in their hashes (they hold the time); that is left to show.
 */
export function normalizerFor(started: EventOf<"run_started"> | undefined): (text: string) => string {
  const container = started ? dirname(started.workspace) : undefined;
  const paths: [string, string][] =
    started && container
      ? [
          [started.workspace, "<workspace>"],
          [container, "<workspace>/.."],
          [started.outputDir, "<run folder>"],
          [basename(container), "<workspace folder>"],
        ]
      : [];
  return (text) => {
    let result = paths.reduce((done, [path, placeholder]) => done.replaceAll(path, placeholder), text);
    for (const time of TIMES) result = result.replace(time, "<time>");
    return result.replace(/\b\d+(?:\.\d+)? ?ms\b/g, "N ms").replace(/\b\d+\.\d+ ?s\b/g, "N s");
  };
}
