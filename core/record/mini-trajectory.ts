import { dirname } from "node:path";
import { parseActions, SUBMIT_MARKER } from "../actions.ts";
import type { NewEvent } from "../events/event-bus.ts";
import type { MoltEvent, ToolCall, Totals, Usage } from "../events/events.ts";
import type { ActionFormat, AgentSpec, RunSpec } from "../run-spec.ts";
import { mapExitStatus } from "./mini-exit-status.ts";
import { isStructuredObservation, parseObservation } from "./mini-observation.ts";
import { parseMiniTrajectory, textOf, WireMessage, type MiniTrajectory, type WireToolCall } from "./mini-trajectory-schema.ts";

/**
 * A mini-SWE-agent trajectory (or molt's own, without its events.jsonl) as the events a molt run
 * writes, so that replay and the run listing read it like a run of molt's. What a trajectory does
 * not hold gets a plain placeholder: usage 0, times from the messages or the file, exit code -1.
 */

export class MiniTrajectoryError extends Error {
  override readonly name = "MiniTrajectoryError";
}

export interface MiniConversion {
  /** The run's id: the file's name without .traj.json. */
  runId: string;
  /** The file the trajectory came from. */
  file: string;
  /** When the run happened (ms), for messages that carry no time: the file's modification time. */
  ts: number;
}

/** Settings no trajectory records: harmless values that say nothing was set up. */
/** What a trajectory does not say about how it ran: no tools of molt's, no sandbox molt knows of. */
const IMPORTED: Pick<RunSpec, "sandbox" | "evolution"> = {
  sandbox: { kind: "local", network: "all", allowDomains: [], memLimitBytes: 4 * 1024 ** 3, passEnv: [], env: {} },
  evolution: { enabled: false, fresh: false },
};

/** The agent's templates and rules as the trajectory's configuration gives them (only shown: a trajectory is never re-run). */
function agentOf(config: NonNullable<MiniTrajectory["info"]>["config"]): AgentSpec {
  const agent = config?.agent;
  const model = config?.model;
  return {
    systemTemplate: agent?.system_template ?? "",
    instanceTemplate: agent?.instance_template ?? "",
    observationTemplate: model?.observation_template ?? agent?.action_observation_template ?? "",
    formatErrorTemplate: model?.format_error_template ?? agent?.format_error_template ?? "",
    formatErrorLimit: agent?.max_consecutive_format_errors ?? 3,
    confirm: agent?.mode === "confirm",
  };
}

const SUBMIT_MARKERS = [SUBMIT_MARKER, "MINI_SWE_AGENT_FINAL_OUTPUT"];
const MOLT_FORMAT_ERROR = "Your reply could not be run: ";
const MOLT_REJECTION = "The user did not let this command run.";

interface Turn {
  reply: WireMessage;
  /** The reply's place in the conversation: how many messages the model had been sent. */
  index: number;
  /** The messages after the reply, up to the next one: observations, format errors, the submission. */
  after: WireMessage[];
}

interface Action {
  command: string;
  callId?: string;
}

export function miniTrajectoryEvents(data: unknown, options: MiniConversion): MoltEvent[] {
  const parsed = parseMiniTrajectory(data);
  if (!parsed.ok) throw new MiniTrajectoryError(parsed.problem);
  return new Conversion(parsed.trajectory, options).events();
}

class Conversion {
  readonly #trajectory: MiniTrajectory;
  readonly #options: MiniConversion;
  readonly #out: MoltEvent[] = [];
  #clock: number;
  #formatErrorsInARow = 0;
  /** What the agent submitted, when its last command was the submission. */
  #submission: string | undefined;

  constructor(trajectory: MiniTrajectory, options: MiniConversion) {
    this.#trajectory = trajectory;
    this.#options = options;
    const first = trajectory.messages.map(timestampOf).find((ts) => ts !== undefined);
    this.#clock = first ?? options.ts;
  }

  events(): MoltEvent[] {
    const messages = this.#trajectory.messages;
    const taskIndex = messages.findIndex((message) => message.role === "user");
    if (taskIndex < 0) throw new MiniTrajectoryError("no user message: a trajectory starts with the task");
    const system = messages.find((message, index) => message.role === "system" && index < taskIndex);
    const task = textOf(messages[taskIndex]!);
    const turns = turnsOf(messages, taskIndex + 1);
    // mini-SWE-agent 2 writes "mini-swe-agent-1.1" in text mode too; molt writes it only for tool calls.
    const toolsLayout = this.#trajectory.trajectory_format === "mini-swe-agent-1.1" && this.#trajectory.info?.molt !== undefined;
    const format: ActionFormat = toolsLayout || turns.some((turn) => (turn.reply.tool_calls ?? []).length > 0) ? "tools" : "text";

    this.#emit(this.#runStarted(task, format));
    this.#emit({ type: "prompt", system: system ? textOf(system) : "", task });
    const costs = this.#costs(turns);
    let promptTokens = 0;
    let completionTokens = 0;
    for (const [k, turn] of turns.entries()) {
      const step = k + 1;
      this.#tick(turn.reply);
      this.#emit({ type: "model_request", step, messages: turn.index });
      const usage = usageOf(turn.reply);
      promptTokens += usage.promptTokens;
      completionTokens += usage.completionTokens;
      const toolCalls = (turn.reply.tool_calls ?? []).map((call, j) => toolCallOf(call, step, j));
      this.#emit({ type: "model_response", step, content: textOf(turn.reply), toolCalls, usage, cost: costs[k] ?? 0, ms: 0 });
      this.#act(step, turn, toolCalls, format, k === turns.length - 1);
    }
    for (const message of messages.slice(turns.at(-1)?.index ?? 0)) this.#tick(message);
    this.#finish(turns.length, { promptTokens, completionTokens, cost: costs.reduce((sum, cost) => sum + cost, 0) });
    return this.#out;
  }

  #emit(event: NewEvent): void {
    this.#out.push({ ...event, ts: this.#clock } as MoltEvent);
  }

  /** Times only move forward: a message without one keeps the time of the one before. */
  #tick(message: WireMessage): void {
    const ts = timestampOf(message);
    if (ts !== undefined && ts > this.#clock) this.#clock = ts;
  }

  #runStarted(task: string, format: ActionFormat): NewEvent {
    const info = this.#trajectory.info;
    const version = info?.mini_version;
    return {
      type: "run_started",
      runId: this.#options.runId,
      moltVersion: info?.molt?.version ?? (version ? `mini-swe-agent ${version}` : "mini-swe-agent"),
      spec: {
        agent: agentOf(info?.config),
        repo: info?.molt?.repo ?? "",
        base: info?.molt?.baseCommit ?? "",
        issue: issueOf(task),
        model: {
          name: info?.config?.model?.model_name ?? info?.molt?.model ?? "",
          actionFormat: format,
          retries: 0,
          requestTimeoutSec: 60,
          price: { inPerMTok: 0, outPerMTok: 0 },
          kwargs: {},
        },
        limits: {
          stepLimit: Math.floor(info?.config?.agent?.step_limit ?? 0),
          costLimit: info?.config?.agent?.cost_limit ?? 0,
          timeLimitSec: 0,
          commandTimeoutSec: info?.config?.environment?.timeout ?? 60,
        },
        ...IMPORTED,
      },
      workspace: "",
      outputDir: dirname(this.#options.file),
      sandbox: "unknown (read from a trajectory file)",
    };
  }

  /** Each reply's cost: its own where the messages say (mini-SWE-agent 2), else the run's cost spread evenly. */
  #costs(turns: readonly Turn[]): number[] {
    const own = turns.map((turn) => turn.reply.extra?.cost);
    if (own.some((cost) => typeof cost === "number")) return own.map((cost) => (typeof cost === "number" && cost >= 0 ? cost : 0));
    const total = this.#trajectory.info?.model_stats?.instance_cost ?? this.#trajectory.info?.molt?.totals?.cost ?? 0;
    return turns.map(() => (turns.length > 0 ? total / turns.length : 0));
  }

  #act(step: number, turn: Turn, toolCalls: ToolCall[], format: ActionFormat, last: boolean): void {
    const said = turn.after.find(isFormatError);
    const actions = actionsOf(turn, toolCalls, format);
    if (said || !actions.ok) {
      this.#formatErrorsInARow++;
      const reason = said ? formatErrorReason(said, actions) : !actions.ok ? actions.reason : "format error";
      this.#emit({ type: "format_error", step, reason, inARow: this.#formatErrorsInARow });
      return;
    }
    this.#formatErrorsInARow = 0;
    const rejection = turn.after.find((message) => textOf(message).startsWith(MOLT_REJECTION));
    if (rejection) {
      this.#tick(rejection);
      this.#emit({ type: "command_rejected", step, call: 0, command: actions.actions[0]!.command, message: rejectionMessage(textOf(rejection)) });
      return;
    }
    for (const [j, action] of actions.actions.entries()) {
      this.#emit({ type: "command_started", step, call: j, command: action.command });
      const observation = observationOf(turn.after, action, j);
      const marker = SUBMIT_MARKERS.find((candidate) => action.command.includes(candidate));
      if (last && marker && (!observation || !isStructuredObservation(textOf(observation), observation.extra))) {
        this.#submitted(step, j, marker, observation ?? turn.after.find((message) => message.role === "exit"));
      } else if (observation) {
        this.#tick(observation);
        const result = parseObservation(textOf(observation), observation.extra);
        this.#emit({ type: "command_finished", step, call: j, ms: 0, ...result });
      }
      // No observation: the run stopped while the command ran, as a molt record shows it.
    }
  }

  /**
   * The submission's output is the marker line and what followed it, which mini-SWE-agent (and
   * molt) keep as the last message.
   */
  #submitted(step: number, call: number, marker: string, message: WireMessage | undefined): void {
    if (message) this.#tick(message);
    this.#submission = message ? textOf(message) : "";
    this.#emit({
      type: "command_finished",
      step,
      call,
      exitCode: 0,
      ms: 0,
      output: `${marker}\n${this.#submission}`,
      outputTail: "",
      elidedChars: 0,
      timedOut: false,
      notes: [],
    });
  }

  #finish(steps: number, spent: Pick<Totals, "promptTokens" | "completionTokens" | "cost">): void {
    const info = this.#trajectory.info;
    const exit = this.#trajectory.messages.findLast((message) => message.role === "exit");
    const exitExtra = exit?.extra;
    const status = info?.exit_status ?? (typeof exitExtra?.exit_status === "string" ? exitExtra.exit_status : undefined);
    // A bare list of messages does not say how its run ended, unless the agent submitted.
    const raw = status || (this.#submission !== undefined ? "Submitted" : undefined);
    if (raw === undefined) return;
    const { exitStatus, reason } = mapExitStatus(raw);
    const patch = info?.submission ?? (typeof exitExtra?.submission === "string" ? exitExtra.submission : undefined) ?? this.#submission ?? "";
    const start = this.#out[0]?.ts ?? this.#clock;
    const totals: Totals = info?.molt?.totals ?? {
      steps,
      ...spent,
      cost: info?.model_stats?.instance_cost ?? spent.cost,
      apiCalls: info?.model_stats?.api_calls ?? steps,
      elapsedMs: this.#clock - start,
    };
    this.#emit({ type: "run_finished", exitStatus, reason, patch, patchFile: "", trajectoryFile: this.#options.file, totals });
  }
}

/** The replies after the task, each with the messages that answer it. */
function turnsOf(messages: readonly WireMessage[], from: number): Turn[] {
  const turns: Turn[] = [];
  for (let index = from; index < messages.length; index++) {
    const message = messages[index]!;
    const dropped = messages[index - 1]?.role !== "assistant" ? droppedReply(message) : undefined;
    if (message.role === "assistant") turns.push({ reply: message, index, after: [] });
    else if (dropped) turns.push({ reply: dropped, index, after: [message] });
    else turns.at(-1)?.after.push(message);
  }
  return turns;
}

/**
 * mini-SWE-agent 2 (and molt) keep a reply that had no runnable command out of the history: it
 * survives only in the format error's `extra` (the response, or the text of a text-format reply).
 */
function droppedReply(message: WireMessage): WireMessage | undefined {
  if (message.role !== "user" || message.extra?.interrupt_type !== "FormatError") return undefined;
  const response = message.extra.response;
  const choices = typeof response === "object" && response !== null && "choices" in response && Array.isArray(response.choices) ? response.choices : [];
  const said = WireMessage.safeParse({ role: "assistant", ...(choices[0] as { message?: object } | undefined)?.message });
  if (said.success) return { ...said.data, role: "assistant", extra: { ...said.data.extra, response } };
  const text = message.extra.model_response;
  return typeof text === "string" ? { role: "assistant", content: text } : undefined;
}

function toolCallOf(call: WireToolCall, step: number, j: number): ToolCall {
  const args = call.function.arguments;
  return {
    id: call.id ?? `call_${step}_${j + 1}`,
    name: call.function.name,
    arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
  };
}

// Lenient, as mini-SWE-agent's own pattern is: used only where an observation shows a command did run.
const ANY_BLOCK = /```(?:bash|mswea_bash_command)\s*\n([\s\S]*?)\n```/;

function actionsOf(turn: Turn, toolCalls: ToolCall[], format: ActionFormat): { ok: true; actions: Action[] } | { ok: false; reason: string } {
  if (format === "tools") {
    const parsed = parseActions("tools", "", toolCalls);
    return parsed.ok ? { ok: true, actions: parsed.actions.map((action) => ({ command: action.command, callId: action.callId! })) } : { ok: false, reason: parsed.error };
  }
  const content = textOf(turn.reply);
  const parsed = parseActions("text", content, []);
  if (parsed.ok) return { ok: true, actions: parsed.actions };
  const ran = turn.after.some((message) => isStructuredObservation(textOf(message), message.extra));
  const loose = ran ? ANY_BLOCK.exec(content)?.[1]?.trim() : undefined;
  return loose ? { ok: true, actions: [{ command: loose }] } : { ok: false, reason: parsed.error };
}

function isFormatError(message: WireMessage): boolean {
  if (message.extra?.interrupt_type === "FormatError") return true;
  const text = textOf(message).trimStart();
  return text.startsWith(MOLT_FORMAT_ERROR) || text.startsWith("Please always provide EXACTLY ONE action");
}

/** What parsing the reply finds (mini-SWE-agent's words, as molt records them), else molt's words in the message, else its first line. */
function formatErrorReason(message: WireMessage, actions: ReturnType<typeof actionsOf>): string {
  if (!actions.ok) return actions.reason;
  const firstLine = textOf(message).trimStart().split("\n", 1)[0] ?? "";
  if (firstLine.startsWith(MOLT_FORMAT_ERROR)) return firstLine.slice(MOLT_FORMAT_ERROR.length).replace(/\.$/, "");
  return firstLine.trim() || "format error";
}

function rejectionMessage(text: string): string {
  const said = /They said:\n([\s\S]*?)\nTake that into account/.exec(text);
  return said?.[1] ?? "";
}

/** The message that answers this action: the tool message with its call's id, else the one in its place. */
function observationOf(after: readonly WireMessage[], action: Action, j: number): WireMessage | undefined {
  const answers = after.filter((message) => message.role === "tool" || message.role === "user");
  if (action.callId !== undefined) {
    const byId = answers.find((message) => message.role === "tool" && message.tool_call_id === action.callId);
    if (byId) return byId;
    return answers.filter((message) => message.role === "tool")[j] ?? (j === 0 ? answers.find((message) => message.role === "user") : undefined);
  }
  return answers[0];
}

function usageOf(message: WireMessage): Usage {
  const response = message.extra?.response;
  const usage = typeof response === "object" && response !== null && "usage" in response ? response.usage : undefined;
  const count = (key: string): number => {
    const value = typeof usage === "object" && usage !== null && key in usage ? (usage as Record<string, unknown>)[key] : undefined;
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
  };
  return { promptTokens: count("prompt_tokens"), completionTokens: count("completion_tokens") };
}

/** mini-SWE-agent 2 stamps messages with `extra.timestamp`, in seconds. */
function timestampOf(message: WireMessage): number | undefined {
  const ts = message.extra?.timestamp;
  if (typeof ts !== "number" || !Number.isFinite(ts) || ts <= 0) return undefined;
  return ts < 1e11 ? Math.round(ts * 1000) : ts;
}

/** The issue inside the task message, for the templates that wrap it in a known way; else the whole message. */
function issueOf(task: string): string {
  const wrapped =
    /<issue>\n?([\s\S]*?)\n?<\/issue>/.exec(task) ??
    /<pr_description>\s*(?:Consider the following PR description:\s*)?([\s\S]*?)\s*<\/pr_description>/.exec(task) ??
    /^\s*Please solve this issue:\s*([\s\S]*?)(?:\n\s*\nYou can execute bash commands|$)/.exec(task);
  return (wrapped?.[1] ?? task).trim();
}
