import { lstat, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { Environment } from "../../core/environment.ts";
import type { EventBus } from "../../core/events/event-bus.ts";
import type { MoltEvent } from "../../core/events/events.ts";
import type { EvolutionSpec } from "../../core/run-spec.ts";
import { CommandExecutor, type ExecutorOptions } from "../../sandbox/command-executor.ts";
import { MOLT_ROOT } from "../../sandbox/molt-root.ts";
import type { SandboxPolicy } from "../../sandbox/sandbox-policy.ts";
import { Evolution } from "../../tools/evolution.ts";
import { DEFAULT_REMINDER, evolutionPrompt } from "../../tools/evolution-prompt.ts";
import { libraryFolder } from "../../core/data-folder.ts";
import { ToolLibrary } from "../../tools/library.ts";
import { makeSocketFolder, type SocketFolder } from "../../sandbox/socket-folder.ts";
import { SOCKET_NAME, ToolHostClient } from "../../tools/tool-host-client.ts";
import { ValidatorClient } from "../../tools/validator-client.ts";

/**
 * The run's folders for self-evolution. Two are the agent's (it writes them, or the tools it wrote
 * do); two are molt's, which molt writes outside the sandbox and no sandbox may write.
 */
export interface EvolutionFolders {
  /** $MOLT_EVOLVED: where the agent writes its tools. */
  evolved: string;
  /**
   * The tool host's socket: the host writes it, and so may the tools it runs. Short, outside the
   * run's folders, whose paths may be too long for a socket; none when it could not be made.
   */
  host: SocketFolder;
  /** molt's: the tool commands and their compile cache. */
  commands: string;
  /** molt's: node_modules/molt, by which tools in the evolved folder import "molt/tool". */
  modules: string;
}

/** What a sandbox must let through of the evolution folders, besides the workspace and the home. */
export interface FolderAccess {
  writable: string[];
  readOnly: string[];
}

/** The tool host writes its socket's folder and the evolved folder, and reads the molt/tool link. */
export function hostAccess(folders: EvolutionFolders): FolderAccess {
  return { writable: [folders.evolved, ...socketDir(folders)], readOnly: [folders.modules] };
}

/** The agent's commands write the evolved folder, reach the host's socket, and read molt's folders. */
export function commandAccess(folders: EvolutionFolders): FolderAccess {
  return { writable: [folders.evolved], readOnly: [...socketDir(folders), folders.commands, folders.modules] };
}

function socketDir(folders: EvolutionFolders): string[] {
  return folders.host.ok ? [folders.host.dir] : [];
}

export interface EvolutionSetup {
  folders: EvolutionFolders;
  /** Variables every command gets: MOLT_EVOLVED, the tools' folder first on PATH, the host's socket. */
  env: Record<string, string>;
  /** What the agent's commands must be let through. */
  access: FolderAccess;
  instructions: string;
  around(inner: Environment): Environment;
  /** Keeps what the run made in the library and stops the tool host. */
  close(): Promise<void>;
}

export interface EvolutionSettings {
  /** A private folder of the run, for the evolved folder, the host's socket and the tool commands. */
  container: string;
  workspace: string;
  /** The commands' environment without molt's additions. */
  baseEnv: Record<string, string>;
  evolution: EvolutionSpec;
  callTimeoutMs: number;
  bus: EventBus;
  runId: string;
  /** The sandbox the tool host runs in, which must let it through these folders. */
  hostSandbox(access: FolderAccess): SandboxPolicy;
  /** How the agent's commands run, with this environment and these folders besides (for the relays of tools' examples). */
  commandOptions(env: Record<string, string>, access: FolderAccess): ExecutorOptions;
  /** The memory of the tool host with all its tools: --mem-limit. */
  memBytes: number;
  /** The record of the run so far, when it is resumed. */
  record?: readonly MoltEvent[];
}

/** molt's link by which tools import "molt/tool": in molt's own folder, made once, never through a link. */
async function linkMolt(modules: string): Promise<void> {
  await mkdir(modules, { recursive: true });
  const link = join(modules, "molt");
  if (!(await lstat(link).catch(() => undefined))) await symlink(MOLT_ROOT, link, "dir");
}

/** Starts the tool host and the validator, fills the run's evolved folder from the library and loads it. */
export async function setUpEvolution(settings: EvolutionSettings): Promise<EvolutionSetup> {
  const folders: EvolutionFolders = {
    evolved: join(settings.container, "evolved"),
    host: makeSocketFolder(SOCKET_NAME),
    commands: join(settings.container, "tool-commands"),
    modules: join(settings.container, "node_modules"),
  };
  const folder = folders.evolved;
  await Promise.all([folders.evolved, folders.commands].map((dir) => mkdir(dir, { recursive: true })));
  await linkMolt(folders.modules);
  const basePath = settings.baseEnv.PATH ?? "";
  const validator = new ValidatorClient(basePath);
  const access = commandAccess(folders);
  // What tools' examples run with ctx.exec runs as the agent's commands run: in a command (a relay) of its own.
  let relays: CommandExecutor | undefined;
  // The host starts with the first tool loaded: a run that makes and keeps no tool never starts it.
  const host = ToolHostClient.start({
    dir: folders.commands,
    socketFolder: folders.host,
    workspace: settings.workspace,
    env: { ...settings.baseEnv, MOLT_EVOLVED: folder },
    callTimeoutMs: settings.callTimeoutMs,
    sandbox: settings.hostSandbox(hostAccess(folders)),
    memBytes: settings.memBytes,
    runCommand: (command) => relays!.execute(command),
  });
  const env = { MOLT_EVOLVED: folder, PATH: `${host.binDir}:${basePath}`, ...host.commandEnv };
  relays = new CommandExecutor(settings.commandOptions(env, access));
  try {
    const evolution = await Evolution.open({
      folder,
      library: new ToolLibrary(settings.evolution.library ?? libraryFolder()),
      fresh: settings.evolution.fresh,
      host,
      validator,
      bus: settings.bus,
      runId: settings.runId,
      reminder: settings.evolution.reminder ?? DEFAULT_REMINDER,
      record: settings.record,
    });
    return {
      folders,
      env,
      access,
      instructions: evolutionPrompt(folder, evolution.tools),
      around: (inner) => evolution.around(inner),
      close: async () => {
        try {
          await evolution.finish();
        } finally {
          await relays.close();
          await host.stop();
          await validator.close();
        }
      },
    };
  } catch (error) {
    await relays.close();
    await host.stop();
    await validator.close();
    throw error;
  }
}
