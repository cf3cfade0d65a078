import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Environment } from "../../core/environment.ts";
import type { EventBus } from "../../core/events/event-bus.ts";
import type { MoltEvent } from "../../core/events/events.ts";
import type { EvolutionSpec } from "../../core/run-spec.ts";
import type { SandboxPolicy } from "../../sandbox/sandbox-policy.ts";
import { Evolution } from "../../tools/evolution.ts";
import { DEFAULT_REMINDER, evolutionPrompt } from "../../tools/evolution-prompt.ts";
import { libraryFolder } from "../../core/data-folder.ts";
import { ToolLibrary } from "../../tools/library.ts";
import { ToolHostClient } from "../../tools/tool-host-client.ts";
import { ValidatorClient } from "../../tools/validator-client.ts";

export interface EvolutionFolders {
  /** $MOLT_EVOLVED: where the agent writes its tools. */
  evolved: string;
  /** The tool host's socket and the tool commands. */
  tools: string;
}

export interface EvolutionSetup {
  folders: EvolutionFolders;
  /** Variables every command gets: MOLT_EVOLVED, the tools' folder first on PATH, the host's socket. */
  env: Record<string, string>;
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
  /** The sandbox the tool host runs in. */
  hostSandbox(folders: EvolutionFolders): SandboxPolicy;
  /** The record of the run so far, when it is resumed. */
  record?: readonly MoltEvent[];
}

/** Starts the tool host and the validator, fills the run's evolved folder from the library and loads it. */
export async function setUpEvolution(settings: EvolutionSettings): Promise<EvolutionSetup> {
  const folders = { evolved: join(settings.container, "evolved"), tools: join(settings.container, "tools") };
  const folder = folders.evolved;
  await mkdir(folder, { recursive: true });
  const basePath = settings.baseEnv.PATH ?? "";
  const validator = new ValidatorClient(basePath);
  // The host starts with the first tool loaded: a run that makes and keeps no tool never starts it.
  const host = ToolHostClient.start({
    dir: folders.tools,
    workspace: settings.workspace,
    env: { ...settings.baseEnv, MOLT_EVOLVED: folder },
    callTimeoutMs: settings.callTimeoutMs,
    sandbox: settings.hostSandbox(folders),
  });
  const env = { MOLT_EVOLVED: folder, PATH: `${host.binDir}:${basePath}`, ...host.commandEnv };
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
      instructions: evolutionPrompt(folder, evolution.tools),
      around: (inner) => evolution.around(inner),
      close: async () => {
        try {
          await evolution.finish();
        } finally {
          await host.stop();
          await validator.close();
        }
      },
    };
  } catch (error) {
    await host.stop();
    await validator.close();
    throw error;
  }
}
