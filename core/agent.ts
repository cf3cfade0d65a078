import { afterMarker, isSubmission, parseActions, type Action } from "./actions.ts";
import { outcomeOf, type Environment } from "./environment.ts";
import type { EventBus } from "./events/event-bus.ts";
import { countCall, noTotals, type ExitStatus, type Totals } from "./events/events.ts";
import { assistantMessage, formatErrorMessage, type Message } from "./messages.ts";
import type { Model, ModelReply } from "./model.ts";
import { ContextWindowExceeded, ModelAborted, ModelError } from "./endpoint/errors.ts";
import { editedNote, observedOutput, withNotes } from "./observation.ts";
import { rejectionPrompt, type Prompts, type RunCounters } from "./prompts.ts";
import type { RestoredRun } from "./record/resume.ts";
import type { ActionFormat, AgentSpec, Limits } from "./run-spec.ts";
import type { StepGate } from "./step-gate.ts";

export interface AgentOptions {
  model: Model;
  environment: Environment;
  bus: EventBus;
  actionFormat: ActionFormat;
  limits: Limits;
  /** The configuration's rules: the format-error limit, the text format's action_regex. */
  agent: Pick<AgentSpec, "formatErrorLimit" | "actionRegex">;
  /** The configuration's templates, compiled. */
  prompts: Prompts;
  signal?: AbortSignal | undefined;
  /** More system prompt, from layers around the environment (the self-evolution instructions). */
  extraInstructions?: string | undefined;
  /** Carry on a run from its record instead of starting it (`molt resume`). */
  restored?: RestoredRun | undefined;
  /** Someone watching who may pause the run or decide about each command. */
  gate?: StepGate | undefined;
}

export interface AgentOutcome {
  exitStatus: ExitStatus;
  /** Why the run ended, in one line. */
  reason: string;
  messages: Message[];
  totals: Totals;
}

type End = { exitStatus: ExitStatus; reason: string };

const INTERRUPTED: End = { exitStatus: "Interrupted", reason: "the run was interrupted" };

/** What a command the run never got to is told, as mini-SWE-agent tells it. */
const NOT_RUN = { output: "", returncode: -1, exception_info: "action was not executed" };

/**
 * mini-SWE-agent's loop: a linear history; each reply holds bash commands (one ```bash block, or
 * any number of `bash` tool calls, run in order), whose outputs come back as the next messages,
 * until the agent submits or a limit ends it. A reply without a runnable command is not kept: the
 * model is told why instead, and too many such replies in a row end the run.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #messages: Message[] = [];
  readonly #totals: Totals = noTotals();
  #formatErrors = 0;
  #lastPromptTokens = 0;
  #started = 0;
  #task = "";

  constructor(options: AgentOptions) {
    this.#options = options;
  }

  async run(issue: string): Promise<AgentOutcome> {
    const { bus, restored, prompts, extraInstructions } = this.#options;
    this.#task = issue;
    this.#started = performance.now() - (restored?.totals.elapsedMs ?? 0);
    let end: End;
    try {
      if (restored) {
        this.#messages.push(...restored.messages);
        Object.assign(this.#totals, restored.totals);
        this.#formatErrors = restored.formatErrorsInARow;
        const finished = restored.pending ? await this.#handle(restored.lastStep, restored.pending.reply, restored.pending.from) : undefined;
        end = finished ?? (await this.#loop());
      } else {
        const rendered = prompts.system(issue, this.#counters());
        const system = extraInstructions ? `${rendered}\n\n${extraInstructions}` : rendered;
        const task = prompts.instance(issue, this.#counters());
        bus.emit({ type: "prompt", system, task });
        this.#messages.push({ role: "system", content: system }, { role: "user", content: task });
        end = await this.#loop();
      }
    } catch (error) {
      if (error instanceof ModelAborted || this.#options.signal?.aborted) end = INTERRUPTED;
      else if (error instanceof ContextWindowExceeded) end = { exitStatus: "ContextWindowExceeded", reason: this.#contextWindowReason(error) };
      else if (error instanceof ModelError) end = { exitStatus: "ModelError", reason: error.message };
      else end = { exitStatus: "EnvironmentError", reason: error instanceof Error ? error.message : String(error) };
    }
    this.#totals.elapsedMs = performance.now() - this.#started;
    return { ...end, messages: this.#messages, totals: { ...this.#totals } };
  }

  async #loop(): Promise<End> {
    const { limits, signal } = this.#options;
    for (;;) {
      if (signal?.aborted) return INTERRUPTED;
      if (limits.stepLimit > 0 && this.#totals.steps >= limits.stepLimit) {
        return { exitStatus: "LimitsExceeded", reason: `the step limit of ${limits.stepLimit} was reached` };
      }
      if (limits.costLimit > 0 && this.#totals.cost >= limits.costLimit) {
        return { exitStatus: "LimitsExceeded", reason: `the cost limit of $${limits.costLimit} was reached` };
      }
      if (limits.timeLimitSec > 0 && performance.now() - this.#started >= limits.timeLimitSec * 1000) {
        return { exitStatus: "TimeExceeded", reason: `the time limit of ${limits.timeLimitSec} s was reached` };
      }
      await this.#options.gate?.beforeStep?.(this.#totals.steps + 1);
      if (signal?.aborted) return INTERRUPTED;
      const step = ++this.#totals.steps;
      const reply = await this.#query(step);
      const end = await this.#handle(step, reply, 0);
      if (end) return end;
    }
  }

  /**
   * Runs a reply's commands from the `from`-th on (a resumed reply may have run some), or answers
   * its format error; says how the run ended if it did.
   */
  async #handle(step: number, reply: ModelReply, from: number): Promise<End | undefined> {
    const { actionFormat, agent, bus, prompts } = this.#options;
    const parsed = parseActions(actionFormat, reply.content, reply.toolCalls, agent.actionRegex);
    if (!parsed.ok) {
      this.#formatErrors++;
      bus.emit({ type: "format_error", step, reason: parsed.error, inARow: this.#formatErrors });
      const content = prompts.formatError({ error: parsed.error, actions: parsed.actions, finishReason: reply.finishReason ?? null, hasToolCalls: parsed.hasToolCalls });
      this.#messages.push(formatErrorMessage(content, reply));
      const limit = agent.formatErrorLimit;
      if (limit > 0 && this.#formatErrors >= limit) {
        return { exitStatus: "RepeatedFormatError", reason: `${limit} replies in a row had no command that could run (${parsed.error})` };
      }
      return undefined;
    }
    this.#formatErrors = 0;
    if (from === 0) this.#messages.push(assistantMessage(reply.content, reply.toolCalls, reply.reasoning));
    for (let index = from; index < parsed.actions.length; index++) {
      if (index > from && this.#options.signal?.aborted) return INTERRUPTED;
      const acted = await this.#act(step, index, parsed.actions[index]!);
      if (acted === "stopped") return INTERRUPTED;
      if (acted === "submitted") {
        for (const later of parsed.actions.slice(index + 1)) this.#answer(later, prompts.observation(NOT_RUN, this.#task, this.#counters()));
        return { exitStatus: "Submitted", reason: "the agent submitted" };
      }
    }
    return undefined;
  }

  async #query(step: number): Promise<ModelReply> {
    const { bus, model, signal } = this.#options;
    bus.emit({ type: "model_request", step, messages: this.#messages.length });
    const reply = await model.complete(this.#messages, {
      signal,
      onDelta: (text, reasoning) => bus.emit({ type: "model_delta", step, text, ...(reasoning ? { reasoning } : {}) }),
      onRetry: (notice) => bus.emit({ type: "model_retry", step, ...notice }),
    });
    countCall(this.#totals, reply.usage, reply.cost);
    this.#lastPromptTokens = reply.usage.promptTokens;
    bus.emit({
      type: "model_response",
      step,
      content: reply.content,
      toolCalls: reply.toolCalls,
      usage: reply.usage,
      cost: reply.cost,
      ms: reply.ms,
      ...(reply.finishReason !== undefined ? { finishReason: reply.finishReason } : {}),
      ...(reply.reasoning ? { reasoning: reply.reasoning } : {}),
    });
    return reply;
  }

  /** Runs the `call`-th command of the step's reply (or not, as the user decides). */
  async #act(step: number, call: number, action: Action): Promise<"answered" | "submitted" | "stopped"> {
    const { bus, environment, limits, signal, gate, prompts } = this.#options;
    const decision = gate?.confirm ? await gate.confirm(step, action.command, call) : { kind: "run" as const, command: action.command };
    if (decision.kind === "stop") return "stopped";
    if (decision.kind === "reject") {
      bus.emit({ type: "command_rejected", step, call, command: action.command, message: decision.message });
      this.#answer(action, rejectionPrompt(decision.message));
      return "answered";
    }
    const command = decision.command;
    const edited = command !== action.command;
    bus.emit({ type: "command_started", step, call, command, ...(edited ? { proposed: action.command } : {}) });
    const result = await environment.execute(command, { signal, step });
    bus.emit({ type: "command_finished", step, call, ...outcomeOf(result), notes: result.notes ?? [] });
    if (isSubmission(result.exitCode, result.output)) {
      // The submission's last message is what the command printed after the marker, as mini-SWE-agent keeps it.
      this.#answer(action, afterMarker(result.output + result.outputTail));
      return "submitted";
    }
    const { output, elided } = observedOutput(result, command, limits.commandTimeoutSec);
    const counters = this.#counters();
    const observation = (result.timedOut ? prompts.timeout(command, output, this.#task, counters, elided) : undefined) ?? prompts.observation(output, this.#task, counters, elided);
    this.#answer(action, `${edited ? editedNote(command) : ""}${withNotes(observation, result.notes)}`);
    return "answered";
  }

  /** Tells the model what became of a command: a tool message for its call, else a user message. */
  #answer(action: Action, content: string): void {
    this.#messages.push(action.callId !== undefined ? { role: "tool", tool_call_id: action.callId, content } : { role: "user", content });
  }

  /** Why the run ended when the history outgrew the window, with its size and what to do. */
  #contextWindowReason(error: ContextWindowExceeded): string {
    const size = this.#lastPromptTokens > 0 ? `; the history was ${this.#lastPromptTokens} tokens at the last reply` : "";
    return `${error.message}${size}. Use a model with a larger context window, or keep the run shorter (--step-limit) and its outputs smaller (the observation template)`;
  }

  #counters(): RunCounters {
    return { n_model_calls: this.#totals.apiCalls, model_cost: this.#totals.cost, elapsed_seconds: Math.floor((performance.now() - this.#started) / 1000) };
  }
}
