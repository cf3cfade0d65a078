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

export const Limits = z.object({
  /** Model calls; 0 means no limit. */
  stepLimit: z.number().int().nonnegative(),
  /** USD; 0 means no limit. */
  costLimit: z.number().nonnegative(),
  /** Wall-clock seconds for the whole run; 0 means no limit. */
  timeLimitSec: z.number().nonnegative(),
  /** Seconds one command may take before it is killed. */
  commandTimeoutSec: z.number().positive(),
});
export type Limits = z.infer<typeof Limits>;

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
  requestTimeoutSec: z.number().positive(),
  price: Price,
});
export type ModelSpec = z.infer<typeof ModelSpec>;

export const SandboxSpec = z.object({
  kind: z.enum(["bwrap", "local"]),
  network: z.enum(["none", "all"]),
  allowDomains: z.array(z.string()),
  memLimitBytes: z.number().positive(),
  /** Variables of molt's environment that commands see, beyond the safe few. */
  passEnv: z.array(z.string()),
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

export const RunSpec = z.object({
  /** The git repository the run works on (an absolute path once the run has started). */
  repo: z.string(),
  /** The commit to start from: HEAD when absent; the commit itself once the run has started. */
  base: z.string().optional(),
  issue: z.string(),
  /** A command run in the workspace, with network, before the agent starts. */
  setup: z.string().optional(),
  model: ModelSpec,
  limits: Limits,
  sandbox: SandboxSpec,
  evolution: EvolutionSpec,
});
export type RunSpec = z.infer<typeof RunSpec>;
