import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { summariseRunFolder, type RunSummary } from "../../core/record/run-summary.ts";
import { RUNS_HELP } from "./help.ts";
import { describeParseError } from "./run-flags.ts";
import { runsTable } from "../ui/runs-table.ts";
import type { SessionIO } from "../runtime/run.ts";
import { UsageError } from "./usage-error.ts";

/** Where `molt run` puts its runs unless told otherwise (core/run-folder.ts). */
const DEFAULT_DIR = "molt-runs";
/** The table's width when the output is not a terminal that says its own. */
const PIPED_WIDTH = 120;

/** `molt runs [DIR]`: the past runs under DIR, newest first. */
export async function runsCommand(args: string[], io: SessionIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.values.help) {
    io.stdout.write(RUNS_HELP);
    return 0;
  }
  const [named, extra] = parsed.positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (molt runs takes one folder)`);
  const shown = named ?? DEFAULT_DIR;
  const runs = listRuns(shown);
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

function listRuns(shown: string): RunSummary[] {
  const dir = resolve(shown);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${shown}: no such folder${shown === DEFAULT_DIR ? " (molt run keeps its runs there; name another folder: molt runs DIR)" : ""}`);
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
    toolsCreated: run.toolsCreated,
    toolsRejected: run.toolsRejected,
    startedAt,
  };
}
