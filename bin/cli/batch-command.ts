import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { readConfigFile } from "../../core/config/config.ts";
import { EventBus, type EventSink } from "../../core/events/event-bus.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { claimBatch } from "../runtime/batch/batch-claim.ts";
import type { BatchEvent } from "../runtime/batch/batch-events.ts";
import { predsFile, writeJsonAtomically } from "../runtime/batch/batch-files.ts";
import { runBatch, type InstanceTemplate } from "../runtime/batch/batch-runner.ts";
import { emitK8s } from "../runtime/batch/emit-k8s.ts";
import { checkFolder } from "../runtime/folder-check.ts";
import { readInstances } from "../runtime/batch/instances.ts";
import { mergeBatches } from "../runtime/batch/merge.ts";
import { readRepoConfig, withRepoConfig } from "../runtime/batch/repo-config.ts";
import { RepoSource } from "../runtime/batch/repos.ts";
import { select, type Selection } from "../runtime/batch/selection.ts";
import { BatchPrinter } from "../ui/batch/batch-printer.ts";
import { argvOf, flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { configurationOf } from "./run-configuration.ts";
import { headersOf, limitsOf, modelSpecOf, RUN_FLAGS, sandboxOf } from "./run-flags.ts";
import { onInterrupt } from "./signals.ts";
import { UsageError } from "./usage-error.ts";

const WORKER_ENTRY = fileURLToPath(new URL("./batch-worker.ts", import.meta.url));

/** The run flags a batch hands to every instance's run, checked as `molt run` checks them. */
const PASSED_ON = [
  "config", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "retries", "request-timeout",
  "price-in", "price-out", "price-cached", "model-kwargs", "header", "cache-control", "sandbox", "mem-limit", "fresh", "no-evolve", "reminder",
] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const count = (most: number) =>
  z.string().regex(/^[1-9]\d*$/, "must be a whole number of 1 or more").transform(Number).refine((n) => n <= most, `must be ${most} or fewer`);

export const BATCH_FLAGS = {
  instances: flag({ value: "FILE", schema: z.string().min(1, "must name a file").optional(), help: "the instances: instance_id, repo, base_commit, problem_statement, and optionally install_cmd (run in the workspace before the agent, with network)" }),
  output: flag({ ...RUN_FLAGS.output, help: "where the runs, preds.json and summary.json go" }),
  model: flag({ ...RUN_FLAGS.model, help: "the model (or MOLT_MODEL); script:DIR serves DIR/<instance_id>.json to each instance, script:FILE the same script to all" }),
  "base-url": flag({ ...RUN_FLAGS["base-url"], help: "an OpenAI-compatible endpoint (or OPENAI_BASE_URL)" }),
  workers: flag({ value: "N", schema: count(64).default(1), help: "instances run at the same time (default 1)" }),
  workspaces: flag({ value: "DIR", schema: z.string().min(1, "must name a folder").optional(), help: "where the instances' workspaces go (default: the temporary folder, or MOLT_WORKSPACES); a tmpfs such as /dev/shm makes checking out quick" }),
  "repos-dir": flag({ value: "DIR", schema: z.string().min(1, "must name a folder").optional(), help: "find the repository owner/name in DIR/owner__name (default: clone it once from GitHub into MOLT_REPO_CACHE, else ~/.cache/molt/repos); a local path or file:// URL in repo is used as it is" }),
  "repo-config": flag({ value: "FILE", schema: z.string().min(1, "must name a file").optional(), help: 'JSON or YAML: {"repos": {"owner/name": {"install_cmd": "..."}}}, for the instances of that repository that have no install_cmd of their own' }),
  filter: flag({
    value: "REGEX",
    schema: z.string().transform((text, context) => {
      try {
        return new RegExp(text);
      } catch (error) {
        context.addIssue({ code: "custom", message: `is not a regular expression: ${error instanceof Error ? error.message : String(error)}` });
        return z.NEVER;
      }
    }).optional(),
    help: "only instances whose id matches",
  }),
  slice: flag({
    value: "A:B",
    schema: z.string().regex(/^\s*(-?\d+)?:(-?\d+)?\s*$/, "must be START:END, such as 0:10, :5 or 20:").transform((text) => {
      const [start, end] = text.trim().split(":");
      return { start: start ? Number(start) : undefined, end: end ? Number(end) : undefined };
    }).optional(),
    help: "only these of them, as Python's list[A:B]",
  }),
  shard: flag({
    value: "I/N",
    schema: z.string().regex(/^\s*\d+\/\d+\s*$/, "must be I/N, such as 0/4").transform((text) => {
      const [index, total] = text.trim().split("/").map(Number) as [number, number];
      return { index, count: total };
    }).refine((shard) => shard.count >= 1 && shard.index < shard.count, "needs 0 <= I < N").optional(),
    help: "only those whose position in FILE modulo N is I (after --filter and --slice)",
  }),
  evolved: flag({ ...RUN_FLAGS.evolved, help: "the tool library the instances share and grow (default DIR/library): each starts from it as it stands, and what it keeps is merged back when it ends" }),
  fresh: flag({ ...RUN_FLAGS.fresh, help: "every instance starts with an empty library and keeps nothing" }),
  "no-evolve": flag({ ...RUN_FLAGS["no-evolve"], help: "no self-evolution" }),
  ...pick(RUN_FLAGS, ["config", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "retries", "request-timeout", "price-in", "price-out", "price-cached", "model-kwargs", "header", "cache-control", "sandbox", "mem-limit", "reminder"]),
  theme: flag({ ...RUN_FLAGS.theme, help: "the live view's colours (on a terminal; NO_COLOR turns them off)" }),
  plain: flag({ ...RUN_FLAGS.plain, help: "one line per finished instance even on a terminal" }),
  emit: flag({ value: "k8s", schema: z.literal("k8s", { error: "takes k8s, for a Kubernetes Indexed Job" }).optional(), help: "print, and do not run, a Kubernetes Indexed Job for the batch (below)" }),
  image: flag({ value: "IMAGE", schema: z.string().min(1, "must name an image").optional(), help: "the container image with molt and git in it (required)" }),
  "volume-claim": flag({ value: "NAME", schema: z.string().regex(DNS_NAME, "must be a Kubernetes object name").optional(), help: "the PersistentVolumeClaim the pods share, mounted at MOUNT (required)" }),
  secret: flag({ value: "NAME", schema: z.string().regex(DNS_NAME, "must be a Kubernetes object name").optional(), help: "the Secret whose key OPENAI_API_KEY is the model's key (required unless the model is script: or --base-url is given)" }),
  shards: flag({ value: "N", schema: count(100_000).optional(), help: "how many pods in all (default: one per selected instance)" }),
  "job-name": flag({ value: "NAME", schema: z.string().max(63, "must be 63 characters or fewer").regex(DNS_LABEL, "must be lowercase letters, digits and '-'").default("molt-batch"), help: "the Job's name (default molt-batch)" }),
  "mount-path": flag({ value: "MOUNT", schema: z.string().refine((path) => posix.isAbsolute(path), "must be an absolute path").default("/out"), help: "where the volume is mounted in the pods (default /out)" }),
  ...pick(RUN_FLAGS, ["help"]),
};
const K8S_ONLY = ["image", "volume-claim", "secret", "shards"] as const;

const MERGE_FLAGS = pick(BATCH_FLAGS, ["output", "help"]);

export function batchHelp(): string {
  return `Usage: molt batch --instances FILE --output DIR --model NAME [flags]
       molt batch merge DIR... --output DIR

Runs every instance of FILE (SWE-bench format: JSON list, JSONL or Parquet) as its own molt run
in DIR/<instance_id>/, on N parallel workers, and keeps DIR/preds.json (SWE-bench's predictions)
and DIR/summary.json up to date as instances finish. Running the same command again skips the
instances that finished and runs the others afresh (their old folders go to DIR/.unfinished/).
One batch at a time writes to DIR. While an instance runs, the next one's workspace is made.

${flagHelp(pick(BATCH_FLAGS, ["instances", "output", "model", "base-url", "workers", "workspaces", "repos-dir", "repo-config", "filter", "slice", "shard", "evolved", "fresh", "no-evolve"]))}

Passed to every run, as molt run takes them (but a configuration's agent.mode: a batch never asks):
${flagHelp(pick(BATCH_FLAGS, ["config", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "retries", "request-timeout", "price-in", "price-out", "price-cached", "model-kwargs", "header", "cache-control", "sandbox", "mem-limit", "reminder"]))}

${flagHelp(pick(BATCH_FLAGS, ["theme", "plain"]))}

--emit k8s prints, and does not run, a Kubernetes Indexed Job for the batch: N pods, --workers at a
time, pod I running molt batch over --shard I/N into MOUNT/shard-I (--output is not used). The
files the batch reads (the instances, -c files, --repo-config, --repos-dir, a script:PATH model)
are looked for at the top of the volume, under their own names. The pods' sandbox is --sandbox:
local (default; the pod is the boundary) or bwrap (the container then runs privileged, which
bubblewrap needs in a pod).
${flagHelp(pick(BATCH_FLAGS, ["emit", "image", "volume-claim", "secret", "shards", "job-name", "mount-path"]))}

molt batch merge DIR... --output DIR combines the preds.json and summary.json of several batch
folders (the shards of one batch); an instance in two of them with different patches is refused.

Exit codes: 0 every selected instance finished; 1 some did not (run again to retry them);
2 bad usage or bad input.
`;
}

export async function batchCommand(args: string[], io: CommandIO): Promise<number> {
  if (args[0] === "merge") return mergeCommand(args.slice(1), io);
  const { values, given } = parseFlags(BATCH_FLAGS, args);
  if (values.help) {
    io.stdout.write(batchHelp());
    return 0;
  }
  const emit = values.emit;
  const k8sFlag = K8S_ONLY.find((name) => values[name] !== undefined) ?? (given["job-name"] !== undefined ? "job-name" : given["mount-path"] !== undefined ? "mount-path" : undefined);
  if (emit === undefined && k8sFlag !== undefined) throw new UsageError(`--${k8sFlag} is for --emit k8s only`);
  const instancesFile = values.instances;
  if (instancesFile === undefined) throw new UsageError("no instances: pass --instances FILE (JSON, JSONL or Parquet)");
  // With --emit nothing is written here: each pod writes its own shard on the cluster's volume.
  if (values.output === undefined && emit === undefined) throw new UsageError("no output folder: pass --output DIR");
  if (emit === undefined && values.output !== undefined) checkFolder(values.output, "--output");
  if (emit === undefined && values.evolved !== undefined) checkFolder(values.evolved, "--evolved");
  const { configFiles, repoConfigFile } = splitConfigs(values.config, values["repo-config"], io);
  const configuration = configurationOf({ ...values, config: configFiles }, io.stderr);
  const model = values.model ?? configuration.modelName ?? process.env.MOLT_MODEL;
  if (!model) throw new UsageError("no model: pass --model NAME, set model.model_name in a configuration, or set MOLT_MODEL");
  const baseUrl = values["base-url"];
  if (values["no-evolve"] && (values.fresh || values.evolved !== undefined)) throw new UsageError("--no-evolve turns tools off; it cannot be combined with --fresh or --evolved");
  if (values.fresh && values.evolved !== undefined) throw new UsageError("--fresh gives every instance an empty library; it cannot be combined with --evolved");
  const sandbox = sandboxOf(values, configuration);
  if (emit === undefined && sandbox.kind === "bwrap") {
    const problem = bwrapProblem();
    if (problem) throw new UsageError(`cannot sandbox commands: ${problem}; install bubblewrap, or pass --sandbox local to run commands unsandboxed`);
  }

  const selection: Selection = { filter: values.filter, slice: values.slice, shard: values.shard };
  const repoConfig = repoConfigFile === undefined ? undefined : await readRepoConfig(repoConfigFile);
  const instances = select(await readInstances(instancesFile), selection).map((instance) => withRepoConfig(instance, repoConfig));
  const repos = new RepoSource(values["repos-dir"]);
  repos.check(instances.map((instance) => instance.repo));

  if (emit !== undefined) {
    if (selection.shard) throw new UsageError("--shard is set in each pod by --emit k8s; pass --shards N for how many there are");
    if (instances.length === 0) throw new UsageError("the selection holds no instances: nothing to emit");
    if (values.evolved !== undefined) throw new UsageError("--evolved cannot be shared by the pods of --emit k8s; each shard grows its own library in its output folder");
    if (values.image === undefined) throw new UsageError("--image is required with --emit k8s: the container image with molt in it");
    if (values["volume-claim"] === undefined) throw new UsageError("--volume-claim is required with --emit k8s: the PersistentVolumeClaim the pods share");
    if (values.header.length > 0) io.stderr.write("molt: note: the --header values are in the Job's command line, in plain text; a key belongs in the Secret (--secret)\n");
    io.stdout.write(
      emitK8s({
        instancesFile,
        model,
        baseUrl,
        reposDir: values["repos-dir"],
        repoConfigFile,
        config: configFiles,
        filter: typeof given.filter === "string" ? given.filter : undefined,
        slice: typeof given.slice === "string" ? given.slice : undefined,
        runFlags: argvOf(given, PASSED_ON.filter((name) => name !== "sandbox" && name !== "config")),
        sandbox: values.sandbox ?? "local",
        selected: instances.length,
        workers: values.workers,
        settings: {
          image: values.image,
          volumeClaim: values["volume-claim"],
          secret: values.secret,
          shards: values.shards,
          jobName: values["job-name"],
          mountPath: values["mount-path"],
        },
      }),
    );
    return 0;
  }
  if (values.output === undefined) throw new UsageError("no output folder: pass --output DIR");
  // The key last: what is wrong with the paths is said first, as the user fixes things in that order.
  if (!model.startsWith("script:") && !process.env.OPENAI_API_KEY && baseUrl === undefined && !process.env.OPENAI_BASE_URL) {
    throw new UsageError("no API key: set OPENAI_API_KEY, or point --base-url at an endpoint that needs none");
  }

  const outputDir = resolve(values.output);
  if (values.workspaces !== undefined) checkWorkspaces(values.workspaces);
  // The workers inherit where workspaces go: the batch's own folder there.
  const claim = claimBatch(outputDir, resolve(values.workspaces ?? (process.env.MOLT_WORKSPACES || tmpdir())));
  process.env.MOLT_WORKSPACES = claim.workspaces;
  const template: InstanceTemplate = {
    agent: { ...configuration.agent, confirm: false },
    model: modelSpecOf(model, baseUrl ?? (process.env.OPENAI_BASE_URL || undefined), values, configuration),
    limits: limitsOf(configuration),
    sandbox,
    evolution: { enabled: !values["no-evolve"], fresh: values.fresh, ...(values.reminder !== undefined ? { reminder: values.reminder } : {}) },
  };
  const interrupt = new AbortController();
  const progress = new EventBus<BatchEvent>();
  const display = await batchDisplay(io, { theme: values.theme, plain: values.plain }, () => interrupt.abort());
  progress.subscribe(display);
  const stopHandling = onInterrupt(() => interrupt.abort());
  try {
    const unfinished = await runBatch(
      {
        instances,
        outputDir,
        workers: values.workers,
        repos,
        template,
        sharedLibrary: values.fresh || values["no-evolve"] ? undefined : resolve(values.evolved ?? resolve(outputDir, "library")),
        workerEntry: WORKER_ENTRY,
        headers: headersOf(values),
      },
      progress,
      interrupt.signal,
    );
    // A shard whose selection is empty still leaves a preds.json, so that merging the shards takes it.
    if (!existsSync(predsFile(outputDir))) writeJsonAtomically(predsFile(outputDir), {});
    await progress.close();
    io.stdout.write(`preds    ${resolve(outputDir, "preds.json")}\n`);
    return unfinished === 0 && !interrupt.signal.aborted ? 0 : 1;
  } finally {
    await progress.close();
    stopHandling();
    claim.release();
  }
}

/**
 * How a batch shows itself: on a terminal (and not in CI, not with --plain) the live view, else
 * one plain line per finished instance. The view is loaded only when used: ink and React cost a
 * pipe's user nothing. Its `close` may be called more than once.
 */
async function batchDisplay(io: CommandIO, options: { theme: "dark" | "light"; plain: boolean }, stop: () => void): Promise<EventSink<BatchEvent>> {
  if (options.plain || io.stdout.isTTY !== true || process.env.CI) return new BatchPrinter(io.stdout);
  const { BatchLiveView } = await import("../ui/batch/batch-live-view.ts");
  const view = new BatchLiveView({ stdout: io.stdout, stdin: process.stdin, theme: options.theme, onInterrupt: stop });
  let closing: Promise<void> | undefined;
  return { onEvent: (event) => view.onEvent(event), close: () => (closing ??= view.close()) };
}

async function mergeCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseFlags(MERGE_FLAGS, args, { positionals: true });
  if (values.help) {
    io.stdout.write(batchHelp());
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("molt batch merge needs the batch folders to merge: molt batch merge DIR... --output DIR");
  if (values.output === undefined) throw new UsageError("no output folder: pass --output DIR");
  checkFolder(values.output, "--output");
  const result = await mergeBatches(positionals, values.output);
  io.stdout.write(`merged   ${result.instances} instances from ${result.folders} folders into ${resolve(values.output, "preds.json")}\n`);
  return 0;
}

/**
 * `-c` files and the per-repository file. Before `--repo-config`, `molt batch --config` took the
 * per-repository file: one given there still works, with a line saying where it goes now.
 */
function splitConfigs(config: readonly string[], repoConfig: string | undefined, io: CommandIO): { configFiles: string[]; repoConfigFile: string | undefined } {
  const configFiles: string[] = [];
  let repoConfigFile = repoConfig;
  for (const argument of config) {
    if (!argument.includes("=") && repoConfigFile === undefined && isRepoConfig(argument)) {
      io.stderr.write(`molt: ${argument} holds commands per repository: pass it as --repo-config (--config now takes mini-SWE-agent configurations)\n`);
      repoConfigFile = argument;
    } else configFiles.push(argument);
  }
  return { configFiles, repoConfigFile };
}

function isRepoConfig(file: string): boolean {
  try {
    const tree = readConfigFile(file);
    return Object.keys(tree).length > 0 && Object.keys(tree).every((key) => key === "repos");
  } catch {
    return false;
  }
}

/** Where the instances' workspaces go (a tmpfs such as /dev/shm makes checkouts quick) must be a folder molt can write in. */
function checkWorkspaces(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--workspaces ${dir}: not a folder molt can write in`);
  }
}
