import { compileTemplate, type CompiledTemplate, type ElidedText, type TemplateShape } from "./config/template.ts";
import type { ActionFormat, AgentSpec } from "./run-spec.ts";

/** What the agent's templates may read that changes as the run goes: mini-SWE-agent's counters. */
export interface RunCounters {
  n_model_calls: number;
  model_cost: number;
  elapsed_seconds: number;
}

/** A command's result as the observation template reads it (`output.output`, …), as mini-SWE-agent 2 hands it over. */
export interface ObservedOutput {
  output: string;
  returncode: number;
  exception_info: string;
}

/** Why a reply could not be run, as the format-error template reads it. */
export interface FormatProblem {
  error: string;
  /** The commands found (text format); none for tool calls. */
  actions: string[];
  finishReason: string | null;
  /** Tools format: whether the reply held tool calls at all. */
  hasToolCalls?: boolean;
}

const COUNTERS: TemplateShape = { n_model_calls: "value", model_cost: "value", elapsed_seconds: "value" };
const OUTPUT: TemplateShape = { output: { output: "value", returncode: "value", exception_info: "value", extra: "value" } };

/**
 * The agent's messages, from the configuration's templates: compiled once, when the run is put
 * together, so that an unknown variable or a syntax error stops the run before it starts.
 */
export class Prompts {
  readonly #system: CompiledTemplate;
  readonly #instance: CompiledTemplate;
  readonly #observation: CompiledTemplate;
  readonly #formatError: CompiledTemplate;
  readonly #timeout: CompiledTemplate | undefined;
  readonly #vars: Record<string, unknown>;
  readonly #format: ActionFormat;

  /**
   * `vars` are the values every template but the format error's may read: the configuration's
   * fields, the machine's, the commands' environment, molt's `action_format`.
   */
  constructor(agent: AgentSpec, format: ActionFormat, vars: Record<string, unknown>) {
    this.#format = format;
    this.#vars = { ...vars, action_format: format };
    const shape: TemplateShape = { ...Object.fromEntries(Object.keys(this.#vars).map((name) => [name, "value" as const])), ...COUNTERS, task: "value" };
    this.#system = compileTemplate(agent.systemTemplate, shape, "agent.system_template");
    this.#instance = compileTemplate(agent.instanceTemplate, shape, "agent.instance_template");
    this.#observation = compileTemplate(agent.observationTemplate, { ...shape, ...OUTPUT }, "observation_template");
    const problem: TemplateShape = { error: "value", actions: "value", finish_reason: "value", action_format: "value", ...(format === "tools" ? { has_tool_calls: "value" } : {}) };
    this.#formatError = compileTemplate(agent.formatErrorTemplate, problem, "format_error_template");
    this.#timeout = agent.timeoutTemplate === undefined ? undefined : compileTemplate(agent.timeoutTemplate, { ...shape, action: { action: "value" }, output: "value" }, "agent.timeout_template");
  }

  system(task: string, counters: RunCounters): string {
    return this.#system.render({ ...this.#vars, ...counters, task });
  }

  instance(task: string, counters: RunCounters): string {
    return this.#instance.render({ ...this.#vars, ...counters, task });
  }

  observation(output: ObservedOutput, task: string, counters: RunCounters, elided: readonly ElidedText[] = []): string {
    return this.#observation.render({ ...this.#vars, ...counters, task, output }, elided);
  }

  /** mini-SWE-agent 1's message for a command that timed out, when the configuration has one. */
  timeout(command: string, output: ObservedOutput, task: string, counters: RunCounters, elided: readonly ElidedText[] = []): string | undefined {
    return this.#timeout?.render({ ...this.#vars, ...counters, task, action: { action: command }, output: output.output }, elided);
  }

  formatError(problem: FormatProblem): string {
    return this.#formatError.render({
      error: problem.error,
      actions: problem.actions,
      finish_reason: problem.finishReason,
      action_format: this.#format,
      ...(this.#format === "tools" ? { has_tool_calls: problem.hasToolCalls ?? false } : {}),
    });
  }
}

/** The observation of a command the user turned down, with what they said instead. */
export function rejectionPrompt(message: string): string {
  const said = message.trim() === "" ? "They gave no reason." : `They said:\n${message.trim()}`;
  return `The user did not let this command run. ${said}\nTake that into account and choose another action.`;
}
