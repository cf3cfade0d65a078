import { lstatSync, mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";

/**
 * A Unix socket's path must fit in sun_path: 108 bytes on Linux (104 on macOS), with its
 * terminating NUL. Users' folders are often deeper than that, so molt keeps a run's sockets in a
 * short folder of its own, made new for the run, and binds only that one into the run's sandbox.
 */
export const SOCKET_PATH_MAX = process.platform === "darwin" ? 103 : 107;

export type SocketFolder = { ok: true; dir: string } | { ok: false; reason: string };

/** The folders that hold the runs' socket folders, one per user: a sandbox that shows /tmp hides them. */
export function socketRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const roots = [join("/tmp", `molt-${process.getuid?.() ?? "user"}`)];
  if (env.XDG_RUNTIME_DIR?.startsWith("/")) roots.unshift(join(env.XDG_RUNTIME_DIR, "molt"));
  return roots;
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** Whether a folder is this user's alone: a real folder (not a link), owned by us, open to no one else. */
function isOwnPrivateFolder(dir: string): boolean {
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o077) === 0;
}

/**
 * A new, private, short folder for one run's sockets, whose longest socket path (`longestName`
 * inside it) fits. Tried in order: the user's runtime folder, molt's folder in /tmp, a folder of
 * its own in /tmp. A root another user made, or a link, is passed over.
 */
export function makeSocketFolder(longestName: string, env: NodeJS.ProcessEnv = process.env): SocketFolder {
  const problems: string[] = [];
  const fits = (dir: string) => Buffer.byteLength(join(dir, longestName)) <= SOCKET_PATH_MAX;
  for (const root of socketRoots(env)) {
    if (!fits(join(root, "r-XXXXXX"))) {
      problems.push(`${root} is too long for a socket path`);
      continue;
    }
    try {
      mkdirSync(root, { mode: 0o700 });
    } catch (error) {
      if (codeOf(error) !== "EEXIST") {
        problems.push(`${root}: ${codeOf(error)}`);
        continue;
      }
    }
    try {
      if (!isOwnPrivateFolder(root)) {
        problems.push(`${root} is not molt's own private folder`);
        continue;
      }
      return { ok: true, dir: mkdtempSync(join(root, "r-")) };
    } catch (error) {
      problems.push(`${root}: ${codeOf(error)}`);
    }
  }
  try {
    return { ok: true, dir: mkdtempSync("/tmp/molt-s-") };
  } catch (error) {
    problems.push(`/tmp: ${codeOf(error)}`);
  }
  return { ok: false, reason: `molt could not make a folder for the tool host's socket (${problems.join("; ")})` };
}
