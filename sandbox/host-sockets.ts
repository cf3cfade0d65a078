import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * A Unix socket on the host is a door out of the sandbox: a read-only mount does not stop a
 * connect(), and behind the door may be an ssh agent that signs with the user's keys, a tmux
 * server that runs commands, or Docker. So the folders where services keep their sockets are
 * hidden from commands, and the variables that point at sockets are not passed on.
 */

/** Where host services keep their sockets: /run (and /var/run, its old name), and the user's runtime folder. */
export function socketFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const found = new Set<string>();
  for (const candidate of ["/run", "/var/run", env.XDG_RUNTIME_DIR]) {
    if (!candidate || !existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    if (real !== "/" && statSync(real).isDirectory()) found.add(real);
  }
  return [...found];
}

/** Variables that tell programs where a host socket is: ssh and gpg agents, D-Bus, tmux, screen, X11, Wayland, Docker, editors. */
const SOCKET_VARIABLES = new Set([
  "SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "XDG_RUNTIME_DIR",
  "TMUX", "TMUX_PANE", "TMUX_TMPDIR", "STY", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DOCKER_HOST", "CONTAINER_HOST", "PULSE_SERVER",
  "SWAYSOCK", "I3SOCK", "KITTY_LISTEN_ON", "NVIM", "NVIM_LISTEN_ADDRESS", "VSCODE_IPC_HOOK", "VSCODE_IPC_HOOK_CLI", "VSCODE_GIT_IPC_HANDLE",
]);

/** Whether a variable leads to a host socket: a known name, a `unix:` address, or a path that is a socket. */
export function isSocketVariable(name: string, value: string): boolean {
  if (SOCKET_VARIABLES.has(name) || /^unix:/i.test(value)) return true;
  if (!value.startsWith("/") || value.length > 4096 || value.includes(":")) return false;
  try {
    return lstatSync(value).isSocket();
  } catch {
    return false;
  }
}

/**
 * The sockets in a folder and the folders below it, to `depth` levels: for a sandbox that must
 * show the machine's /tmp (the domain-filtering one) and can only hide what it is told of.
 */
export function socketsUnder(dir: string, depth = 2): string[] {
  const found: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSocket()) found.push(path);
    else if (entry.isDirectory() && depth > 1) found.push(...socketsUnder(path, depth - 1));
  }
  return found;
}
