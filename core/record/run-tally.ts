import type { EventSink } from "../events/event-bus.ts";
import type { ExitStatus, MoltEvent } from "../events/events.ts";

/** How a run ended, and what it did with its tools: what a batch's summary keeps of it. */
export interface RunResult {
  exitStatus: ExitStatus;
  reason: string;
  patch: string;
  /** What the patch leaves out, a line each (run_finished.patchNotes). */
  patchNotes: string[];
  steps: number;
  cost: number;
  /** Input tokens, and how many of them the endpoint read from its prompt cache. */
  promptTokens: number;
  cachedTokens: number;
  /** Tools the run wrote and loaded that its starting library did not have. */
  toolsCreated: string[];
  /** Calls per tool. */
  toolsUsed: Record<string, number>;
  /** Tools of the starting library that the run called. */
  keptToolsUsed: string[];
}

/** Follows a run's events as they come and says how it ended; undefined until its end is recorded. */
export class RunTally implements EventSink {
  readonly #kept = new Set<string>();
  readonly #created = new Set<string>();
  readonly #used: Record<string, number> = {};
  #end: Extract<MoltEvent, { type: "run_finished" }> | undefined;

  onEvent(event: MoltEvent): void {
    switch (event.type) {
      case "tool_library":
        for (const tool of event.tools) this.#kept.add(tool.name);
        break;
      case "tool_loaded":
        if (!this.#kept.has(event.name)) this.#created.add(event.name);
        break;
      case "tool_called":
        this.#used[event.name] = (this.#used[event.name] ?? 0) + 1;
        break;
      case "run_finished":
        this.#end = event;
        break;
      default:
    }
  }

  get result(): RunResult | undefined {
    const end = this.#end;
    if (!end) return undefined;
    return {
      exitStatus: end.exitStatus,
      reason: end.reason,
      patch: end.patch,
      patchNotes: end.patchNotes ?? [],
      steps: end.totals.steps,
      cost: end.totals.cost,
      promptTokens: end.totals.promptTokens,
      cachedTokens: end.totals.cachedTokens ?? 0,
      toolsCreated: [...this.#created].sort(),
      toolsUsed: { ...this.#used },
      keptToolsUsed: Object.keys(this.#used).filter((name) => this.#kept.has(name)).sort(),
    };
  }
}
