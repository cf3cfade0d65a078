import type { EventSink } from "../../core/events/event-bus.ts";
import type { PreparedRun } from "../runtime/run.ts";
import { JsonPrinter } from "../ui/json-printer.ts";
import { PlainPrinter } from "../ui/plain-printer.ts";
import { isInteractive, type CommandIO } from "./io.ts";
import type { Display } from "./run-flags.ts";
import { onInterrupt } from "./signals.ts";
import { UsageError } from "./usage-error.ts";

export type ViewKind = "live" | "json" | "plain";

/** How a run will be shown: the live view on a terminal, else the printers (pipes, CI, --json, --plain). */
export function viewKindOf(display: Display, io: CommandIO): ViewKind {
  const terminal = isInteractive(io);
  if (display.confirm && !terminal) throw new UsageError("--confirm needs a terminal to ask on (standard input and output are not one)");
  if (display.json) return "json";
  return terminal && !display.plain ? "live" : "plain";
}

/**
 * Runs a prepared run in front of the user: the view or printer, Ctrl-C and SIGTERM as a clean
 * stop, then the notes and, when it did not submit, why. Returns the exit code: 0 when the agent
 * submitted, 1 otherwise.
 */
export async function presentRun(prepared: PreparedRun, display: Display, view: ViewKind, io: CommandIO): Promise<number> {
  const interrupt = new AbortController();
  const live =
    view === "live"
      ? new (await import("../ui/live/live-view.ts")).LiveView({
          stdout: io.stdout,
          stdin: process.stdin,
          theme: display.theme,
          screenReader: display.screenReader,
          confirm: display.confirm,
          onInterrupt: () => interrupt.abort(),
        })
      : undefined;
  const printer: EventSink = live ?? (view === "json" ? new JsonPrinter(io.stdout) : new PlainPrinter(io.stdout, io.stdout.columns));
  const stopHandling = onInterrupt(() => interrupt.abort());
  let outcome;
  try {
    outcome = await prepared.start({ sinks: [printer], gate: live?.gate, signal: interrupt.signal });
  } finally {
    stopHandling();
  }
  const notes = view === "json" ? io.stderr : io.stdout;
  for (const note of outcome.notes) notes.write(`${note}\n`);
  if (outcome.exitStatus === "Submitted") return 0;
  io.stderr.write(`molt: ${outcome.exitStatus}: ${outcome.reason}\n`);
  return 1;
}
