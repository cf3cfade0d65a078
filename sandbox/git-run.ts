import { execFileSync, spawn } from "node:child_process";

/**
 * Settings every git command of molt's gets. molt runs git on the host, on files the agent wrote
 * and in repositories it did not make, so nothing may start a program: no hooks, no fsmonitor, no
 * attributes file from a repository's config (a repository's own .gitattributes still counts: it
 * is part of the repository, and names no program by itself).
 */
export const SAFE_GIT_CONFIG = ["core.hooksPath=/dev/null", "core.fsmonitor=false", "core.attributesFile=/dev/null"];

const GIT_TIMEOUT_MS = 300_000;
const MAX_OUTPUT = 512 * 1024 * 1024;

/** The variables git needs to reach a network the user's way (a batch clones from GitHub); none of them names a program. */
const NETWORK_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH"];

/**
 * The environment of molt's own git commands: just what git needs to find itself and reach the
 * network, so no variable can point it at another repository or a helper program. No system or
 * global configuration is read, nor the attributes files beside them (git finds those through
 * HOME and XDG_CONFIG_HOME, which are left out): a diff or filter driver, an external diff or a
 * signing program the user configured for their own work never runs on what the agent wrote, and
 * the patch is the same whoever makes it.
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "USER", "TMPDIR", ...NETWORK_VARIABLES]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // git's messages in English: molt reads them ("fatal:", "error:"), and passes their lines on.
  return { ...env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_ATTR_NOSYSTEM: "1", ...extra };
}

/** The settings of a git command of molt's (`-c` each): `config`, then the user's own safe.directory exceptions. */
export function gitSettings(config: readonly string[] = SAFE_GIT_CONFIG): string[] {
  return [...config, ...userSafeDirectories().map((dir) => `safe.directory=${dir}`)];
}

function gitArgs(args: readonly string[], config: readonly string[]): string[] {
  return [...gitSettings(config).flatMap((setting) => ["-c", setting]), ...args];
}

let safeDirectories: string[] | undefined;

/**
 * The repositories the user told git to trust although someone else owns them (safe.directory in
 * their global or system configuration). molt reads no such configuration for its own commands,
 * so it carries these over: a repository the user's git works in, molt's works in too. Reading
 * configuration runs nothing.
 */
function userSafeDirectories(): string[] {
  if (safeDirectories) return safeDirectories;
  safeDirectories = [];
  try {
    const env: Record<string, string> = {};
    for (const name of ["PATH", "HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"]) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    const out = execFileSync("git", ["config", "--null", "--show-scope", "--get-all", "safe.directory"], { cwd: "/", env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] });
    const fields = out.split("\0");
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "global" || fields[i] === "system") safeDirectories.push(fields[i + 1]!);
    }
  } catch {
    // None set (git exits 1), or no git: nothing to carry over.
  }
  return safeDirectories;
}

export interface GitOptions {
  /** Written to git's standard input. */
  input?: string;
  /** Exit codes that are not failures (`add --ignore-errors` exits 1 when it left a file out). */
  okExitCodes?: readonly number[];
  /** Receives the output as it comes instead of collecting it: for output too big to hold (a patch). */
  onOutput?: (chunk: Buffer) => void;
  timeoutMs?: number;
}

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git directly, for the commands on a run's path (the workspace, the patch, the snapshots):
 * a plain child process answers in a few milliseconds, where simple-git's completion waits can add
 * tens of milliseconds to every call. Fails with git's own "fatal:"/"error:" line.
 */
export async function runGit(cwd: string, extraEnv: Record<string, string>, args: string[], config: readonly string[] = SAFE_GIT_CONFIG, options: GitOptions = {}): Promise<string> {
  return (await gitCommand(cwd, extraEnv, args, config, options)).stdout;
}

/** Runs git as `runGit` does, and also gives its error output and exit code. */
export function gitCommand(cwd: string, extraEnv: Record<string, string>, args: string[], config: readonly string[] = SAFE_GIT_CONFIG, options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", gitArgs(args, config), { cwd, env: gitEnv(extraEnv), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    const fail = (why: string) => {
      failure ??= why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => fail(`timed out after ${Math.round((options.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)} s`), options.timeoutMs ?? GIT_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      if (options.onOutput) {
        try {
          options.onOutput(chunk);
        } catch (error) {
          fail(firstLine(error));
        }
        return;
      }
      size += chunk.length;
      if (size > MAX_OUTPUT) fail(`more than ${MAX_OUTPUT / 1024 / 1024} MiB of output`);
      else out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 1024) err.push(chunk);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    child.on("error", (error) => fail(firstLine(error)));
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8");
      const exitCode = code ?? -1;
      if (failure !== undefined) reject(new Error(`git ${args[0]} failed: ${failure}`));
      else if (exitCode !== 0 && !options.okExitCodes?.includes(exitCode)) reject(new Error(`git ${args[0]} failed: ${problemOf(stderr) || `exit code ${exitCode}`}`));
      else resolve({ exitCode, stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
  });
}

/** The line of git's error output that says what went wrong: warnings may come before it. */
function problemOf(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? "";
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n", 1)[0] ?? "";
}
