import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/**
 * Where molt keeps what it makes for a user: $XDG_DATA_HOME/molt (default ~/.local/share/molt),
 * never the user's repository or molt's own install, which may not be writable.
 */
export function moltDataFolder(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(base, "molt");
}

/** Where runs go unless -o names a folder; `molt runs` lists it. */
export function runsFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(moltDataFolder(env), "runs");
}

/** The user's tool library unless MOLT_LIBRARY or --evolved names another. */
export function libraryFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(moltDataFolder(env), "library");
}
