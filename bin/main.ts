import { MOLT_VERSION } from "../core/version.ts";
import { BATCH_HELP, DEMO_HELP, EVAL_HELP, MAIN_HELP, REPLAY_HELP, RESUME_HELP, RUN_HELP, RUNS_HELP, TOOLS_HELP } from "./cli/help.ts";
import { UsageError } from "./cli/usage-error.ts";

const HELP: Record<string, string> = { run: RUN_HELP, demo: DEMO_HELP, resume: RESUME_HELP, tools: TOOLS_HELP, replay: REPLAY_HELP, runs: RUNS_HELP, batch: BATCH_HELP, eval: EVAL_HELP };

/** Runs one molt command line and returns its exit code. Errors never escape as stack traces. */
export async function main(args: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  try {
    const [command, ...rest] = args;
    switch (command) {
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
        else if (HELP[topic]) io.stdout.write(HELP[topic]);
        else throw new UsageError(`no command "${topic}" (commands: run, demo, resume, replay, runs, tools, batch, eval)`);
        return 0;
      }
      // Commands load on demand, so that --help and --version answer at once.
      case "run":
        return await (await import("./cli/run-command.ts")).runCommand(rest, io);
      case "demo":
        return await (await import("./cli/demo-command.ts")).demoCommand(rest, io);
      case "resume":
        return await (await import("./cli/resume-command.ts")).resumeCommand(rest, io);
      case "tools":
        return await (await import("./cli/tools-command.ts")).toolsCommand(rest, io);
      case "replay":
        return await (await import("./cli/replay-command.ts")).replayCommand(rest, io);
      case "runs":
        return await (await import("./cli/runs-command.ts")).runsCommand(rest, io);
      case "batch":
        return await (await import("./cli/batch-command.ts")).batchCommand(rest, io);
      case "eval":
        return await (await import("./cli/eval-command.ts")).evalCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}" (commands: run, demo, resume, replay, runs, tools, batch, eval; see molt --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`molt: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`molt: internal error: ${message.split("\n", 1)[0]}${process.env.MOLT_DEBUG ? "" : " (set MOLT_DEBUG=1 for details)"}\n`);
    if (process.env.MOLT_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
