import { parseAction } from "../actions.ts";
import type { MoltEvent } from "../events/events.ts";
import type { ActionFormat } from "../run-spec.ts";
import type { CommandDecision, StepGate } from "../step-gate.ts";

/**
 * What the user decided under `--confirm`, played back from a run's record: a command they
 * turned down is turned down again with their message, and a command they edited runs as edited.
 * It also stops the run before a step whose command the record never saw finish (the run was
 * killed while it ran): that step's effect on the repository is unknown, so it is not guessed at.
 */
export class RecordedGate implements StepGate {
  readonly #decisions = new Map<number, CommandDecision>();
  readonly #unfinished = new Set<number>();
  readonly #stop = new AbortController();

  constructor(events: readonly MoltEvent[], format: ActionFormat) {
    const proposed = new Map<number, string | undefined>();
    const ran = new Map<number, string>();
    const ended = new Set<number>();
    for (const event of events) {
      if (event.type === "model_response") {
        const action = parseAction(format, event.content, event.toolCalls);
        proposed.set(event.step, action.ok ? action.command : undefined);
      } else if (event.type === "command_rejected") {
        this.#decisions.set(event.step, { kind: "reject", message: event.message });
        ended.add(event.step);
      } else if (event.type === "command_started") {
        ran.set(event.step, event.command);
      } else if (event.type === "command_finished" || event.type === "format_error") {
        ended.add(event.step);
      }
    }
    for (const [step, command] of ran) {
      if (!this.#decisions.has(step) && command !== proposed.get(step)) this.#decisions.set(step, { kind: "run", command });
    }
    for (const step of proposed.keys()) if (!ended.has(step)) this.#unfinished.add(step);
  }

  /** Aborted when the run reaches a step the record does not hold to its end. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  async beforeStep(step: number): Promise<void> {
    if (this.#unfinished.has(step)) this.#stop.abort();
  }

  async confirm(step: number, command: string): Promise<CommandDecision> {
    return this.#decisions.get(step) ?? { kind: "run", command };
  }
}
