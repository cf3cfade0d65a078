import type { EventSink } from "../core/event-bus.ts";
import type { EventOf, MoltEvent } from "../core/events.ts";
import { filesInPatch, formatCost, formatMs, formatTokens, oneLine } from "./format.ts";

/** One readable line per step, for terminals without the live view and for logs. */
export class PlainPrinter implements EventSink {
  readonly #out: NodeJS.WritableStream;
  readonly #width: number;
  #command = "";

  constructor(out: NodeJS.WritableStream, width = 100) {
    this.#out = out;
    this.#width = Math.max(width, 40);
  }

  onEvent(event: MoltEvent): void {
    const line = this.#describe(event);
    if (line !== undefined) this.#out.write(line + "\n");
  }

  #describe(event: MoltEvent): string | undefined {
    switch (event.type) {
      case "run_started":
        return this.#started(event);
      case "model_retry":
        return `${pad(event.step)}  ↻ model call failed (${event.reason}); retry ${event.attempt} in ${formatMs(event.delayMs)}`;
      case "format_error":
        return `${pad(event.step)}  ! format error: ${event.reason} (${event.inARow} in a row)`;
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
    return [
      `molt ${event.moltVersion} · run ${event.runId}`,
      `  repo     ${event.repo} @ ${event.baseCommit.slice(0, 10)}`,
      `  model    ${event.model}${event.baseUrl ? ` at ${event.baseUrl}` : ""} · ${event.actionFormat} actions`,
      `  limits   ${event.limits.stepLimit || "no"} steps · ${event.limits.costLimit ? formatCost(event.limits.costLimit) : "no cost limit"} · ${event.limits.commandTimeoutSec} s per command`,
      `  sandbox  ${event.sandbox}`,
      `  output   ${event.outputDir}`,
      "",
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
      `${event.exitStatus} after ${totals.steps} step${totals.steps === 1 ? "" : "s"} · ${formatTokens(totals.promptTokens)} tokens in, ${formatTokens(totals.completionTokens)} out · ${formatCost(totals.cost)} · ${formatMs(totals.elapsedMs)}`,
    ];
    if (event.exitStatus !== "Submitted") lines.push(`  why      ${event.reason}`);
    const files = filesInPatch(event.patch);
    lines.push(`  patch    ${event.patchFile} (${files === 0 ? "no changes" : `${files} file${files === 1 ? "" : "s"} changed`})`);
    lines.push(`  record   ${event.trajectoryFile}`);
    if (event.patch.trim() !== "") lines.push("", event.patch.trimEnd());
    return lines.join("\n");
  }
}

function pad(step: number): string {
  return String(step).padStart(4);
}
