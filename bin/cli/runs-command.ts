import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { runsFolder } from "../../core/data-folder.ts";
import { summariseRunFolder, type RunSummary } from "../../core/record/run-summary.ts";
import { runsTable } from "../ui/runs-table.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { RUN_FLAGS } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

export const RUNS_FLAGS = {
  json: flag({ schema: z.boolean().default(false), help: "an array of objects, one per run, instead of the table" }),
  ...pick(RUN_FLAGS, ["help"]),
};

export function runsHelp(): string {
  return `Usage: molt runs [DIR] [--json]

Lists the runs in DIR, newest first; without DIR, yours (in ~/.local/share/molt/runs, or
$XDG_DATA_HOME/molt/runs). For each: the run id, the repository, the issue's first line, how the
run ended (running/interrupted when it has not), its steps, cost and the share of its input read
from the endpoint's prompt cache, the tools it created and the tool versions molt rejected, and
when it started. Folders holding a mini-SWE-agent *.traj.json are listed too; a folder whose
record cannot be read is listed with what is wrong with it.

${flagHelp(pick(RUNS_FLAGS, ["json"]))}

Open one with molt replay DIR/<run id>.
`;
}


/** The table's width when the output is not a terminal that says its own. */
const PIPED_WIDTH = 120;

/** `molt runs [DIR]`: the past runs under DIR, newest first. */
export async function runsCommand(args: string[], io: CommandIO): Promise<number> {
  const parsed = parseFlags(RUNS_FLAGS, args, { positionals: true });
  if (parsed.values.help) {
    io.stdout.write(runsHelp());
    return 0;
  }
  const [named, extra] = parsed.positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (molt runs takes one folder)`);
  const shown = named ?? runsFolder();
  const runs = listRuns(shown, named === undefined);
  if (parsed.values.json) {
    io.stdout.write(JSON.stringify(runs.map(asJson), null, 2) + "\n");
    return 0;
  }
  if (runs.length === 0) {
    io.stdout.write(`no runs in ${shown}\n`);
    return 0;
  }
  const width = io.stdout.isTTY ? io.stdout.columns || PIPED_WIDTH : Number(process.env.COLUMNS) || PIPED_WIDTH;
  io.stdout.write(runsTable(runs, width));
  return 0;
}

/** `optional`: the default folder, which does not exist before the first run. */
function listRuns(shown: string, optional: boolean): RunSummary[] {
  const dir = resolve(shown);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    if (optional) return [];
    throw new UsageError(`${shown}: no such folder`);
  }
  if (!isDir) throw new UsageError(`${shown}: not a folder`);
  // A run's own folder lists as that one run.
  if (existsSync(join(dir, "events.jsonl"))) return [summariseRunFolder(dir)];
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith(".") && (entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(dir, entry.name)))))
      .map((entry) => entry.name);
  } catch (error) {
    throw new UsageError(`${shown}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
  // Folders that hold no record at all (a batch's tool library, say) are not runs; a record that cannot be read is listed with why.
  const runs = names.map((name) => join(dir, name)).filter(holdsARecord);
  return runs.map((path) => summariseRunFolder(path)).sort((a, b) => b.startedAt - a.startedAt || b.runId.localeCompare(a.runId));
}

function holdsARecord(path: string): boolean {
  try {
    return readdirSync(path).some((file) => file === "events.jsonl" || file.endsWith(".traj.json"));
  } catch {
    return true;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function asJson(run: RunSummary) {
  const startedAt = run.startedAt > 0 ? new Date(run.startedAt).toISOString() : null;
  if ("problem" in run) return { runId: run.runId, dir: run.dir, status: "unreadable", problem: run.problem, startedAt };
  return {
    runId: run.runId,
    dir: run.dir,
    kind: run.kind,
    repo: run.repo,
    issue: run.issue,
    model: run.model,
    status: run.exitStatus ?? "running/interrupted",
    exitStatus: run.exitStatus ?? null,
    steps: run.steps,
    cost: run.cost,
    promptTokens: run.promptTokens,
    cachedTokens: run.cachedTokens,
    toolsCreated: run.toolsCreated,
    toolsRejected: run.toolsRejected,
    startedAt,
  };
}
