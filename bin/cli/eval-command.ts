import { resolve } from "node:path";
import { z } from "zod";
import { MAX_TIMER_SECONDS, TOO_LONG } from "../../core/run-spec.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { readInstances } from "../runtime/batch/instances.ts";
import { readRepoConfig, withRepoConfig } from "../runtime/batch/repo-config.ts";
import { RepoSource } from "../runtime/batch/repos.ts";
import { readPredictions } from "../runtime/eval/predictions.ts";
import { makeOutputFolder, runEval } from "../runtime/eval/run-eval.ts";
import { evalTable } from "../ui/eval-table.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { RUN_FLAGS } from "./run-flags.ts";
import { onInterrupt } from "./signals.ts";
import { UsageError } from "./usage-error.ts";

export const EVAL_FLAGS = {
  instances: flag({
    value: "FILE",
    schema: z.string({ error: "is missing: pass --instances FILE (JSON, JSONL or Parquet)" }).min(1, "must name a file"),
    help: "the instances (JSON list, JSONL or Parquet): instance_id, repo, base_commit, test_patch, FAIL_TO_PASS, PASS_TO_PASS, and optionally test_cmd, install_cmd, patch (the gold patch)",
  }),
  preds: flag({
    value: "FILE",
    schema: z.string({ error: "is missing: pass --preds FILE (preds.json)" }).min(1, "must name a file"),
    help: "the predictions: preds.json ({id: {instance_id, model_patch}}), a list, or JSONL",
  }),
  output: flag({
    value: "DIR",
    short: "o",
    schema: z.string({ error: "is missing: pass --output DIR for report.json" }).min(1, "must name a folder"),
    help: "where report.json and DIR/<instance_id>/ (test-output.txt, eval.log, model.patch) go",
  }),
  "repos-dir": flag({
    value: "DIR",
    schema: z.string().min(1, "must name a folder").optional(),
    help: "find the repository owner/name in DIR/owner__name (default: clone it once from GitHub into MOLT_REPO_CACHE, else ~/.cache/molt/repos); a local path or file:// URL in repo is used as it is",
  }),
  "repo-config": flag({
    value: "FILE",
    schema: z.string().min(1, "must name a file").optional(),
    help: 'JSON or YAML: {"repos": {"owner/name": {"install_cmd": "...", "test_cmd": "..."}}}, for the instances of that repository without their own',
  }),
  workers: flag({
    value: "N",
    schema: z.string().regex(/^\d+$/, "must be a whole number").transform(Number).refine((n) => n >= 1 && n <= 64, "must be 1 to 64").default(1),
    help: "instances evaluated at the same time (default 1)",
  }),
  timeout: flag({
    value: "SEC",
    schema: z.string().regex(/^\d+(\.\d+)?$/, "must be a number of seconds").transform(Number).refine((n) => n > 0, "must be more than 0 seconds").refine((n) => n <= MAX_TIMER_SECONDS, TOO_LONG).default(1800),
    help: "time for one instance, install and tests included (default 1800)",
  }),
  "exit-code-verdicts": flag({
    schema: z.boolean().default(false),
    help: "when an instance names tests but its test output reports none molt can read, decide by the exit code (0: resolved) instead of calling the instance an error",
  }),
  sandbox: flag({ ...RUN_FLAGS.sandbox, help: "bwrap (default on Linux) or local (no isolation)" }),
  ...pick(RUN_FLAGS, ["help"]),
};

export function evalHelp(): string {
  return `Usage: molt eval --instances FILE --preds FILE --output DIR [flags]

Evaluates each predicted patch against its SWE-bench instance, the way SWE-bench's harness does,
on this machine: a fresh workspace at base_commit, install_cmd (with network), the model's patch,
the test patch (over the test files as they were at base_commit), then the tests, sandboxed and
without network. Your repositories are never changed.

${flagHelp(pick(EVAL_FLAGS, ["instances", "preds", "output", "repos-dir", "repo-config", "workers", "timeout", "exit-code-verdicts", "sandbox"]))}

The tests run with test_cmd; without one, pytest -rA on the test patch's Python files when the
tests are named path::test, else npm test when package.json has a test script, else the instance
is an error. molt reads the per-test results of jest (every run in the output), mocha (the spec
and JSON reporters), vitest, node's test runner, TAP (tape, ava), and pytest (-rA, -v, xdist). The
instance is resolved iff every FAIL_TO_PASS and PASS_TO_PASS test passed, one the output does not
mention counting as failed. A name is found by the first rule that finds any test: its full name
(path::Class::test, file › suite › title, suite > title, mocha's full title); a harness's name
(Multi-SWE-bench's FILE:TITLE, the suites left out); its title, alone or with the suites above it
joined by " > ", " › ", "::" or a space. A name standing for several tests takes the worst of them,
and report.json says which. With no tests named the exit code decides (0: resolved); with tests
named but no per-test results the instance is an error, unless --exit-code-verdicts lets the exit
code decide. A patch that does not apply is an error; an empty one is unresolved. Where the
instance has a gold patch, the reward column is SWE-RL's: the similarity of the two patches, 0 to
1, and −1 for a patch that is not a unified diff.

report.json holds SWE-bench's keys (resolved_ids, unresolved_ids, error_ids, empty_patch_ids, …)
and each instance's status, reason, tests_status (SWE-bench's success and failure lists),
namedTests (each test passed, failed, skipped or missing, and what it matched), verdictsFrom (the
parser, or the exit code and why), ambiguous names, exit code, time and reward. Ctrl-C stops
cleanly: the tests in flight are killed, and the instances not evaluated are in incomplete_ids.
Workspaces go under MOLT_WORKSPACES (default: the temporary folder).

Exit codes: 0 the evaluation ran to its end (whatever it found); 1 it was stopped first; 2 bad
usage or bad input.
`;
}

/**
 * `molt eval`: runs each predicted patch against its instance's tests in a fresh sandboxed
 * workspace and writes DIR/report.json. Exit 0 whenever the evaluation ran to its end, whatever it
 * found; 1 when it was stopped first.
 */
export async function evalCommand(args: string[], io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(evalHelp());
    return 0;
  }
  if (args.some((arg) => arg === "--config" || arg.startsWith("--config="))) throw new UsageError("molt eval's per-repository commands file is now --repo-config FILE");
  const { values } = parseFlags(EVAL_FLAGS, args);
  const repoConfig = values["repo-config"] === undefined ? undefined : await readRepoConfig(values["repo-config"]);
  const instances = (await readInstances(values.instances)).map((instance) => withRepoConfig(instance, repoConfig));
  const predictions = await readPredictions(values.preds);
  const known = new Set(instances.map((instance) => instance.instance_id));
  const submitted = instances.filter((instance) => predictions.has(instance.instance_id));
  if (submitted.length === 0) throw new UsageError(`no prediction in ${values.preds} names an instance of ${values.instances}`);
  const strangers = [...predictions.keys()].filter((id) => !known.has(id));
  if (strangers.length > 0) io.stderr.write(`molt: ${strangers.length === 1 ? "1 prediction names" : `${strangers.length} predictions name`} no instance of ${values.instances}, ignored: ${strangers.slice(0, 5).join(", ")}${strangers.length > 5 ? ", …" : ""}\n`);
  const sandbox = values.sandbox ?? (process.platform === "linux" ? "bwrap" : "local");
  if (sandbox === "bwrap") {
    const problem = bwrapProblem();
    if (problem) throw new UsageError(`cannot sandbox the tests: ${problem}; install bubblewrap, or pass --sandbox local to run them unsandboxed`);
  }
  const repos = new RepoSource(values["repos-dir"]);
  repos.check(submitted.map((instance) => instance.repo));
  const output = resolve(values.output);
  makeOutputFolder(output);

  io.stdout.write(`eval     ${submitted.length} of ${instances.length} instances have a prediction: evaluating on ${values.workers} worker${values.workers === 1 ? "" : "s"}\n`);
  // Ctrl-C stops cleanly: the tests in flight are killed, their workspaces removed, and the report
  // holds what was evaluated. The same signal twice forces the exit.
  const stop = new AbortController();
  const stopHandling = onInterrupt(() => stop.abort());
  let evaluated;
  try {
    evaluated = await runEval(
      { instances, predictions, repos, output, workers: values.workers, timeoutSec: values.timeout, sandbox, exitCodeVerdicts: values["exit-code-verdicts"] },
      (id, result, done) => io.stdout.write(`[${done}/${submitted.length}] ${id}  ${result.status}${result.reason ? `  ${result.reason}` : ""}\n`),
      stop.signal,
    );
  } finally {
    stopHandling();
  }
  const { report, file } = evaluated;
  io.stdout.write(`\n${evalTable(report)}report   ${file}\n`);
  if (report.incomplete_ids.length === 0) return 0;
  io.stdout.write(`stopped  ${report.incomplete_ids.length} of ${submitted.length} instances were not evaluated (run the same command again to evaluate all)\n`);
  return 1;
}
