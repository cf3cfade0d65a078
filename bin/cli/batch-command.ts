import { resolve } from "node:path";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { z } from "zod";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { claimBatch } from "../runtime/batch/batch-claim.ts";
import { BatchProgress } from "../runtime/batch/batch-progress.ts";
import { predsFile, writeJsonAtomically } from "../runtime/batch/batch-files.ts";
import { runBatch } from "../runtime/batch/batch-runner.ts";
import { emitK8s, K8S_FLAGS } from "../runtime/batch/emit-k8s.ts";
import { readInstances } from "../runtime/batch/instances.ts";
import { showBatch } from "../ui/batch/batch-display.ts";
import { mergeBatches } from "../runtime/batch/merge.ts";
import { readRepoConfig, withRepoConfig } from "../runtime/batch/repo-config.ts";
import { RepoSource } from "../runtime/batch/repos.ts";
import { parseFilter, parseShard, parseSlice, select } from "../runtime/batch/selection.ts";
import { BATCH_HELP } from "./help.ts";
import { describeParseError, parseFlags, type FlagName } from "./run-flags.ts";
import type { SessionIO } from "../runtime/run.ts";
import { UsageError } from "./usage-error.ts";

/** `molt run` flags a batch hands to every instance's run as they were given (checked the way `molt run` checks them). */
const RUN_FLAGS = [
  "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "retries", "request-timeout",
  "price-in", "price-out", "sandbox", "mem-limit", "fresh", "no-evolve", "reminder",
] as const satisfies readonly FlagName[];
const BOOLEAN_RUN_FLAGS = new Set<string>(["fresh", "no-evolve"]);

const options: ParseArgsOptionsConfig = {
  instances: { type: "string" },
  output: { type: "string", short: "o" },
  model: { type: "string" },
  "base-url": { type: "string" },
  workers: { type: "string" },
  "repos-dir": { type: "string" },
  filter: { type: "string" },
  slice: { type: "string" },
  shard: { type: "string" },
  evolved: { type: "string" },
  workspaces: { type: "string" },
  theme: { type: "string" },
  plain: { type: "boolean" },
  config: { type: "string" },
  emit: { type: "string" },
  ...Object.fromEntries(K8S_FLAGS.map((name) => [name, { type: "string" }] as const)),
  help: { type: "boolean", short: "h" },
  ...Object.fromEntries(RUN_FLAGS.map((name) => [name, { type: BOOLEAN_RUN_FLAGS.has(name) ? "boolean" : "string" }] as const)),
};

const Workers = z.string().regex(/^[1-9]\d*$/, "must be a whole number of 1 or more").transform(Number).refine((count) => count <= 64, "must be 64 or fewer");

export async function batchCommand(args: string[], io: SessionIO): Promise<number> {
  if (args[0] === "merge") return mergeCommand(args.slice(1), io);
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (values.help) {
    io.stdout.write(BATCH_HELP);
    return 0;
  }
  const text = (name: string): string | undefined => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const emit = text("emit");
  if (emit !== undefined && emit !== "k8s") throw new UsageError(`--emit takes k8s, for a Kubernetes Indexed Job (got "${emit}")`);
  const k8sFlag = K8S_FLAGS.find((name) => values[name] !== undefined);
  if (emit === undefined && k8sFlag !== undefined) throw new UsageError(`--${k8sFlag} is for --emit k8s only`);
  const instancesFile = text("instances");
  const output = text("output");
  if (instancesFile === undefined) throw new UsageError("no instances: pass --instances FILE (JSON, JSONL or Parquet)");
  // With --emit nothing is written here: each pod writes its own shard on the cluster's volume.
  if (output === undefined && emit === undefined) throw new UsageError("no output folder: pass --output DIR");
  const model = text("model") ?? process.env.MOLT_MODEL;
  if (!model) throw new UsageError("no model: pass --model NAME or set MOLT_MODEL");
  const baseUrl = text("base-url");
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) throw new UsageError(`--base-url must be an http(s) URL (got "${baseUrl}")`);
  if (emit === undefined && !model.startsWith("script:") && !process.env.OPENAI_API_KEY && baseUrl === undefined && !process.env.OPENAI_BASE_URL) {
    throw new UsageError("no API key: set OPENAI_API_KEY, or point --base-url at an endpoint that needs none");
  }
  const workersText = text("workers") ?? "1";
  const workers = Workers.safeParse(workersText);
  if (!workers.success) throw new UsageError(`--workers ${workers.error.issues[0]?.message ?? "is invalid"} (got "${workersText}")`);
  const theme = text("theme") ?? "dark";
  if (theme !== "dark" && theme !== "light") throw new UsageError(`--theme must be dark or light (got "${theme}")`);

  // The run flags, checked as `molt run` would check them, then passed on as they are.
  const runFlags: string[] = [];
  for (const name of RUN_FLAGS) {
    const value = values[name];
    if (value === true) runFlags.push(`--${name}`);
    else if (typeof value === "string") runFlags.push(`--${name}`, value);
  }
  const checked = parseFlags(runFlags, RUN_FLAGS);
  const evolved = text("evolved");
  if (checked["no-evolve"] && (checked.fresh || evolved !== undefined)) throw new UsageError("--no-evolve turns tools off; it cannot be combined with --fresh or --evolved");
  if (checked.fresh && evolved !== undefined) throw new UsageError("--fresh gives every instance an empty library; it cannot be combined with --evolved");
  if (emit === undefined && (checked.sandbox ?? (process.platform === "linux" ? "bwrap" : "local")) === "bwrap") {
    const problem = bwrapProblem();
    if (problem) throw new UsageError(`cannot sandbox commands: ${problem}; install bubblewrap, or pass --sandbox local to run commands unsandboxed`);
  }

  const selection = { filter: parseFilter(text("filter")), slice: parseSlice(text("slice")), shard: parseShard(text("shard")) };
  const configFile = text("config");
  const config = configFile === undefined ? undefined : await readRepoConfig(configFile);
  const instances = select(await readInstances(instancesFile), selection).map((instance) => withRepoConfig(instance, config));
  const repos = new RepoSource(text("repos-dir"));
  repos.check(instances.map((instance) => instance.repo));

  if (emit !== undefined) {
    if (selection.shard) throw new UsageError("--shard is set in each pod by --emit k8s; pass --shards N for how many there are");
    if (instances.length === 0) throw new UsageError("the selection holds no instances: nothing to emit");
    if (evolved !== undefined) throw new UsageError("--evolved cannot be shared by the pods of --emit k8s; each shard grows its own library in its output folder");
    io.stdout.write(
      emitK8s({
        instancesFile,
        model,
        baseUrl,
        reposDir: text("repos-dir"),
        configFile,
        filter: text("filter"),
        slice: text("slice"),
        runFlags: runFlags.filter((flag, at) => flag !== "--sandbox" && runFlags[at - 1] !== "--sandbox"),
        sandbox: checked.sandbox ?? "local",
        selected: instances.length,
        workers: workers.data,
        flags: Object.fromEntries(K8S_FLAGS.flatMap((name) => (text(name) === undefined ? [] : [[name, text(name)!] as const]))),
      }),
    );
    return 0;
  }
  if (output === undefined) throw new UsageError("no output folder: pass --output DIR");

  const outputDir = resolve(output);
  const workspaces = text("workspaces");
  if (workspaces !== undefined) checkWorkspaces(workspaces);
  // The workers inherit where workspaces go: the batch's own folder there.
  const claim = claimBatch(outputDir, resolve(workspaces ?? (process.env.MOLT_WORKSPACES || tmpdir())));
  process.env.MOLT_WORKSPACES = claim.workspaces;
  const progress = new BatchProgress();
  const interrupt = new AbortController();
  const display = await showBatch(progress, io, { theme, plain: values.plain === true }, () => interrupt.abort());
  const onSignal = () => interrupt.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const unfinished = await runBatch(
      {
        instances,
        outputDir,
        workers: workers.data,
        repos,
        child: { model, baseUrl, runFlags },
        sharedLibrary: checked.fresh || checked["no-evolve"] ? undefined : resolve(evolved ?? resolve(outputDir, "library")),
      },
      progress,
      interrupt.signal,
    );
    // A shard whose selection is empty still leaves a preds.json, so that merging the shards takes it.
    if (!existsSync(predsFile(outputDir))) writeJsonAtomically(predsFile(outputDir), {});
    await display.close();
    io.stdout.write(`preds    ${resolve(outputDir, "preds.json")}\n`);
    return unfinished === 0 && !interrupt.signal.aborted ? 0 : 1;
  } finally {
    await display.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    claim.release();
  }
}

async function mergeCommand(args: string[], io: SessionIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.values.help) {
    io.stdout.write(BATCH_HELP);
    return 0;
  }
  if (parsed.positionals.length === 0) throw new UsageError("molt batch merge needs the batch folders to merge: molt batch merge DIR... --output DIR");
  if (parsed.values.output === undefined) throw new UsageError("no output folder: pass --output DIR");
  const result = await mergeBatches(parsed.positionals, parsed.values.output);
  io.stdout.write(`merged   ${result.instances} instances from ${result.folders} folders into ${resolve(parsed.values.output, "preds.json")}\n`);
  return 0;
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
