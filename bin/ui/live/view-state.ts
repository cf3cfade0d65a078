import type { EventOf, ExitStatus, MoltEvent } from "../../../core/events/events.ts";
import { shellQuote } from "../../../sandbox/shell-quote.ts";
import { formatRetry } from "../format.ts";

/** One line of a step's transcript besides its command: a tool event, a retry, a format error, a limit. */
export interface StepNote {
  kind: "tool-loaded" | "tool-rejected" | "tool-called" | "tool-removed" | "retry" | "format-error" | "note";
  text: string;
}

/** One command of a step's reply: what ran (or was refused), and how it ended. */
export interface CommandView {
  command?: string;
  /** When the command started, for the time it has been running. */
  commandStartedAt?: number;
  /** What the user said when they turned the command down (--confirm). */
  rejected?: string;
  /** The agent's own command, when the user changed it before it ran. */
  proposed?: string;
  /** The output as the agent saw it: its head, and its tail when characters were elided. */
  output?: { text: string; tail: string; elidedChars: number };
  exitCode?: number;
  ms?: number;
  timedOut?: boolean;
}

/**
 * A step: the reply's thought, and its commands. A reply's tool calls run one after another: the
 * step's own command fields are the latest, and those that ended before it are in `earlier`.
 */
export interface StepView extends CommandView {
  step: number;
  thought: string;
  /** What a reasoning model thought before its reply (shown apart from the reply). */
  reasoning?: string;
  /** The commands of the reply that ended before the latest, in order. */
  earlier: CommandView[];
  notes: StepNote[];
}

export interface ToolView {
  name: string;
  version: number;
  status: "loaded" | "rejected" | "removed";
  calls: number;
  source: string;
  /** The source of the version before this one, for the diff. */
  previous?: string;
  /** The source of the newest version written, loaded or not: what the next version changes. */
  latest?: string;
}

export type RunPhase = "starting" | "thinking" | "retrying" | "running" | "finished";

export interface RunView {
  runId: string;
  repo: string;
  issueLine: string;
  model: string;
  sandbox: string;
  stepLimit: number;
  costLimit: number;
  outputDir: string;
  startedAt: number;
  phase: RunPhase;
  /** The tool molt is checking after the command that wrote it ("count_words v2"), while it does. */
  checking?: string;
  step: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cost: number;
  /** The model call being tried again: which attempt of how many, when, and why. */
  retry?: { attempt: number; of: number | undefined; reason: string; delayMs: number; at: number };
  /** The step in progress; finished steps leave the view (they are printed once, into the scrollback). */
  current?: StepView;
  tools: Map<string, ToolView>;
  /** Sources of versions written and not yet judged, by "name@version". */
  pendingSources: Map<string, string>;
  toolsCreated: number;
  /** The setup command that ran before the agent (`--setup`, an instance's install_cmd). */
  setup?: Pick<EventOf<"setup_finished">, "command" | "exitCode" | "ms" | "timedOut">;
  finished?: { exitStatus: ExitStatus; reason: string; patch: string; patchFile: string; trajectoryFile: string; elapsedMs: number };
}

export function emptyView(): RunView {
  return {
    runId: "",
    repo: "",
    issueLine: "",
    model: "",
    sandbox: "",
    stepLimit: 0,
    costLimit: 0,
    outputDir: "",
    startedAt: Date.now(),
    phase: "starting",
    step: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    cost: 0,
    tools: new Map(),
    pendingSources: new Map(),
    toolsCreated: 0,
  };
}

/**
 * Folds one event into the view. Returns the step that the event finished, if it did: the caller
 * prints it into the scrollback and forgets it, so the view's memory does not grow with the run.
 */
export function applyEvent(view: RunView, event: MoltEvent): StepView | undefined {
  switch (event.type) {
    case "run_started":
      Object.assign(view, {
        runId: event.runId,
        repo: event.spec.repo,
        issueLine: event.spec.issue.trim().split("\n", 1)[0] ?? "",
        model: event.spec.model.name,
        sandbox: event.sandbox,
        stepLimit: event.spec.limits.stepLimit,
        costLimit: event.spec.limits.costLimit,
        outputDir: event.outputDir,
        startedAt: event.ts,
      });
      return undefined;
    case "setup_finished":
      view.setup = { command: event.command, exitCode: event.exitCode, ms: event.ms, timedOut: event.timedOut };
      return undefined;
    case "run_resumed":
      view.model = event.model;
      view.step = event.afterStep;
      if (event.totals) Object.assign(view, { promptTokens: event.totals.promptTokens, completionTokens: event.totals.completionTokens, cachedTokens: event.totals.cachedTokens ?? 0, cost: event.totals.cost });
      return undefined;
    case "model_request": {
      const finished = finishCurrent(view);
      view.step = event.step;
      view.phase = "thinking";
      view.current = { step: event.step, thought: "", earlier: [], notes: [] };
      return finished;
    }
    case "model_delta":
      if (view.current?.step !== event.step) return undefined;
      if (event.reasoning) view.current.reasoning = (view.current.reasoning ?? "") + event.text;
      else view.current.thought += event.text;
      view.retry = undefined;
      if (view.phase === "retrying") view.phase = "thinking";
      return undefined;
    case "model_retry": {
      // The next attempt streams its reply from the start.
      const step = stepOf(view, event.step);
      step.thought = "";
      delete step.reasoning;
      step.notes.push({ kind: "retry", text: formatRetry(event, event.delayMs) });
      view.retry = { attempt: event.attempt, of: event.of, reason: event.reason, delayMs: event.delayMs, at: event.ts };
      view.phase = "retrying";
      return undefined;
    }
    case "model_response": {
      view.promptTokens += event.usage.promptTokens;
      view.completionTokens += event.usage.completionTokens;
      view.cachedTokens += event.usage.cachedTokens ?? 0;
      view.cost += event.cost;
      view.retry = undefined;
      if (view.phase === "retrying") view.phase = "thinking";
      const step = stepOf(view, event.step);
      step.thought = withoutActions(event.content);
      if (event.reasoning) step.reasoning = event.reasoning;
      return undefined;
    }
    case "format_error":
      stepOf(view, event.step).notes.push({ kind: "format-error", text: `format error: ${event.reason} (${event.inARow} in a row)` });
      return undefined;
    case "command_started": {
      const step = nextCommand(stepOf(view, event.step));
      step.command = event.command;
      if (event.proposed !== undefined) step.proposed = event.proposed;
      step.commandStartedAt = event.ts;
      view.phase = "running";
      return undefined;
    }
    case "command_rejected": {
      const step = nextCommand(stepOf(view, event.step));
      step.command = event.command;
      step.rejected = event.message;
      return undefined;
    }
    case "command_finished": {
      delete view.checking;
      const step = stepOf(view, event.step);
      Object.assign(step, { output: { text: event.output, tail: event.outputTail, elidedChars: event.elidedChars }, exitCode: event.exitCode, ms: event.ms, timedOut: event.timedOut });
      for (const note of event.notes) if (!note.startsWith("[molt] tool") && !note.startsWith("[molt] helper") && !/Reflect/.test(note)) step.notes.push({ kind: "note", text: note });
      view.phase = "thinking";
      return undefined;
    }
    case "tool_written":
      if (event.kind === "tool" && !view.tools.has(event.name)) view.toolsCreated++;
      if (view.phase === "running" && event.kind === "tool") view.checking = `${event.name} v${event.version}`;
      view.pendingSources.set(`${event.name}@${event.version}`, event.source);
      return undefined;
    case "tool_loaded":
    case "tool_rejected":
    case "tool_removed":
    case "tool_called":
      return applyToolEvent(view, event);
    case "tool_library":
      for (const tool of event.tools) view.tools.set(tool.name, { name: tool.name, version: tool.version, status: "loaded", calls: 0, source: tool.source });
      return undefined;
    case "run_finished": {
      const finished = finishCurrent(view);
      view.phase = "finished";
      // The run's own totals count every session of it, a resumed one too.
      Object.assign(view, { step: event.totals.steps, promptTokens: event.totals.promptTokens, completionTokens: event.totals.completionTokens, cachedTokens: event.totals.cachedTokens ?? 0, cost: event.totals.cost });
      view.finished = {
        exitStatus: event.exitStatus,
        reason: event.reason,
        patch: event.patch,
        patchFile: event.patchFile,
        trajectoryFile: event.trajectoryFile,
        elapsedMs: event.totals.elapsedMs,
      };
      return finished;
    }
    default:
      return undefined;
  }
}

function applyToolEvent(view: RunView, event: EventOf<"tool_loaded" | "tool_rejected" | "tool_removed" | "tool_called">): undefined {
  const known = view.tools.get(event.name);
  const key = "version" in event ? `${event.name}@${event.version}` : "";
  const pending = view.pendingSources.get(key);
  if (event.type === "tool_loaded" || event.type === "tool_rejected") view.pendingSources.delete(key);
  const note = (kind: StepNote["kind"], text: string) => {
    if (event.step > 0) stepOf(view, event.step).notes.push({ kind, text });
  };
  switch (event.type) {
    case "tool_loaded":
      note("tool-loaded", `tool ${event.name} v${event.version} loaded in ${Math.round(event.ms)} ms: ${event.usage}`);
      view.tools.set(event.name, {
        name: event.name,
        version: event.version,
        status: "loaded",
        calls: known?.calls ?? 0,
        source: pending ?? known?.source ?? "",
        previous: known?.version !== event.version ? (known?.latest ?? known?.source) : known?.previous,
        latest: pending ?? known?.source,
      });
      break;
    case "tool_rejected":
      note("tool-rejected", `tool ${event.name} v${event.version} rejected: ${event.reason.split("\n", 1)[0]}`);
      if (!known || known.status !== "loaded") {
        view.tools.set(event.name, { name: event.name, version: event.version, status: "rejected", calls: known?.calls ?? 0, source: pending ?? "", previous: known?.latest ?? known?.source, latest: pending });
      } else if (pending !== undefined) {
        // The loaded version stays what runs; the rejected one is what the next version changes.
        known.latest = pending;
      }
      break;
    case "tool_removed":
      note("tool-removed", `tool ${event.name} removed`);
      if (known) known.status = "removed";
      break;
    case "tool_called":
      note("tool-called", `${[event.name, ...event.args.map(shellQuote)].join(" ")} → exit ${event.exitCode} · ${Math.round(event.ms)} ms`);
      if (known) known.calls++;
      break;
  }
  return undefined;
}

/** A reply's words without its ```bash blocks (text format): the command shows on a line of its own. */
function withoutActions(content: string): string {
  return content.replace(/```(?:bash|mswea_bash_command)\s*\n[\s\S]*?```/g, "").replace(/\n{3,}/g, "\n\n").trim();
}

function stepOf(view: RunView, step: number): StepView {
  if (view.current?.step !== step) view.current = { step, thought: "", earlier: [], notes: [] };
  return view.current;
}

const COMMAND_FIELDS = ["command", "commandStartedAt", "rejected", "proposed", "output", "exitCode", "ms", "timedOut"] as const;

/** Makes room for the step's next command: one that ended (or was refused) moves to `earlier`. */
function nextCommand(step: StepView): StepView {
  if (step.command === undefined) return step;
  const ended: CommandView = {};
  for (const field of COMMAND_FIELDS) {
    if (step[field] !== undefined) Object.assign(ended, { [field]: step[field] });
    delete step[field];
  }
  step.earlier.push(ended);
  return step;
}

function finishCurrent(view: RunView): StepView | undefined {
  const finished = view.current;
  view.current = undefined;
  return finished;
}
