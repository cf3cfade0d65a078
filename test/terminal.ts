import { execa } from "execa";
import { MOLT, tempDir } from "./helpers.ts";

// ./bin/molt in a real terminal (a tmux pane): tests read the screen with capture-pane and press
// keys with send-keys. tmux runs on a socket of its own, so that no one's sessions are touched.

const SOCKET = `molt-test-${process.pid}`;
const sessions: string[] = [];
let count = 0;

export function tmux(...args: string[]) {
  return execa("tmux", ["-L", SOCKET, ...args]);
}

/** Ends every terminal opened so far (afterEach). */
export async function closeTerminals(): Promise<void> {
  for (const name of sessions.splice(0)) await tmux("kill-session", "-t", name).catch(() => undefined);
}

/** Ends the tmux server (afterAll). */
export async function stopTmux(): Promise<void> {
  await tmux("kill-server").catch(() => undefined);
}

export const shellQuoted = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export interface Terminal {
  name: string;
  /** What the terminal shows; with `history` (the default), the scrollback too. */
  screen(options?: { escapes?: boolean; history?: boolean }): Promise<string>;
  /** Polls the screen until it shows `what`; returns that screen. */
  waitFor(what: string | RegExp, options?: { timeoutMs?: number; escapes?: boolean; history?: boolean }): Promise<string>;
  /** Presses keys by their tmux names: q, Enter, Escape, Right, Home... */
  press(...keys: string[]): Promise<void>;
  /** Types text literally. */
  type(text: string): Promise<void>;
}

/**
 * Starts `molt ARGS` in a fresh tmux pane of the given size, as a user would in their terminal; the
 * pane's shell then prints molt's exit code as EXIT=N and lingers so that the screen can be read.
 */
export async function openTerminal(args: string[], options: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<Terminal> {
  const name = `t-${process.pid}-${++count}`;
  // Runs go to a data folder of the test's, never the user's.
  const env = { XDG_DATA_HOME: await tempDir("molt-data-"), ...options.env };
  // The tmux server keeps the environment of whoever started it: drop what would change how molt draws.
  const command = [
    "env -u CI -u NO_COLOR -u FORCE_COLOR -u INK_SCREEN_READER -u MOLT_MODEL -u OPENAI_BASE_URL",
    ...Object.entries(env).map(([key, value]) => shellQuoted(`${key}=${value}`)),
    shellQuoted(process.execPath),
    shellQuoted(MOLT),
    ...args.map(shellQuoted),
  ].join(" ");
  await tmux("new-session", "-d", "-s", name, "-x", String(options.width ?? 100), "-y", String(options.height ?? 40), `${command}; echo EXIT=$?; sleep 30`);
  sessions.push(name);

  const screen: Terminal["screen"] = async ({ escapes = false, history = true } = {}) =>
    (await tmux("capture-pane", "-p", "-J", ...(escapes ? ["-e"] : []), ...(history ? ["-S", "-2000"] : []), "-t", name)).stdout;
  return {
    name,
    screen,
    async waitFor(what, { timeoutMs = 30_000, escapes = false, history = true } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const shown = await screen({ escapes, history });
        if (typeof what === "string" ? shown.includes(what) : what.test(shown)) return shown;
        if (Date.now() > deadline) throw new Error(`the screen did not show ${String(what)} within ${timeoutMs} ms; it shows:\n${shown.trimEnd()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async press(...keys) {
      await tmux("send-keys", "-t", name, ...keys);
    },
    async type(text) {
      await tmux("send-keys", "-t", name, "-l", text);
    },
  };
}
