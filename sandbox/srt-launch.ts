import { SandboxManager, type SandboxRuntimeConfig } from "@anthropic-ai/sandbox-runtime";
import { existsSync } from "node:fs";
import { socketFolders, socketsUnder } from "./host-sockets.ts";
import { isWithin, secretStores, type SandboxPolicy } from "./sandbox-policy.ts";
import { socketRoots } from "./socket-folder.ts";

/**
 * Commands that may reach a few named domains run under @anthropic-ai/sandbox-runtime: its
 * bubblewrap sandbox routes all traffic through its proxy, which lets only those domains through.
 * It costs about 30 ms a command more than molt's own bubblewrap arguments, so it is used only
 * when --allow-domain asks for it (docs/sandbox.md has the measurements).
 */
let ready: Promise<void> | undefined;

function configOf(policy: SandboxPolicy, domains: string[]): SandboxRuntimeConfig {
  return {
    // The tool commands reach the tool host over a Unix socket.
    network: { allowedDomains: domains, deniedDomains: [], allowAllUnixSockets: true },
    filesystem: {
      // This sandbox shows the machine's /tmp: the sockets there are hidden one by one, as they are at
      // the start, and so are the other runs' socket folders. The run's own (in its policy) is let through.
      denyRead: [...secretStores(), ...socketFolders(), ...socketRoots(), ...socketsUnder("/tmp").filter((path) => !isWithin(path, [...policy.writable, ...policy.readOnly])), ...(policy.hidden ?? [])].filter((path) => existsSync(path)),
      allowRead: policy.readOnly.filter((path) => existsSync(path)),
      allowWrite: policy.writable,
      denyWrite: policy.readOnly.filter((path) => existsSync(path)),
    },
  };
}

/** The program, arguments and environment that run `shell` (an argv) in the domain-filtered sandbox. */
export async function srtLaunch(policy: SandboxPolicy, domains: string[], cwd: string, shell: string[]): Promise<{ file: string; args: string[]; env: Record<string, string> }> {
  ready ??= SandboxManager.initialize(configOf(policy, domains));
  await ready;
  const quoted = shell.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
  // The proxy's settings are in argv; the env it returns is molt's own (its keys, its sockets'
  // addresses), which must not reach commands: they get the environment molt gives them.
  const { argv } = await SandboxManager.wrapWithSandboxArgv(quoted, "bash", undefined, undefined, cwd);
  return { file: argv[0]!, args: argv.slice(1), env: {} };
}

/** Stops the sandbox runtime's proxies, if they were started: they would keep molt from exiting. */
export async function closeSrt(): Promise<void> {
  if (!ready) return;
  await ready.catch(() => undefined);
  ready = undefined;
  await SandboxManager.reset();
}
