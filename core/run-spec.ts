import { z } from "zod";
import { Price } from "./pricing.ts";

/**
 * Everything that decides how a run goes, as data: what `molt run` builds from its flags, what
 * run_started records, and what `molt resume`, `molt replay --exec` and a batch's workers are given
 * and read back whole. Where a run's files go, secrets and how it is shown are not part of it.
 */

/** How the model acts: a `bash` function call, or one ```bash block in its text. */
export const ActionFormat = z.enum(["tools", "text"]);
export type ActionFormat = z.infer<typeof ActionFormat>;

/**
 * The longest time molt can wait for: Node's timers take at most 2^31-1 ms (about 24.8 days), and
 * take a longer one as 1 ms, which would kill every command and give up on every request at once.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export const TOO_LONG = `must be at most ${MAX_TIMER_SECONDS} seconds (about 24 days)`;

export const Limits = z.object({
  /** Model calls; 0 means no limit. */
  stepLimit: z.number().int().nonnegative(),
  /** USD; 0 means no limit. */
  costLimit: z.number().nonnegative(),
  /** Wall-clock seconds for the whole run; 0 means no limit. */
  timeLimitSec: z.number().nonnegative().max(MAX_TIMER_SECONDS, TOO_LONG),
  /** Seconds one command may take before it is killed. */
  commandTimeoutSec: z.number().positive().max(MAX_TIMER_SECONDS, TOO_LONG),
});
export type Limits = z.infer<typeof Limits>;

/** Prompt-cache breakpoints: none, or mini-SWE-agent's `default_end` (the last message marked), which Claude models need. */
export const CacheControl = z.enum(["none", "default_end"]);
export type CacheControl = z.infer<typeof CacheControl>;

export const ModelSpec = z.object({
  /** The model's name as the endpoint knows it. */
  name: z.string(),
  /** A JSON list of replies that molt's scripted server serves in place of an endpoint (`--model script:FILE`). */
  script: z.string().optional(),
  /** An OpenAI-compatible endpoint; OpenAI's when absent. */
  baseUrl: z.string().optional(),
  actionFormat: ActionFormat,
  /** How many times a failed call is tried again. */
  retries: z.number().int().nonnegative(),
  requestTimeoutSec: z.number().positive().max(MAX_TIMER_SECONDS, TOO_LONG),
  price: Price,
  /** Sent with every request (temperature, max_tokens, reasoning_effort, provider fields): the config's model.model_kwargs. */
  kwargs: z.record(z.string(), z.unknown()).default({}),
  /** None when absent. */
  cacheControl: CacheControl.optional(),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

export const SandboxSpec = z.object({
  kind: z.enum(["bwrap", "local"]),
  network: z.enum(["none", "all"]),
  allowDomains: z.array(z.string()),
  memLimitBytes: z.number().positive(),
  /** Variables of molt's environment that commands see, beyond the safe few. */
  passEnv: z.array(z.string()),
  /** Variables set for every command: the config's environment.env. */
  env: z.record(z.string(), z.string()).default({}),
});
export type SandboxSpec = z.infer<typeof SandboxSpec>;

export const EvolutionSpec = z.object({
  /** Off with --no-evolve: the plain mini-SWE-agent loop. */
  enabled: z.boolean(),
  /** The tool library; the user's default library when absent. */
  library: z.string().optional(),
  /** Start with an empty library and keep nothing. */
  fresh: z.boolean(),
  /** The line that ends every observation; molt's own when absent. */
  reminder: z.string().optional(),
});
export type EvolutionSpec = z.infer<typeof EvolutionSpec>;

/**
 * The agent's words and rules, as a mini-SWE-agent configuration gives them: Jinja2 templates
 * (rendered as Python's Jinja2 renders them) and the limits of its loop.
 */
export const AgentSpec = z.object({
  systemTemplate: z.string(),
  instanceTemplate: z.string(),
  /** What the agent reads after a command: `output.output`, `output.returncode`, `output.exception_info`. */
  observationTemplate: z.string(),
  /** What the agent reads after a reply with no command it can run: `error`, `actions`, `finish_reason`. */
  formatErrorTemplate: z.string(),
  /** mini-SWE-agent 1's message for a command that timed out (`action`, `output`); 2 uses the observation. */
  timeoutTemplate: z.string().optional(),
  /** In the text format: the regular expression (Python's syntax) whose first group is the command. molt's own rule when absent. */
  actionRegex: z.string().optional(),
  /** Replies in a row without a runnable command that end the run; 0 means no limit. */
  formatErrorLimit: z.number().int().nonnegative(),
  /** Ask before every command (`mode: confirm`). */
  confirm: z.boolean(),
});
export type AgentSpec = z.infer<typeof AgentSpec>;

export const RunSpec = z.object({
  /** The git repository the run works on (an absolute path once the run has started). */
  repo: z.string(),
  /** The commit to start from: HEAD when absent; the commit itself once the run has started. */
  base: z.string().optional(),
  issue: z.string(),
  /** A command run in the workspace, with network, before the agent starts. */
  setup: z.string().optional(),
  agent: AgentSpec,
  model: ModelSpec,
  limits: Limits,
  sandbox: SandboxSpec,
  evolution: EvolutionSpec,
});
export type RunSpec = z.infer<typeof RunSpec>;
