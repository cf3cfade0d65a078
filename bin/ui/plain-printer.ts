import type { EventSink } from "../../core/events/event-bus.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { shellQuote } from "../../sandbox/shell-quote.ts";
import { filesInPatch, formatCost, formatInput, formatMs, formatRetry, formatTokens, oneLine } from "./format.ts";
import { setupLine } from "./setup-line.ts";

/** One readable line per step, for terminals without the live view and for logs. */
export class PlainPrinter implements EventSink {
  readonly #out: NodeJS.WritableStream;
  readonly #width: number;
  #command = "";
  /** Tool lines of the step in progress: they are printed under its command line. */
  #toolLines: string[] = [];

  constructor(out: NodeJS.WritableStream, width = 100) {
    this.#out = out;
    this.#width = Math.max(width, 40);
  }

  onEvent(event: MoltEvent): void {
    const toolLine = describeTool(event);
    if (toolLine !== undefined && "step" in event && event.step > 0) {
      this.#toolLines.push(this.#fit(`${pad(event.step)}  ${toolLine}`));
      return;
    }
    const line = toolLine !== undefined ? this.#fit(`${pad(0)}  ${toolLine}`) : this.#describe(event);
    if (line !== undefined) this.#out.write(line + "\n");
    if (event.type === "command_finished" || event.type === "run_finished") this.#flushTools();
  }

  #fit(line: string): string {
    return line.length > this.#width ? `${line.slice(0, this.#width - 1)}…` : line;
  }

  #flushTools(): void {
    if (this.#toolLines.length > 0) this.#out.write(this.#toolLines.join("\n") + "\n");
    this.#toolLines = [];
  }

  #describe(event: MoltEvent): string | undefined {
    switch (event.type) {
      case "run_started":
        return this.#started(event);
      case "run_resumed":
        return `molt · resuming the run after step ${event.afterStep}, with ${event.model}\n`;
      case "tool_library":
        return `  tools    ${event.fresh ? "a fresh, empty library" : `${event.tools.length} in the library ${event.dir}`}\n`;
      case "model_retry":
        return `${pad(event.step)}  ↻ ${formatRetry(event, event.delayMs)}`;
      case "format_error":
        return `${pad(event.step)}  ! format error: ${event.reason} (${event.inARow} in a row)`;
      case "setup_finished":
        return setupLine(event, this.#width);
      case "command_started":
        this.#command = event.command;
        return undefined;
      case "command_finished":
        return this.#finishedCommand(event);
      case "run_finished":
        return this.#finished(event);
      default:
        return undefined;
    }
  }

  #started(event: EventOf<"run_started">): string {
    const { spec } = event;
    return [
      `molt ${event.moltVersion} · run ${event.runId}`,
      `  repo     ${spec.repo} @ ${spec.base.slice(0, 10)}`,
      `  model    ${spec.model.name}${spec.model.baseUrl ? ` at ${spec.model.baseUrl}` : ""} · ${spec.model.actionFormat} actions`,
      `  limits   ${spec.limits.stepLimit || "no"} steps · ${spec.limits.costLimit ? formatCost(spec.limits.costLimit) : "no cost limit"} · ${spec.limits.commandTimeoutSec} s per command`,
      `  sandbox  ${event.sandbox}`,
      `  output   ${event.outputDir}`,
    ].join("\n");
  }

  #finishedCommand(event: EventOf<"command_finished">): string {
    const facts = [`exit ${event.exitCode}`, formatMs(event.ms)];
    if (event.timedOut) facts.push("timed out");
    if (event.elidedChars > 0) facts.push(`${event.elidedChars.toLocaleString("en-US")} chars of output elided`);
    const room = this.#width - 12 - facts.join(" · ").length;
    return `${pad(event.step)}  $ ${oneLine(this.#command, Math.max(room, 20))}  → ${facts.join(" · ")}`;
  }

  #finished(event: EventOf<"run_finished">): string {
    const { totals } = event;
    const lines = [
      "",
      `${event.exitStatus} after ${totals.steps} step${totals.steps === 1 ? "" : "s"} · ${formatInput(totals.promptTokens, totals.cachedTokens, "tokens in")}, ${formatTokens(totals.completionTokens)} out · ${formatCost(totals.cost)} · ${formatMs(totals.elapsedMs)}`,
    ];
    if (event.exitStatus !== "Submitted") lines.push(`  why      ${event.reason}`);
    const files = filesInPatch(event.patch);
    lines.push(`  patch    ${event.patchFile} (${files === 0 ? "no changes" : `${files} file${files === 1 ? "" : "s"} changed`})`);
    lines.push(`  record   ${event.trajectoryFile}`);
    if (event.patch.trim() !== "") lines.push("", event.patch.trimEnd());
    return lines.join("\n");
  }
}

/** One line for a tool event, or undefined for other events and for the details a line leaves out. */
function describeTool(event: MoltEvent): string | undefined {
  switch (event.type) {
    case "tool_rejected":
      return `⚙ tool ${event.name} v${event.version} rejected: ${event.reason.split("\n", 1)[0]}`;
    case "tool_loaded":
      return `⚙ tool ${event.name} v${event.version} loaded in ${formatMs(event.ms)}: ${event.usage}`;
    case "tool_called":
      return `⚙ ${oneLine([event.name, ...event.args.map(shellQuote)].join(" "), 70)}  → exit ${event.exitCode} · ${formatMs(event.ms)}`;
    case "tool_removed":
      return `⚙ tool ${event.name} removed`;
    default:
      return undefined;
  }
}

function pad(step: number): string {
  return String(step).padStart(4);
}
