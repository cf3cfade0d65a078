import { z } from "zod";
import { priceOf, type Price } from "../../core/pricing.ts";
import type { Configuration } from "../../core/config/configuration.ts";
import { baseUrlProblem } from "../../core/endpoint/endpoint-name.ts";
import { shownUrl } from "../../core/endpoint/url-secrets.ts";
import { ActionFormat, MAX_TIMER_SECONDS, TOO_LONG, type CacheControl, type EvolutionSpec, type Limits, type ModelSpec, type RunSpec, type SandboxSpec } from "../../core/run-spec.ts";
import { MIN_MEM_BYTES, NODE_CODE_RESERVE_BYTES } from "../../sandbox/limits.ts";
import { flag, pick, type FlagValues } from "./flags.ts";
import { readIssueFile, readIssueStream } from "./issue-input.ts";
import { checkFolder } from "../runtime/folder-check.ts";
import { UsageError } from "./usage-error.ts";

const wholeNumber = z.string().regex(/^\d+$/, "must be a whole number").transform(Number);
const amount = z
  .string()
  .refine((value) => /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()), "must be a number of 0 or more")
  .transform(Number);
/** A time molt waits for with a timer: more than 0, and no more than a timer can hold. */
const seconds = amount.refine((value) => value > 0, "must be more than 0 seconds").refine((value) => value <= MAX_TIMER_SECONDS, TOO_LONG);
/** A time limit: 0 for none. */
const timeLimit = amount.refine((value) => value <= MAX_TIMER_SECONDS, TOO_LONG);
const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*([kmgt]i?b?)?$/i, "must be a size such as 4G, 768M or 1000000")
  .transform((text) => {
    const match = /^(\d+(?:\.\d+)?)\s*([kmgt])?/i.exec(text)!;
    const power = " kmgt".indexOf((match[2] ?? " ").toLowerCase());
    return Math.round(Number(match[1]) * 1024 ** power);
  });
/** Memory for each process: not below what Node needs to start, since Node runs every tool call. */
const memorySize = byteSize.refine(
  (bytes) => bytes >= MIN_MEM_BYTES,
  `must be at least ${MIN_MEM_BYTES / 1024 ** 2}M: Node, which runs molt's tools (and many commands), reserves ${NODE_CODE_RESERVE_BYTES / 1024 ** 2}M for its code at start and cannot run under less`,
);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");
const domain = z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/, "must be a host name such as pypi.org or *.npmjs.org");
const folder = z.string().min(1, "must name a folder");
const toggle = z.boolean().default(false);

/** Every flag that shapes a run, for `molt run` and, in part, for demo, batch and resume. */
export const RUN_FLAGS = {
  repo: flag({ value: "DIR", schema: folder.default("."), help: "the git repository to work on (default: the current folder)" }),
  base: flag({ value: "COMMIT", schema: z.string().min(1).optional(), help: "the commit to start from (default HEAD)" }),
  issue: flag({ value: "TEXT", schema: z.string().optional(), help: "the issue to resolve" }),
  "issue-file": flag({ value: "FILE", schema: z.string().min(1, "must name a file").optional(), help: "read the issue from a file (or pipe it on standard input)" }),
  config: flag({
    value: "FILE|KEY=VALUE",
    short: "c",
    multiple: true,
    schema: z.array(z.string().min(1, "must name a file or set a key")).default([]),
    help: "a mini-SWE-agent configuration file (its 1.x or 2.x layout; repeatable, later files win), or one setting such as agent.step_limit=50 or agent.mode=yolo. With a file, its templates and settings replace molt's own; flags win over both. molt config show prints the result",
  }),
  model: flag({
    value: "NAME",
    schema: z.string().min(1, "must name a model").optional(),
    help: "the model (or the configuration's model.model_name, or MOLT_MODEL); script:FILE serves a JSON list of replies from molt's scripted OpenAI-compatible server instead of a model",
    config: "model.model_name",
  }),
  "base-url": flag({
    value: "URL",
    schema: z
      .string()
      .superRefine((url, context) => {
        const problem = baseUrlProblem(url);
        if (problem !== undefined) context.addIssue({ code: "custom", message: `cannot be used: ${problem}` });
      })
      .optional(),
    echo: shownUrl,
    help: "an OpenAI-compatible endpoint (or OPENAI_BASE_URL; default OpenAI). The key comes from OPENAI_API_KEY; local servers need none.",
  }),
  "model-kwargs": flag({
    value: "JSON",
    schema: z
      .string()
      .transform((text, context) => {
        try {
          const value: unknown = JSON.parse(text);
          if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
        } catch {
          // Said below.
        }
        context.addIssue({ code: "custom", message: 'must be a JSON object such as {"temperature": 0.2, "max_tokens": 4096}' });
        return z.NEVER;
      })
      .optional(),
    help: "fields sent with every request, over the configuration's model.model_kwargs: temperature, top_p, max_tokens, reasoning_effort, seed, provider fields. With \"drop_params\": true, a parameter the endpoint refuses is dropped (and said) instead of ending the run",
    config: "model.model_kwargs",
  }),
  header: flag({
    value: "NAME:VALUE",
    multiple: true,
    schema: z.array(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+:.*$/, "must be NAME:VALUE, such as HTTP-Referer:https://example.com")).default([]),
    help: "send this header with every request (providers that want more than the key); repeatable. Not recorded",
  }),
  "cache-control": flag({
    value: "MODE",
    schema: z.enum(["none", "default_end"], { error: "must be none or default_end" }).optional(),
    help: "prompt-cache breakpoints: default_end marks the last message, as mini-SWE-agent does for Claude models (molt does so for model names with anthropic, claude, sonnet, opus or haiku); none marks nothing",
    config: "model.set_cache_control",
  }),
  apply: flag({ schema: toggle, help: "apply the patch to your checkout if the agent submitted and it applies cleanly" }),
  setup: flag({
    value: "CMD",
    schema: z.string().refine((command) => command.trim() !== "", "must be a command").optional(),
    help: "run CMD in the workspace, with network, before the agent starts (installing dependencies); what it changes is the starting state, never the patch",
  }),
  "action-format": flag({
    value: "F",
    schema: z.enum(ActionFormat.options, { error: "must be tools or text" }).optional(),
    help: "how the model acts: tools (bash function calls; default) or text (one ```bash block per reply; the configuration's model.model_class litellm_textbased)",
  }),
  "step-limit": flag({ value: "N", schema: wholeNumber.optional(), help: "stop after N model calls (default 250; 0 means no limit)", config: "agent.step_limit" }),
  "cost-limit": flag({ value: "USD", schema: amount.optional(), help: "stop once the model calls cost this much (default 3; 0 means no limit)", config: "agent.cost_limit" }),
  "time-limit": flag({ value: "SEC", schema: timeLimit.optional(), help: "stop after this many seconds (default: no limit)", config: "agent.wall_time_limit_seconds" }),
  timeout: flag({ value: "SEC", schema: seconds.optional(), help: "kill a command after this many seconds (default 60)", config: "environment.timeout" }),
  "format-error-limit": flag({
    value: "N",
    schema: wholeNumber.optional(),
    help: "end the run after N replies in a row with no command that can run (default 3, as mini-SWE-agent; 0 means no limit: the step, cost and time limits still hold)",
    config: "agent.max_consecutive_format_errors",
  }),
  retries: flag({
    value: "N",
    schema: wholeNumber.refine((value) => value <= 20, "must be 20 or fewer").default(4),
    help: "retry a failed model call up to N times, with backoff (default 4)",
  }),
  "request-timeout": flag({ value: "SEC", schema: seconds.default(600), help: "give up on a model call that has not answered after this many seconds (default 600)" }),
  "price-in": flag({ value: "USD", schema: amount.optional(), help: "price of a million input tokens (default: molt's table; unknown models cost 0)" }),
  "price-out": flag({ value: "USD", schema: amount.optional(), help: "price of a million output tokens" }),
  "price-cached": flag({ value: "USD", schema: amount.optional(), help: "price of a million input tokens read from the prompt cache (default: molt's table, else the input price)" }),
  output: flag({ value: "DIR", short: "o", schema: folder.optional(), help: "where the run's files go (default ~/.local/share/molt/runs/<run id>, under $XDG_DATA_HOME when set)" }),
  json: flag({ schema: toggle, help: "print every event as one JSON line instead of the plain lines" }),
  plain: flag({ schema: toggle, help: "one plain line per step even on a terminal (no live view)" }),
  confirm: flag({ schema: toggle, help: "ask before every command: y runs it, n refuses it (and tells the agent why), e edits it first (the configuration's agent.mode: confirm)", config: "agent.mode" }),
  theme: flag({
    value: "T",
    schema: z.enum(["dark", "light"], { error: "must be dark or light" }).default("dark"),
    help: "dark (default) or light, for light terminal backgrounds; NO_COLOR is honoured",
  }),
  "screen-reader": flag({ schema: toggle, help: "words instead of symbols, no boxes, no animation" }),
  keep: flag({ schema: toggle, help: "keep the agent's workspace (a private clone) after the run" }),
  sandbox: flag({
    value: "S",
    schema: z.enum(["bwrap", "local"], { error: "must be bwrap or local" }).optional(),
    help: "bwrap (default on Linux: the workspace writable, the rest read-only, no network) or local (no isolation)",
  }),
  "allow-network": flag({ schema: toggle, help: "let commands reach the network" }),
  "allow-domain": flag({
    value: "HOST",
    multiple: true,
    schema: z.array(domain).default([]),
    help: "let commands reach this domain only (pypi.org, *.npmjs.org), through a filtering proxy; repeatable",
  }),
  "mem-limit": flag({ value: "SIZE", schema: memorySize.default(4 * 1024 ** 3), help: `memory for each process, such as 4G (default) or 1G; at least ${MIN_MEM_BYTES / 1024 ** 2}M` }),
  "pass-env": flag({
    value: "NAME",
    multiple: true,
    schema: z.array(envName).default([]),
    help: "pass this variable of yours to commands although it looks like a secret; repeatable",
  }),
  evolved: flag({ value: "DIR", schema: folder.optional(), help: "the tool library (default: MOLT_LIBRARY, else molt's own evolved/ folder)" }),
  fresh: flag({ schema: toggle, help: "start with an empty library and keep nothing (Live-SWE-agent's setting)" }),
  "no-evolve": flag({ schema: toggle, help: "no tools at all: the plain mini-SWE-agent loop, for comparison" }),
  reminder: flag({ value: "TEXT", schema: z.string().optional(), help: 'the line that ends every observation, inviting a tool ("" for none)' }),
  help: flag({ short: "h", schema: toggle, help: "show this help" }),
};
export type RunFlags = typeof RUN_FLAGS;

/**
 * The sandbox flags of a command that carries on or runs again a recorded run (`molt resume`,
 * `molt replay --exec`): the record's own sandbox is never used, so these, or their defaults, are
 * the sandbox. The memory limit has no default: the record's is kept, up to the default's.
 */
export function rerunSandboxFlags() {
  const memLimit = RUN_FLAGS["mem-limit"];
  return {
    ...pick(RUN_FLAGS, ["sandbox", "allow-network", "allow-domain", "pass-env"]),
    "mem-limit": flag({ ...memLimit, schema: memLimit.schema.removeDefault().optional(), help: "memory for each command, such as 4G or 1G (default: the run's own, at most 4G)" }),
  };
}

/** The values of any subset of the run flags; what is not given takes its default. */
export type RunValues = Partial<FlagValues<RunFlags>>;

function defaults(): FlagValues<RunFlags> {
  return Object.fromEntries(Object.entries(RUN_FLAGS).map(([name, definition]) => [name, definition.schema.parse(undefined)])) as FlagValues<RunFlags>;
}

/** The values given, over every flag's default. */
export function complete(values: RunValues): FlagValues<RunFlags> {
  return { ...defaults(), ...Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) };
}

export function limitsOf(configuration: Configuration): Limits {
  const { stepLimit, costLimit, timeLimitSec, commandTimeoutSec } = configuration;
  return { stepLimit, costLimit, timeLimitSec, commandTimeoutSec };
}

export function priceFor(model: string, values: RunValues): Price {
  const known = priceOf(model);
  const cached = values["price-cached"] ?? known.cachedInPerMTok;
  return {
    inPerMTok: values["price-in"] ?? known.inPerMTok,
    outPerMTok: values["price-out"] ?? known.outPerMTok,
    ...(cached !== undefined ? { cachedInPerMTok: cached } : {}),
    ...(known.cacheWritePerMTok !== undefined ? { cacheWritePerMTok: known.cacheWritePerMTok } : {}),
  };
}

/** Claude models bill the whole history again unless the request marks a cache breakpoint: mini-SWE-agent's rule for which models do. */
export function cacheControlFor(model: string, configured: CacheControl | undefined): CacheControl {
  return configured ?? (/anthropic|claude|sonnet|opus|haiku/i.test(model) ? "default_end" : "none");
}

/** The headers of --header NAME:VALUE. */
export function headersOf(values: RunValues): Record<string, string> {
  return Object.fromEntries((values.header ?? []).map((header) => [header.slice(0, header.indexOf(":")).trim(), header.slice(header.indexOf(":") + 1).trim()]));
}

export function modelSpecOf(name: string, baseUrl: string | undefined, values: RunValues, configuration: Configuration): ModelSpec {
  const all = complete(values);
  const script = name.startsWith("script:") ? name.slice("script:".length) : undefined;
  return {
    name,
    ...(script !== undefined ? { script } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    actionFormat: configuration.actionFormat,
    retries: all.retries,
    requestTimeoutSec: all["request-timeout"],
    price: priceFor(name, values),
    kwargs: configuration.modelKwargs,
    cacheControl: cacheControlFor(name, configuration.cacheControl),
  };
}

export function sandboxOf(values: RunValues, configuration: Pick<Configuration, "env">): SandboxSpec {
  const all = complete(values);
  if (all["allow-network"] && all["allow-domain"].length > 0) throw new UsageError("--allow-network already allows every domain; drop --allow-domain");
  const kind = all.sandbox ?? (process.platform === "linux" ? "bwrap" : "local");
  if (kind === "local" && all["allow-domain"].length > 0) throw new UsageError("--allow-domain needs the bwrap sandbox; with --sandbox local every domain is reachable");
  return {
    kind,
    network: all["allow-network"] || kind === "local" ? "all" : "none",
    allowDomains: all["allow-domain"],
    memLimitBytes: all["mem-limit"],
    passEnv: all["pass-env"],
    env: configuration.env,
  };
}

export function evolutionOf(values: RunValues, env: NodeJS.ProcessEnv): EvolutionSpec {
  const all = complete(values);
  if (all["no-evolve"] && (all.fresh || all.evolved !== undefined)) {
    throw new UsageError("--no-evolve turns tools off; it cannot be combined with --fresh or --evolved");
  }
  const library = all.evolved ?? (env.MOLT_LIBRARY || undefined);
  if (library !== undefined && !all["no-evolve"]) checkFolder(library, all.evolved !== undefined ? "--evolved" : "MOLT_LIBRARY");
  return {
    enabled: !all["no-evolve"],
    ...(library !== undefined ? { library } : {}),
    fresh: all.fresh,
    ...(all.reminder !== undefined ? { reminder: all.reminder } : {}),
  };
}

/** The issue text from --issue, --issue-file or standard input, in that order; never empty. */
export async function readIssue(values: RunValues, stdin: NodeJS.ReadStream): Promise<string> {
  if (values.issue !== undefined && values["issue-file"] !== undefined) throw new UsageError("give the issue with --issue or --issue-file, not both");
  let issue: string;
  if (values.issue !== undefined) issue = values.issue;
  else if (values["issue-file"] !== undefined) issue = readIssueFile(values["issue-file"]);
  else if (!stdin.isTTY) {
    issue = await readIssueStream(stdin);
  } else {
    throw new UsageError("no issue: pass --issue TEXT, --issue-file FILE, or pipe the issue on standard input");
  }
  if (issue.trim() === "") throw new UsageError("the issue is empty");
  return issue;
}

/** The endpoint `molt run` uses: the model, its address and its key, from the flags, the configuration and the environment. */
export function endpointOf(values: RunValues, env: NodeJS.ProcessEnv, configuration: Configuration): { model: string; baseUrl: string | undefined; apiKey: string | undefined } {
  const model = values.model ?? configuration.modelName ?? env.MOLT_MODEL;
  if (!model) throw new UsageError("no model: pass --model NAME, set model.model_name in a configuration, or set MOLT_MODEL");
  if (model === "script:") throw new UsageError("--model script:FILE needs a file");
  const baseUrl = values["base-url"] ?? (env.OPENAI_BASE_URL || undefined);
  const problem = baseUrl === undefined ? undefined : baseUrlProblem(baseUrl);
  if (problem !== undefined) throw new UsageError(`OPENAI_BASE_URL ${shownUrl(baseUrl!)} cannot be used: ${problem}`);
  const apiKey = env.OPENAI_API_KEY || undefined;
  if (!model.startsWith("script:") && !apiKey && baseUrl === undefined) {
    throw new UsageError("no API key: set OPENAI_API_KEY, or point --base-url at an endpoint that needs none");
  }
  return { model, baseUrl, apiKey };
}

/** The spec of `molt run`, from its flags, the configuration, the environment and the issue. */
export function runSpecOf(values: RunValues, env: NodeJS.ProcessEnv, issue: string, endpoint: { model: string; baseUrl: string | undefined }, configuration: Configuration): RunSpec {
  const all = complete(values);
  return {
    repo: all.repo,
    ...(all.base !== undefined ? { base: all.base } : {}),
    issue,
    ...(all.setup !== undefined ? { setup: all.setup } : {}),
    agent: configuration.agent,
    model: modelSpecOf(endpoint.model, endpoint.baseUrl, values, configuration),
    limits: limitsOf(configuration),
    sandbox: sandboxOf(values, configuration),
    evolution: evolutionOf(values, env),
  };
}

/** How the run is shown: chosen by the command line, never recorded. */
export interface Display {
  json: boolean;
  plain: boolean;
  confirm: boolean;
  theme: "dark" | "light";
  screenReader: boolean;
}

export function displayOf(values: RunValues, env: NodeJS.ProcessEnv, configuration: Configuration): Display {
  const all = complete(values);
  const confirm = configuration.agent.confirm;
  const asked = all.confirm ? "--confirm" : "agent.mode: confirm (pass -c agent.mode=yolo to run without asking)";
  if (confirm && all.json) throw new UsageError(`${asked} needs the live view; it cannot be combined with --json`);
  if (confirm && all.plain) throw new UsageError(`${asked} needs the live view; it cannot be combined with --plain`);
  return { json: all.json, plain: all.plain, confirm, theme: all.theme, screenReader: all["screen-reader"] || env.INK_SCREEN_READER === "true" };
}
