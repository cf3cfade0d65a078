import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildReport, type InstanceEval } from "../../core/eval/eval-report.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { readInstances } from "../runtime/batch/instances.ts";
import { readRepoConfig, withRepoConfig } from "../runtime/batch/repo-config.ts";
import { RepoSource } from "../runtime/batch/repos.ts";
import { WorkspacesAhead } from "../runtime/workspaces-ahead.ts";
import { parseEvalFlags } from "./eval-flags.ts";
import { evalTable } from "../ui/eval-table.ts";
import { evaluateInstance, needsWorkspace } from "../runtime/eval/evaluate-instance.ts";
import { forEachLimited } from "../runtime/scheduler.ts";
import { readPredictions } from "../runtime/eval/predictions.ts";
import { EVAL_HELP } from "./help.ts";
import type { SessionIO } from "../runtime/run.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `molt eval`: runs each predicted patch against its instance's tests in a fresh sandboxed
 * workspace and writes DIR/report.json. Exit 0 whenever the evaluation ran to its end, whatever it
 * found; 1 when it was stopped first.
 */
export async function evalCommand(args: string[], io: SessionIO): Promise<number> {
  const config = parseEvalFlags(args);
  if (config.help) {
    io.stdout.write(EVAL_HELP);
    return 0;
  }
  const repoConfig = config.configFile === undefined ? undefined : await readRepoConfig(config.configFile);
  const instances = (await readInstances(config.instancesFile)).map((instance) => withRepoConfig(instance, repoConfig));
  const predictions = await readPredictions(config.predsFile);
  const known = new Set(instances.map((instance) => instance.instance_id));
  const submitted = instances.filter((instance) => predictions.has(instance.instance_id));
  if (submitted.length === 0) throw new UsageError(`no prediction in ${config.predsFile} names an instance of ${config.instancesFile}`);
  const strangers = [...predictions.keys()].filter((id) => !known.has(id));
  if (strangers.length > 0) io.stderr.write(`molt: ${strangers.length === 1 ? "1 prediction names" : `${strangers.length} predictions name`} no instance of ${config.instancesFile}, ignored: ${strangers.slice(0, 5).join(", ")}${strangers.length > 5 ? ", …" : ""}\n`);
  if (config.sandbox === "bwrap") {
    const problem = bwrapProblem();
    if (problem) throw new UsageError(`cannot sandbox the tests: ${problem}; install bubblewrap, or pass --sandbox local to run them unsandboxed`);
  }
  const repos = new RepoSource(config.reposDir);
  repos.check(submitted.map((instance) => instance.repo));
  const output = resolve(config.output);
  makeFolder(output);

  io.stdout.write(`eval     ${submitted.length} of ${instances.length} instances have a prediction: evaluating on ${config.workers} worker${config.workers === 1 ? "" : "s"}\n`);
  // Ctrl-C stops cleanly: the tests in flight are killed, their workspaces removed, and the report
  // holds what was evaluated. The same signal twice forces the exit.
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const results = new Map<string, InstanceEval>();
  const ahead = new WorkspacesAhead((instance) => repos.path(instance.repo));
  try {
    await forEachLimited(
      submitted,
      config.workers,
      async (instance) => {
        const id = instance.instance_id;
        const madeAhead = ahead.take(id);
        let result: InstanceEval | undefined;
        try {
          const repoPath = await repos.path(instance.repo);
          result = await evaluateInstance({ instance, modelPatch: predictions.get(id)!, repoPath, folder: join(output, id), sandbox: config.sandbox, timeoutSec: config.timeoutSec, signal: stop.signal, madeAhead });
        } catch (error) {
          // Only finding the repository can throw (a clone that failed): the instance's error, not the batch's.
          const reason = error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
          result = { resolved: false, status: "error", reason, emptyPatch: false, tests: null, decidedBy: null, runners: [], testCmd: null, exitCode: null, ms: 0, reward: null };
        }
        if (result === undefined) return;
        results.set(id, result);
        io.stdout.write(`[${results.size}/${submitted.length}] ${id}  ${result.status}${result.reason ? `  ${result.reason}` : ""}\n`);
      },
      // While an instance is evaluated, the workspaces of those taken next are made.
      { signal: stop.signal, upcoming: (upcoming) => ahead.prepare(upcoming.filter((instance) => needsWorkspace(instance, predictions.get(instance.instance_id)!))) },
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await ahead.close();
  }

  const report = buildReport(instances.length, submitted.map((instance) => instance.instance_id), results);
  const reportFile = join(output, "report.json");
  writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  io.stdout.write(`\n${evalTable(report)}report   ${reportFile}\n`);
  if (report.incomplete_ids.length === 0) return 0;
  io.stdout.write(`stopped  ${report.incomplete_ids.length} of ${submitted.length} instances were not evaluated (run the same command again to evaluate all)\n`);
  return 1;
}

function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot make the output folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? "failed"}`);
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder`);
}
