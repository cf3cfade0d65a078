import { MAIN_HELP } from "./cli/help.ts";
import type { CommandIO } from "./cli/io.ts";
import { UsageError } from "./cli/usage-error.ts";
import { MOLT_VERSION } from "../core/version.ts";
import { InputError } from "./runtime/input-error.ts";

type Command = (args: string[], io: CommandIO) => Promise<number>;

/** Each command's module, loaded on demand so that --help and --version answer at once. */
const COMMANDS: Record<string, () => Promise<{ command: Command; help: () => string }>> = {
  run: async () => import("./cli/run-command.ts").then((m) => ({ command: m.runCommand, help: m.runHelp })),
  demo: async () => import("./cli/demo-command.ts").then((m) => ({ command: m.demoCommand, help: m.demoHelp })),
  resume: async () => import("./cli/resume-command.ts").then((m) => ({ command: m.resumeCommand, help: m.resumeHelp })),
  replay: async () => import("./cli/replay-command.ts").then((m) => ({ command: m.replayCommand, help: m.replayHelp })),
  runs: async () => import("./cli/runs-command.ts").then((m) => ({ command: m.runsCommand, help: m.runsHelp })),
  tools: async () => import("./cli/tools-command.ts").then((m) => ({ command: m.toolsCommand, help: m.toolsHelp })),
  batch: async () => import("./cli/batch-command.ts").then((m) => ({ command: m.batchCommand, help: m.batchHelp })),
  eval: async () => import("./cli/eval-command.ts").then((m) => ({ command: m.evalCommand, help: m.evalHelp })),
  config: async () => import("./cli/config-command.ts").then((m) => ({ command: m.configCommand, help: m.configHelp })),
  doctor: async () => import("./cli/doctor-command.ts").then((m) => ({ command: m.doctorCommand, help: m.doctorHelp })),
};
const NAMES = Object.keys(COMMANDS).join(", ");

/** Runs one molt command line and returns its exit code. Errors never escape as stack traces. */
export async function main(args: string[]): Promise<number> {
  const io: CommandIO = { stdout: process.stdout, stderr: process.stderr };
  try {
    const [name, ...rest] = args;
    switch (name) {
      case undefined:
      case "-h":
      case "--help":
        io.stdout.write(MAIN_HELP);
        return 0;
      case "-v":
      case "--version":
        io.stdout.write(`${MOLT_VERSION}\n`);
        return 0;
      case "help": {
        const topic = rest[0];
        if (topic === undefined) io.stdout.write(MAIN_HELP);
        else if (COMMANDS[topic]) io.stdout.write((await COMMANDS[topic]()).help());
        else throw new UsageError(`no command "${topic}" (commands: ${NAMES})`);
        return 0;
      }
      default: {
        const load = COMMANDS[name];
        if (!load) throw new UsageError(`unknown command "${name}" (commands: ${NAMES}; see molt --help)`);
        return await (await load()).command(rest, io);
      }
    }
  } catch (error) {
    // Bad usage, or input that cannot be used: one line, and exit code 2.
    if (error instanceof UsageError || error instanceof InputError) {
      io.stderr.write(`molt: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`molt: internal error: ${message.split("\n", 1)[0]}${process.env.MOLT_DEBUG ? "" : " (set MOLT_DEBUG=1 for details)"}\n`);
    if (process.env.MOLT_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
