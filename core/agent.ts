import { isSubmission, parseAction } from "./actions.ts";
import { outcomeOf, type Environment } from "./environment.ts";
import type { EventBus } from "./events/event-bus.ts";
import type { ExitStatus, Totals } from "./events/events.ts";
import type { ActionFormat, Limits } from "./run-spec.ts";
import { assistantMessage, type Message } from "./messages.ts";
import { ModelAborted, ModelError, type Model, type ModelReply } from "./model.ts";
import { renderObservation } from "./observation.ts";
import { formatErrorPrompt, rejectionPrompt, systemPrompt, taskPrompt } from "./prompts.ts";
import type { RestoredRun } from "./record/resume.ts";
import type { StepGate } from "./step-gate.ts";

export const FORMAT_ERRORS_IN_A_ROW = 3;

export interface AgentOptions {
  model: Model;
  environment: Environment;
  bus: EventBus;
  actionFormat: ActionFormat;
  limits: Limits;
  signal?: AbortSignal;
  /** More system prompt, from layers around the environment (the self-evolution instructions). */
  extraInstructions?: string;
  /** Carry on a run from its record instead of starting it (`molt resume`). */
  restored?: RestoredRun;
  /** Someone watching who may pause the run or decide about each command. */
  gate?: StepGate;
}

export interface AgentOutcome {
  exitStatus: ExitStatus;
  /** Why the run ended, in one line. */
  reason: string;
  messages: Message[];
  totals: Totals;
}

/**
 * mini-SWE-agent's loop: a linear history; each reply holds one bash command, which runs
 * and whose output comes back as the next message, until the agent submits or a limit ends it.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #messages: Message[] = [];
  readonly #totals: Totals = { steps: 0, promptTokens: 0, completionTokens: 0, cost: 0, apiCalls: 0, elapsedMs: 0 };
  #formatErrors = 0;

  constructor(options: AgentOptions) {
    this.#options = options;
  }

  async run(issue: string): Promise<AgentOutcome> {
    const { actionFormat, bus, restored } = this.#options;
    const started = performance.now() - (restored?.totals.elapsedMs ?? 0);
    let end: { exitStatus: ExitStatus; reason: string };
    try {
      if (restored) {
        this.#messages.push(...restored.messages);
        Object.assign(this.#totals, restored.totals);
        this.#formatErrors = restored.formatErrorsInARow;
        const finished = restored.pending ? await this.#handle(restored.lastStep, restored.pending) : undefined;
        end = finished ?? (await this.#loop(started));
      } else {
        const system = systemPrompt(actionFormat, this.#options.extraInstructions);
        const task = taskPrompt(issue, actionFormat);
        bus.emit({ type: "prompt", system, task });
        this.#messages.push({ role: "system", content: system }, { role: "user", content: task });
        end = await this.#loop(started);
      }
    } catch (error) {
      if (error instanceof ModelAborted || this.#options.signal?.aborted) end = { exitStatus: "Interrupted", reason: "the run was interrupted" };
      else if (error instanceof ModelError) end = { exitStatus: "ModelError", reason: error.message };
      else end = { exitStatus: "EnvironmentError", reason: error instanceof Error ? error.message : String(error) };
    }
    this.#totals.elapsedMs = performance.now() - started;
    return { ...end, messages: this.#messages, totals: { ...this.#totals } };
  }

  async #loop(started: number): Promise<{ exitStatus: ExitStatus; reason: string }> {
    const { limits, signal } = this.#options;
    for (;;) {
      if (signal?.aborted) return { exitStatus: "Interrupted", reason: "the run was interrupted" };
      if (limits.stepLimit > 0 && this.#totals.steps >= limits.stepLimit) {
        return { exitStatus: "LimitsExceeded", reason: `the step limit of ${limits.stepLimit} was reached` };
      }
      if (limits.costLimit > 0 && this.#totals.cost >= limits.costLimit) {
        return { exitStatus: "LimitsExceeded", reason: `the cost limit of $${limits.costLimit} was reached` };
      }
      if (limits.timeLimitSec > 0 && performance.now() - started >= limits.timeLimitSec * 1000) {
        return { exitStatus: "TimeExceeded", reason: `the time limit of ${limits.timeLimitSec} s was reached` };
      }
      await this.#options.gate?.beforeStep?.(this.#totals.steps + 1);
      if (signal?.aborted) return { exitStatus: "Interrupted", reason: "the run was interrupted" };
      const step = ++this.#totals.steps;
      const reply = await this.#query(step);
      const end = await this.#handle(step, reply);
      if (end) return end;
    }
  }

  /** Runs a reply's command, or answers its format error; says how the run ended if it did. */
  async #handle(step: number, reply: ModelReply): Promise<{ exitStatus: ExitStatus; reason: string } | undefined> {
    const action = parseAction(this.#options.actionFormat, reply.content, reply.toolCalls);
    if (!action.ok) {
      if (this.#formatError(step, reply, action.reason)) {
        return { exitStatus: "FormatError", reason: `${FORMAT_ERRORS_IN_A_ROW} replies in a row had no runnable command (${action.reason})` };
      }
      return undefined;
    }
    this.#formatErrors = 0;
    if (await this.#act(step, action.command, reply)) return { exitStatus: "Submitted", reason: "the agent submitted" };
    return undefined;
  }

  async #query(step: number): Promise<ModelReply> {
    const { bus, model, signal } = this.#options;
    bus.emit({ type: "model_request", step, messages: this.#messages.length });
    const reply = await model.complete(this.#messages, {
      signal,
      onDelta: (text) => bus.emit({ type: "model_delta", step, text }),
      onRetry: (notice) => bus.emit({ type: "model_retry", step, ...notice }),
    });
    this.#totals.apiCalls++;
    this.#totals.promptTokens += reply.usage.promptTokens;
    this.#totals.completionTokens += reply.usage.completionTokens;
    this.#totals.cost += reply.cost;
    bus.emit({ type: "model_response", step, content: reply.content, toolCalls: reply.toolCalls, usage: reply.usage, cost: reply.cost, ms: reply.ms });
    this.#messages.push(assistantMessage(reply.content, reply.toolCalls));
    return reply;
  }

  /** Answers a reply that held no runnable command; true when that was one too many in a row. */
  #formatError(step: number, reply: ModelReply, reason: string): boolean {
    const { actionFormat, bus } = this.#options;
    this.#formatErrors++;
    bus.emit({ type: "format_error", step, reason, inARow: this.#formatErrors });
    const content = formatErrorPrompt(reason, actionFormat);
    if (reply.toolCalls.length > 0) {
      // Every tool call must be answered, or the endpoint rejects the next request.
      for (const call of reply.toolCalls) this.#messages.push({ role: "tool", tool_call_id: call.id, content });
    } else {
      this.#messages.push({ role: "user", content });
    }
    return this.#formatErrors >= FORMAT_ERRORS_IN_A_ROW;
  }

  /** Runs the command; true when it was the submission. */
  async #act(step: number, proposed: string, reply: ModelReply): Promise<boolean> {
    const { bus, environment, limits, signal, gate } = this.#options;
    const decision = gate?.confirm ? await gate.confirm(step, proposed) : { kind: "run" as const, command: proposed };
    const call = reply.toolCalls[0];
    if (decision.kind === "reject") {
      bus.emit({ type: "command_rejected", step, command: proposed, message: decision.message });
      const content = rejectionPrompt(decision.message);
      this.#messages.push(call ? { role: "tool", tool_call_id: call.id, content } : { role: "user", content });
      return false;
    }
    const command = decision.command;
    bus.emit({ type: "command_started", step, command });
    const result = await environment.execute(command, { signal, step });
    bus.emit({ type: "command_finished", step, ...outcomeOf(result), notes: result.notes ?? [] });
    const submitted = isSubmission(result.exitCode, result.output);
    // The submission's last message is what the command printed after the marker, as mini-SWE-agent keeps it.
    const content = submitted ? afterMarker(result.output) : renderObservation(result, limits.commandTimeoutSec);
    this.#messages.push(call ? { role: "tool", tool_call_id: call.id, content } : { role: "user", content });
    return submitted;
  }
}

/** A submission's output without its first line (the marker). */
function afterMarker(output: string): string {
  const start = output.trimStart();
  const newline = start.indexOf("\n");
  return newline < 0 ? "" : start.slice(newline + 1);
}
