import { parseActions } from "../actions.ts";
import type { MoltEvent } from "../events/events.ts";
import type { ActionFormat } from "../run-spec.ts";
import type { CommandDecision, StepGate } from "../step-gate.ts";

/**
 * What the user decided under `--confirm`, played back from a run's record: a command they
 * turned down is turned down again with their message, and a command they edited runs as edited.
 * It also stops the run before a step whose commands the record never saw finish (the run was
 * killed while one ran): that step's effect on the repository is unknown, so it is not guessed at.
 */
export class RecordedGate implements StepGate {
  readonly #decisions = new Map<string, CommandDecision>();
  readonly #unfinished = new Set<number>();
  readonly #stop = new AbortController();

  constructor(events: readonly MoltEvent[], format: ActionFormat, actionRegex?: string) {
    /** Each step's commands as the reply proposed them; undefined for a reply with none. */
    const proposed = new Map<number, string[] | undefined>();
    const ran = new Map<string, string>();
    const ended = new Map<number, number>();
    for (const event of events) {
      if (event.type === "model_response") {
        const parsed = parseActions(format, event.content, event.toolCalls, actionRegex);
        proposed.set(event.step, parsed.ok ? parsed.actions.map((action) => action.command) : undefined);
        ended.set(event.step, 0);
      } else if (event.type === "command_rejected") {
        this.#decisions.set(key(event.step, event.call), { kind: "reject", message: event.message });
        ended.set(event.step, (ended.get(event.step) ?? 0) + 1);
      } else if (event.type === "command_started") {
        ran.set(key(event.step, event.call), event.command);
      } else if (event.type === "command_finished") {
        ended.set(event.step, (ended.get(event.step) ?? 0) + 1);
      } else if (event.type === "format_error") {
        proposed.set(event.step, undefined);
      }
    }
    for (const [at, command] of ran) {
      const [step, call] = at.split(":").map(Number) as [number, number];
      if (!this.#decisions.has(at) && command !== proposed.get(step)?.[call]) this.#decisions.set(at, { kind: "run", command });
    }
    // A submission ends its reply early: the commands after it never run, and the run ends there.
    const end = events.findLast((event) => event.type === "run_finished");
    const lastStep = Math.max(0, ...proposed.keys());
    const submittedAt = end?.type === "run_finished" && end.exitStatus === "Submitted" ? lastStep : undefined;
    for (const [step, commands] of proposed) {
      if (commands && (ended.get(step) ?? 0) < commands.length && step !== submittedAt) this.#unfinished.add(step);
    }
  }

  /** Aborted when the run reaches a step the record does not hold to its end. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  async beforeStep(step: number): Promise<void> {
    if (this.#unfinished.has(step)) this.#stop.abort();
  }

  async confirm(step: number, command: string, call: number): Promise<CommandDecision> {
    return this.#decisions.get(key(step, call)) ?? { kind: "run", command };
  }
}

function key(step: number, call: number): string {
  return `${step}:${call}`;
}
