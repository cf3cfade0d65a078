import { existsSync, realpathSync } from "node:fs";
import { socketFolders } from "./host-sockets.ts";
import { homedir } from "node:os";
import { delimiter, dirname, join, sep } from "node:path";

export type SandboxKind = "bwrap" | "local";

/** What the agent's commands, and the tools it writes, may touch. */
export interface SandboxPolicy {
  kind: SandboxKind;
  /** Read-write: the workspace, the evolved folder, the private home. The rest of the file system is read-only. */
  writable: string[];
  /** Readable but not writable inside the sandbox, even where a writable folder holds them. */
  readOnly: string[];
  /** Folders shown empty: other runs' workspaces and records, which this run must not reach. */
  hidden?: string[];
  /** The run's own empty home folder, for HOME. */
  home: string;
  /** "none": no network; "all": the machine's network. */
  network: "none" | "all";
  /** With network "none": domains that may still be reached, through a filtering proxy. */
  allowDomains?: string[];
}

/** Where people keep credentials in their home folder: hidden from every command. */
const SECRET_STORES = [
  ".ssh", ".aws", ".gnupg", ".config/gh", ".netrc", ".npmrc", ".git-credentials", ".docker", ".kube",
  ".pypirc", ".config/gcloud", ".azure", ".password-store", ".cargo/credentials", ".cargo/credentials.toml",
  ".config/hub", ".gem/credentials", ".m2/settings.xml", ".terraform.d/credentials.tfrc.json", ".vault-token",
  ".config/op", ".local/share/keyrings",
  // Histories: what was typed at a shell or a REPL, tokens and passwords on command lines included.
  ".bash_history", ".zsh_history", ".zhistory", ".histfile", ".sh_history", ".local/share/fish/fish_history", ".python_history",
  ".node_repl_history", ".ts_node_repl_history", ".psql_history", ".mysql_history", ".sqlite_history", ".rediscli_history",
  ".mongosh", ".dbshell", ".irb_history", ".pry_history", ".lesshst", ".viminfo", ".local/state/nvim/shada",
];

export function secretStores(home = homedir()): string[] {
  return SECRET_STORES.map((path) => join(home, path));
}

/** Whether `path` is one of `folders` or lies inside one. */
export function isWithin(path: string, folders: readonly string[]): boolean {
  return folders.some((folder) => path === folder || path.startsWith(`${folder}${sep}`));
}

/** What every sandbox hides behind an empty folder: /tmp (each command gets its own) and the host's socket folders. */
export function hostHidden(env: NodeJS.ProcessEnv = process.env): string[] {
  return ["/tmp", ...socketFolders(env)];
}

/**
 * The folder a run's container was made in holds the other runs' workspaces and tool sockets: it
 * is shown empty. Never the root, the home or a folder above it (a careless MOLT_WORKSPACES).
 */
export function otherRunsBeside(container: string): string[] {
  const folder = dirname(container);
  const home = homedir();
  return folder === "/" || folder === home || home.startsWith(`${folder}${sep}`) ? [] : [folder];
}

/**
 * What commands need that a hidden folder would take away: the folders on PATH, the Node that
 * runs molt and molt itself, when they live under one. They are bound back, read-only.
 */
export function toolchainUnder(hidden: readonly string[], path: string | undefined, moltRoot: string): string[] {
  const candidates = [...(path ?? "").split(delimiter), dirname(process.execPath), moltRoot];
  const found = new Set<string>();
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    for (const dir of new Set([candidate, realpathSync(candidate)])) {
      if (isWithin(dir, hidden)) found.add(dir);
    }
  }
  return [...found];
}
