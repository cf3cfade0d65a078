import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ActionFormat, type Limits } from "../../core/events/events.ts";
import { priceOf, type Price } from "../../core/pricing.ts";
import { UsageError } from "./usage-error.ts";

/** Everything a run needs to know, checked. */
export interface RunConfig {
  repo: string;
  base: string | undefined;
  issue: string;
  model: string;
  baseUrl: string | undefined;
  apiKey: string | undefined;
  /** Set when the model is `script:FILE`: molt serves the script itself. */
  scriptFile: string | undefined;
  output: string | undefined;
  actionFormat: ActionFormat;
  limits: Limits;
  retries: number;
  price: Price;
  json: boolean;
  keep: boolean;
  apply: boolean;
  /** Self-evolution: off with --no-evolve. */
  evolve: boolean;
  /** The tool library; molt's own evolved/ when not given. */
  evolvedDir: string | undefined;
  fresh: boolean;
  reminder: string | undefined;
  /** A command run in the workspace, with network, before the agent starts (`--setup`). */
  setup?: string;
  sandbox: SandboxSettings;
  requestTimeoutSec: number;
  display: DisplaySettings;
}

export interface DisplaySettings {
  /** Ask before every command (needs the live view). */
  confirm: boolean;
  theme: "dark" | "light";
  screenReader: boolean;
  /** The plain printer even on a terminal. */
  plain: boolean;
}

export interface SandboxSettings {
  kind: "bwrap" | "local";
  network: "none" | "all";
  allowDomains: string[];
  memLimitBytes: number;
  passEnv: string[];
}

const flagSpec = {
  repo: { type: "string" },
  base: { type: "string" },
  issue: { type: "string" },
  "issue-file": { type: "string" },
  model: { type: "string" },
  "base-url": { type: "string" },
  output: { type: "string", short: "o" },
  "action-format": { type: "string" },
  "step-limit": { type: "string" },
  "cost-limit": { type: "string" },
  "time-limit": { type: "string" },
  timeout: { type: "string" },
  retries: { type: "string" },
  "price-in": { type: "string" },
  "price-out": { type: "string" },
  json: { type: "boolean" },
  keep: { type: "boolean" },
  apply: { type: "boolean" },
  evolved: { type: "string" },
  fresh: { type: "boolean" },
  "no-evolve": { type: "boolean" },
  reminder: { type: "string" },
  sandbox: { type: "string" },
  "allow-network": { type: "boolean" },
  "allow-domain": { type: "string", multiple: true },
  "mem-limit": { type: "string" },
  "pass-env": { type: "string", multiple: true },
  "request-timeout": { type: "string" },
  confirm: { type: "boolean" },
  theme: { type: "string" },
  "screen-reader": { type: "boolean" },
  plain: { type: "boolean" },
  setup: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export type FlagName = keyof typeof flagSpec;

const wholeNumber = z
  .string()
  .regex(/^\d+$/, "must be a whole number")
  .transform(Number);
const amount = z
  .string()
  .refine((value) => /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()), "must be a number of 0 or more")
  .transform(Number);
const seconds = amount.refine((value) => value > 0, "must be more than 0 seconds");

const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*([kmgt]i?b?)?$/i, "must be a size such as 4G, 512M or 1000000")
  .transform((text) => {
    const match = /^(\d+(?:\.\d+)?)\s*([kmgt])?/i.exec(text)!;
    const power = " kmgt".indexOf((match[2] ?? " ").toLowerCase());
    return Math.round(Number(match[1]) * 1024 ** power);
  })
  .refine((bytes) => bytes >= 64 * 1024 ** 2, "must be at least 64M");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");
const domain = z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/, "must be a host name such as pypi.org or *.npmjs.org");

const Flags = z.object({
  repo: z.string().min(1, "must name a folder").default("."),
  base: z.string().min(1).optional(),
  issue: z.string().optional(),
  "issue-file": z.string().min(1, "must name a file").optional(),
  model: z.string().min(1, "must name a model").optional(),
  "base-url": z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  output: z.string().min(1, "must name a folder").optional(),
  "action-format": z.enum(ActionFormat.options, { error: "must be tools or text" }).default("tools"),
  "step-limit": wholeNumber.default(250),
  "cost-limit": amount.default(3),
  "time-limit": amount.default(0),
  timeout: seconds.default(60),
  retries: wholeNumber.refine((value) => value <= 20, "must be 20 or fewer").default(4),
  "price-in": amount.optional(),
  "price-out": amount.optional(),
  json: z.boolean().default(false),
  keep: z.boolean().default(false),
  apply: z.boolean().default(false),
  evolved: z.string().min(1, "must name a folder").optional(),
  fresh: z.boolean().default(false),
  "no-evolve": z.boolean().default(false),
  reminder: z.string().optional(),
  sandbox: z.enum(["bwrap", "local"], { error: "must be bwrap or local" }).optional(),
  "allow-network": z.boolean().default(false),
  "allow-domain": z.array(domain).default([]),
  "mem-limit": byteSize.default(4 * 1024 ** 3),
  "pass-env": z.array(envName).default([]),
  "request-timeout": seconds.default(600),
  confirm: z.boolean().default(false),
  theme: z.enum(["dark", "light"], { error: "must be dark or light" }).default("dark"),
  "screen-reader": z.boolean().default(false),
  plain: z.boolean().default(false),
  setup: z.string().refine((command) => command.trim() !== "", "must be a command").optional(),
  help: z.boolean().default(false),
});
export type Flags = z.infer<typeof Flags>;

/** Parses a command's flags; only the names in `allowed` are accepted. */
export function parseFlags(args: string[], allowed: readonly FlagName[]): Flags {
  const options = Object.fromEntries(allowed.map((name) => [name, flagSpec[name]]));
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const parsed = Flags.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const value = values[name];
    const got = Array.isArray(value) && typeof issue.path[1] === "number" ? value[issue.path[1]] : value;
    throw new UsageError(`--${name} ${issue.message} (got "${String(got)}")`);
  }
  return parsed.data;
}

export function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}"`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split("\n", 1)[0]!;
}

export function limitsOf(flags: Flags): Limits {
  return {
    stepLimit: flags["step-limit"],
    costLimit: flags["cost-limit"],
    timeLimitSec: flags["time-limit"],
    commandTimeoutSec: flags.timeout,
  };
}

export function priceFor(model: string, flags: Flags): Price {
  const known = priceOf(model);
  return { inPerMTok: flags["price-in"] ?? known.inPerMTok, outPerMTok: flags["price-out"] ?? known.outPerMTok };
}

/** The issue text from --issue, --issue-file or standard input, in that order; never empty. */
export async function readIssue(flags: Flags, stdin: NodeJS.ReadStream): Promise<string> {
  if (flags.issue !== undefined && flags["issue-file"] !== undefined) throw new UsageError("give the issue with --issue or --issue-file, not both");
  let issue: string;
  if (flags.issue !== undefined) issue = flags.issue;
  else if (flags["issue-file"] !== undefined) {
    const file = flags["issue-file"];
    try {
      issue = await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
      throw new UsageError(`cannot read the issue file ${file}: ${why}`);
    }
  } else if (!stdin.isTTY) {
    issue = await readStream(stdin);
  } else {
    throw new UsageError("no issue: pass --issue TEXT, --issue-file FILE, or pipe the issue on standard input");
  }
  if (issue.trim() === "") throw new UsageError("the issue is empty");
  return issue;
}

async function readStream(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** The full run configuration of `molt run`. */
export async function runConfigOf(flags: Flags, env: NodeJS.ProcessEnv, stdin: NodeJS.ReadStream): Promise<RunConfig> {
  const model = flags.model ?? env.MOLT_MODEL;
  if (!model) throw new UsageError("no model: pass --model NAME or set MOLT_MODEL");
  const scriptFile = model.startsWith("script:") ? model.slice("script:".length) : undefined;
  if (scriptFile === "") throw new UsageError("--model script:FILE needs a file");
  const baseUrl = flags["base-url"] ?? (env.OPENAI_BASE_URL || undefined);
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) throw new UsageError(`OPENAI_BASE_URL is not a URL (got "${baseUrl}")`);
  const apiKey = env.OPENAI_API_KEY || undefined;
  if (!scriptFile && !apiKey && baseUrl === undefined) {
    throw new UsageError("no API key: set OPENAI_API_KEY, or point --base-url at an endpoint that needs none");
  }
  return {
    repo: flags.repo,
    base: flags.base,
    issue: await readIssue(flags, stdin),
    model,
    baseUrl,
    apiKey,
    scriptFile,
    output: flags.output,
    actionFormat: flags["action-format"],
    limits: limitsOf(flags),
    retries: flags.retries,
    price: priceFor(model, flags),
    json: flags.json,
    keep: flags.keep,
    apply: flags.apply,
    ...evolutionOf(flags),
    ...(flags.setup !== undefined ? { setup: flags.setup } : {}),
    sandbox: sandboxOf(flags),
    requestTimeoutSec: flags["request-timeout"],
    display: displayOf(flags),
  };
}

export function displayOf(flags: Flags): DisplaySettings {
  if (flags.confirm && flags.json) throw new UsageError("--confirm needs the live view; it cannot be combined with --json");
  if (flags.confirm && flags.plain) throw new UsageError("--confirm needs the live view; it cannot be combined with --plain");
  return { confirm: flags.confirm, theme: flags.theme, screenReader: flags["screen-reader"] || process.env.INK_SCREEN_READER === "true", plain: flags.plain };
}

export function sandboxOf(flags: Flags): SandboxSettings {
  if (flags["allow-network"] && flags["allow-domain"].length > 0) throw new UsageError("--allow-network already allows every domain; drop --allow-domain");
  const kind = flags.sandbox ?? (process.platform === "linux" ? "bwrap" : "local");
  if (kind === "local" && flags["allow-domain"].length > 0) throw new UsageError("--allow-domain needs the bwrap sandbox; with --sandbox local every domain is reachable");
  return {
    kind,
    network: flags["allow-network"] || kind === "local" ? "all" : "none",
    allowDomains: flags["allow-domain"],
    memLimitBytes: flags["mem-limit"],
    passEnv: flags["pass-env"],
  };
}

export function evolutionOf(flags: Flags): Pick<RunConfig, "evolve" | "evolvedDir" | "fresh" | "reminder"> {
  if (flags["no-evolve"] && (flags.fresh || flags.evolved !== undefined)) {
    throw new UsageError("--no-evolve turns tools off; it cannot be combined with --fresh or --evolved");
  }
  const evolvedDir = flags.evolved ?? (process.env.MOLT_LIBRARY || undefined);
  return { evolve: !flags["no-evolve"], evolvedDir, fresh: flags.fresh, reminder: flags.reminder };
}
