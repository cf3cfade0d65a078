import { MAX_TIMER_SECONDS, TOO_LONG, type ActionFormat, type AgentSpec, type CacheControl, type RunSpec } from "../run-spec.ts";
import { ConfigError, isTree, mergeConfig, MOLT_DEFAULT_CONFIG, readConfigFile, type ConfigSource, type ConfigTree } from "./config.ts";

/**
 * What molt makes of a mini-SWE-agent configuration: the agent's templates and rules, the limits,
 * the model's settings and the commands' variables, with one line for each key molt takes
 * differently and one for the keys it does not know.
 */
export interface Configuration {
  /** The merged configuration, as `molt config show` prints it. */
  tree: ConfigTree;
  agent: AgentSpec;
  actionFormat: ActionFormat;
  stepLimit: number;
  costLimit: number;
  timeLimitSec: number;
  commandTimeoutSec: number;
  modelName: string | undefined;
  modelKwargs: Record<string, unknown>;
  /** model.set_cache_control; undefined: molt decides by the model's name. */
  cacheControl: CacheControl | undefined;
  env: Record<string, string>;
  /** Keys molt maps to its own ways, said once. */
  notes: string[];
  /** Keys molt does not know, by their dotted paths. */
  unknown: string[];
}

/**
 * mini-SWE-agent 2.4's own defaults, for what a configuration file leaves out: a file replaces
 * molt's configuration as a whole, as `-c` replaces mini-SWE-agent's.
 */
const MINI_DEFAULTS = {
  observationTemplate:
    "{% if output.exception_info %}<exception>{{output.exception_info}}</exception>\n{% endif %}<returncode>{{output.returncode}}</returncode>\n<output>\n{{output.output}}</output>",
  toolsFormatError: "{{ error }}",
  textFormatError: "Please always provide EXACTLY ONE action in triple backticks, found {{actions|length}} actions.",
  textActionRegex: "```mswea_bash_command\\s*\\n(.*?)\\n```",
  stepLimit: 0,
  costLimit: 3,
  commandTimeoutSec: 30,
  formatErrorLimit: 3,
};

/** What molt does with the keys that mean something else here. */
const MAPPED: Record<string, string> = {
  "agent.agent_class": "molt runs its own agent",
  "agent.output_path": "molt writes its trajectory into the run's folder",
  "agent.whitelist_actions": "with confirmation on, molt asks about every command",
  "agent.confirm_exit": "molt ends a run at its submission",
  "environment.environment_class": "commands run in molt's workspace and sandbox",
  "environment.cwd": "commands run in molt's workspace (a private checkout of the repository)",
  "environment.interpreter": "commands run with bash in molt's sandbox",
  "model.cost_tracking": "molt prices tokens with its own table, --price-in and --price-out",
  "model.litellm_model_registry": "molt prices tokens with its own table, --price-in and --price-out",
  "model.multimodal_regex": "molt sends text only",
  "run.task": "the issue comes from --issue, --issue-file or standard input",
};

const KNOWN = new Set([
  "agent.system_template", "agent.instance_template", "agent.step_limit", "agent.cost_limit", "agent.wall_time_limit_seconds",
  "agent.max_consecutive_format_errors", "agent.mode", "agent.action_observation_template", "agent.format_error_template",
  "agent.timeout_template", "agent.action_regex", "environment.env", "environment.timeout", "model.model_name", "model.model_kwargs",
  "model.model_class", "model.observation_template", "model.format_error_template", "model.action_regex", "model.set_cache_control",
]);

/** The configuration a run uses: molt's own when `sources` names no file, the files' otherwise; then the `key=value` settings, in order. */
export function loadConfiguration(sources: readonly ConfigSource[], actionFormat?: ActionFormat): Configuration {
  const base = sources.some((source) => source.kind === "file") ? {} : readConfigFile(MOLT_DEFAULT_CONFIG);
  return resolveConfiguration(mergeConfig(base, sources), actionFormat);
}

/** Reads a merged configuration; `actionFormat` (from --action-format) wins over the configuration's model class. */
export function resolveConfiguration(tree: ConfigTree, actionFormat?: ActionFormat): Configuration {
  const agent = section(tree, "agent");
  const environment = section(tree, "environment");
  const model = section(tree, "model");
  const notes: string[] = [];
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(tree)) {
    if (!["agent", "environment", "model", "run"].includes(name)) unknown.push(name);
    else if (isTree(value)) {
      for (const key of Object.keys(value)) {
        const path = `${name}.${key}`;
        if (MAPPED[path]) notes.push(`${path}: ${MAPPED[path]}`);
        else if (!KNOWN.has(path)) unknown.push(path);
      }
    }
  }

  const modelClass = text(model, "model.model_class");
  const format = actionFormat ?? (modelClass !== undefined && /textbased/.test(modelClass) ? "text" : "tools");
  if (modelClass !== undefined && actionFormat === undefined) notes.push(`model.model_class: ${modelClass} means molt's ${format} format (--action-format ${format})`);
  const mode = text(agent, "agent.mode") ?? "yolo";
  if (mode !== "confirm" && mode !== "yolo") throw new ConfigError(`agent.mode: molt takes confirm (ask before every command) or yolo (no confirmation), not "${mode}"`);

  const systemTemplate = text(agent, "agent.system_template");
  const instanceTemplate = text(agent, "agent.instance_template");
  // As in mini-SWE-agent, a file given with -c replaces molt's own configuration rather than adding to it.
  const replaced = "a file given with -c replaces molt's own configuration: name it first (-c default -c yours.yaml), or set single keys (-c model.model_kwargs.temperature=0)";
  if (systemTemplate === undefined) throw new ConfigError(`the configuration has no agent.system_template; ${replaced}`);
  if (instanceTemplate === undefined) throw new ConfigError(`the configuration has no agent.instance_template; ${replaced}`);
  // mini-SWE-agent 1 kept these under agent:, 2 under model:; 2's place wins when both are there.
  const observationTemplate = text(model, "model.observation_template") ?? text(agent, "agent.action_observation_template") ?? MINI_DEFAULTS.observationTemplate;
  const formatErrorTemplate =
    text(model, "model.format_error_template") ?? text(agent, "agent.format_error_template") ?? (format === "text" ? MINI_DEFAULTS.textFormatError : MINI_DEFAULTS.toolsFormatError);
  const actionRegex = text(model, "model.action_regex") ?? text(agent, "agent.action_regex") ?? (format === "text" && modelClass !== undefined ? MINI_DEFAULTS.textActionRegex : undefined);
  const timeoutTemplate = text(agent, "agent.timeout_template");
  if (actionRegex !== undefined) checkRegex(actionRegex);

  return {
    tree,
    agent: {
      systemTemplate,
      instanceTemplate,
      observationTemplate,
      formatErrorTemplate,
      ...(timeoutTemplate !== undefined ? { timeoutTemplate } : {}),
      ...(actionRegex !== undefined ? { actionRegex } : {}),
      formatErrorLimit: count(agent, "agent.max_consecutive_format_errors") ?? MINI_DEFAULTS.formatErrorLimit,
      confirm: mode === "confirm",
    },
    actionFormat: format,
    stepLimit: count(agent, "agent.step_limit") ?? MINI_DEFAULTS.stepLimit,
    costLimit: amount(agent, "agent.cost_limit") ?? MINI_DEFAULTS.costLimit,
    timeLimitSec: timer(amount(agent, "agent.wall_time_limit_seconds"), "agent.wall_time_limit_seconds") ?? 0,
    commandTimeoutSec: timer(positive(environment, "environment.timeout"), "environment.timeout") ?? MINI_DEFAULTS.commandTimeoutSec,
    modelName: text(model, "model.model_name"),
    modelKwargs: mapping(model, "model.model_kwargs") ?? {},
    cacheControl: cacheControlOf(field(model, "model.set_cache_control")),
    env: Object.fromEntries(Object.entries(mapping(environment, "environment.env") ?? {}).map(([name, value]) => [name, scalarText(value, `environment.env.${name}`)])),
    notes,
    unknown,
  };
}

/** mini-SWE-agent's set_cache_control: "default_end", or null for none. */
function cacheControlOf(value: unknown): CacheControl | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === "none" || value === false) return "none";
  if (value === "default_end") return "default_end";
  throw new ConfigError(`model.set_cache_control: molt takes default_end or null (none), not ${JSON.stringify(value)}`);
}

function section(tree: ConfigTree, name: string): ConfigTree {
  const value = tree[name];
  if (value === undefined || value === null) return {};
  if (!isTree(value)) throw new ConfigError(`${name}: must be a mapping of settings`);
  return value;
}

function field(part: ConfigTree, path: string): unknown {
  return part[path.slice(path.indexOf(".") + 1)];
}

function text(part: ConfigTree, path: string): string | undefined {
  const value = field(part, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ConfigError(`${path}: must be text (got ${JSON.stringify(value)})`);
  return value;
}

function number(part: ConfigTree, path: string, check: (value: number) => boolean, what: string): number | undefined {
  const value = field(part, path);
  if (value === undefined || value === null) return undefined;
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof parsed !== "number" || !Number.isFinite(parsed) || !check(parsed)) throw new ConfigError(`${path}: must be ${what} (got ${JSON.stringify(value)})`);
  return parsed;
}

const count = (part: ConfigTree, path: string) => number(part, path, (value) => Number.isInteger(value) && value >= 0, "a whole number of 0 or more");
const amount = (part: ConfigTree, path: string) => number(part, path, (value) => value >= 0, "a number of 0 or more");
const positive = (part: ConfigTree, path: string) => number(part, path, (value) => value > 0, "a number of seconds above 0");
/** A time molt waits for with a timer, which cannot hold more. */
const timer = (seconds: number | undefined, path: string) => {
  if (seconds !== undefined && seconds > MAX_TIMER_SECONDS) throw new ConfigError(`${path}: ${TOO_LONG} (got ${seconds})`);
  return seconds;
};

function mapping(part: ConfigTree, path: string): ConfigTree | undefined {
  const value = field(part, path);
  if (value === undefined || value === null) return undefined;
  if (!isTree(value)) throw new ConfigError(`${path}: must be a mapping`);
  return value;
}

/** An environment variable's value as Python's str() writes a YAML scalar. */
function scalarText(value: unknown, path: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  throw new ConfigError(`${path}: must be text`);
}

function checkRegex(source: string): void {
  try {
    new RegExp(pythonRegex(source), "gs");
  } catch (error) {
    throw new ConfigError(`action_regex: not a regular expression (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A Python regular expression in JavaScript's syntax: named groups are written (?<name>…) there. */
export function pythonRegex(source: string): string {
  return source.replace(/\(\?P<(\w+)>/g, "(?<$1>").replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
}

/**
 * A recorded spec's configuration with these sources applied (`molt replay --exec -c …`): files
 * replace it, as they replace molt's own for a run; `key=value` settings change it.
 */
export function reconfigure(spec: RunSpec, sources: readonly ConfigSource[]): { spec: RunSpec; configuration: Configuration } {
  const recorded = resolveConfiguration(
    effectiveTree({
      agent: spec.agent,
      actionFormat: spec.model.actionFormat,
      stepLimit: spec.limits.stepLimit,
      costLimit: spec.limits.costLimit,
      timeLimitSec: spec.limits.timeLimitSec,
      commandTimeoutSec: spec.limits.commandTimeoutSec,
      modelName: undefined,
      modelKwargs: spec.model.kwargs,
      cacheControl: spec.model.cacheControl,
      env: spec.sandbox.env,
    }),
  );
  const base = sources.some((source) => source.kind === "file") ? {} : recorded.tree;
  const configuration = resolveConfiguration(mergeConfig(base, sources));
  const { stepLimit, costLimit, timeLimitSec, commandTimeoutSec } = configuration;
  return {
    configuration,
    spec: {
      ...spec,
      agent: configuration.agent,
      model: { ...spec.model, actionFormat: configuration.actionFormat, kwargs: configuration.modelKwargs, ...(configuration.cacheControl ? { cacheControl: configuration.cacheControl } : {}) },
      limits: { stepLimit, costLimit, timeLimitSec, commandTimeoutSec },
      sandbox: { ...spec.sandbox, env: configuration.env },
    },
  };
}

/** A configuration as molt runs it, written back in mini-SWE-agent 2's layout: what `molt config show` prints. */
export function effectiveTree(configuration: Pick<Configuration, "agent" | "actionFormat" | "stepLimit" | "costLimit" | "timeLimitSec" | "commandTimeoutSec" | "modelName" | "modelKwargs" | "cacheControl" | "env">): ConfigTree {
  const { agent } = configuration;
  return {
    agent: {
      system_template: agent.systemTemplate,
      instance_template: agent.instanceTemplate,
      step_limit: configuration.stepLimit,
      cost_limit: configuration.costLimit,
      wall_time_limit_seconds: configuration.timeLimitSec,
      max_consecutive_format_errors: agent.formatErrorLimit,
      mode: agent.confirm ? "confirm" : "yolo",
      ...(agent.timeoutTemplate !== undefined ? { timeout_template: agent.timeoutTemplate } : {}),
    },
    environment: { timeout: configuration.commandTimeoutSec, env: configuration.env },
    model: {
      ...(configuration.modelName !== undefined ? { model_name: configuration.modelName } : {}),
      model_class: configuration.actionFormat === "text" ? "litellm_textbased" : "litellm",
      observation_template: agent.observationTemplate,
      format_error_template: agent.formatErrorTemplate,
      ...(agent.actionRegex !== undefined ? { action_regex: agent.actionRegex } : {}),
      model_kwargs: configuration.modelKwargs,
      ...(configuration.cacheControl !== undefined ? { set_cache_control: configuration.cacheControl === "none" ? null : configuration.cacheControl } : {}),
    },
  };
}
