import { basename, posix } from "node:path";
import { Document } from "yaml";
import { shellQuote } from "../../../sandbox/shell-quote.ts";
import { InputError } from "../input-error.ts";
import { INDEX_VARIABLE, indexedJob } from "./k8s-job.ts";

/** The Job's own settings, checked by the command line. */
export interface K8sSettings {
  image: string;
  volumeClaim: string;
  secret: string | undefined;
  /** How many pods in all; one per selected instance when not given. */
  shards: number | undefined;
  jobName: string;
  mountPath: string;
}

/** What the batch command has checked, for pods that run the same selection. */
export interface EmitRequest {
  instancesFile: string;
  model: string;
  baseUrl: string | undefined;
  reposDir: string | undefined;
  /** The per-repository commands file (--repo-config). */
  repoConfigFile: string | undefined;
  /** The -c arguments as given: configuration files (copied to the volume) and key=value settings. */
  config: string[];
  filter: string | undefined;
  slice: string | undefined;
  /** The run flags as given on the command line, --sandbox left out: the pod's sandbox is `sandbox`. */
  runFlags: string[];
  sandbox: "bwrap" | "local";
  /** How many instances the selection holds. */
  selected: number;
  workers: number;
  settings: K8sSettings;
}

/**
 * The Indexed Job that runs the batch on a cluster, as YAML. Pod I runs `molt batch` over shard
 * I/N into MOUNT/shard-I. The files the batch reads are looked for at the top of the volume under
 * their own names (the instances, --repo-config, -c files, --repos-dir, a script model).
 */
export function emitK8s(request: EmitRequest): string {
  const flags = request.settings;
  const needsKey = !request.model.startsWith("script:") && request.baseUrl === undefined;
  if (needsKey && flags.secret === undefined) throw new InputError("--emit k8s needs --secret NAME: a Secret whose key OPENAI_API_KEY holds the model's key");

  const mount = flags.mountPath;
  const onVolume = (local: string) => posix.join(mount, basename(local));
  const configFiles = request.config.filter((argument) => !argument.includes("="));
  const copied = [request.instancesFile, request.reposDir, request.repoConfigFile, ...configFiles, request.model.startsWith("script:") ? request.model.slice("script:".length) : undefined];
  const shards = flags.shards ?? request.selected;

  const args = [
    "molt", "batch",
    "--instances", onVolume(request.instancesFile),
    "--model", request.model.startsWith("script:") ? `script:${onVolume(request.model.slice("script:".length))}` : request.model,
    ...(request.baseUrl !== undefined ? ["--base-url", request.baseUrl] : []),
    ...(request.reposDir !== undefined ? ["--repos-dir", onVolume(request.reposDir)] : []),
    ...(request.repoConfigFile !== undefined ? ["--repo-config", onVolume(request.repoConfigFile)] : []),
    ...request.config.flatMap((argument) => ["-c", argument.includes("=") ? argument : onVolume(argument)]),
    ...(request.filter !== undefined ? ["--filter", request.filter] : []),
    ...(request.slice !== undefined ? ["--slice", request.slice] : []),
    ...request.runFlags,
    "--sandbox", request.sandbox,
  ];
  // Single quotes for what is fixed; the index is left for the pod's shell to expand.
  const index = `"\${${INDEX_VARIABLE}}"`;
  const command = `exec ${args.map(shellQuote).join(" ")} --shard ${index}/${shards} --output ${shellQuote(posix.join(mount, "shard-"))}${index}`;

  const job = indexedJob({
    name: flags.jobName,
    image: flags.image,
    command,
    shards,
    parallelism: request.workers,
    secret: flags.secret,
    volumeClaim: flags.volumeClaim,
    mountPath: mount,
    privileged: request.sandbox === "bwrap",
  });
  const document = new Document(job);
  const files = copied.filter((file): file is string => file !== undefined).map((file) => basename(file));
  document.commentBefore = [
    ` molt batch --emit k8s: ${request.selected} instance${request.selected === 1 ? "" : "s"} in ${shards} shard${shards === 1 ? "" : "s"}, ${request.workers} pod${request.workers === 1 ? "" : "s"} at a time.`,
    ` Before applying: copy ${files.join(", ")} to the top of the volume ${flags.volumeClaim} (mounted at ${mount}).`,
    ` When it is done: molt batch merge ${posix.join(mount, "shard-*")} --output ${posix.join(mount, "merged")}`,
  ].join("\n");
  return document.toString({ lineWidth: 0 });
}
