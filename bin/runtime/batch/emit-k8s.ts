import { basename, posix } from "node:path";
import { Document } from "yaml";
import { z } from "zod";
import { shellQuote } from "../../ui/format.ts";
import { UsageError } from "../../cli/usage-error.ts";
import { INDEX_VARIABLE, indexedJob } from "./k8s-job.ts";

/** The flags only `--emit k8s` takes. */
export const K8S_FLAGS = ["image", "secret", "volume-claim", "shards", "job-name", "mount-path"] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const K8sFlags = z.object({
  image: z.string({ error: "is required with --emit k8s: the container image with molt in it" }).min(1, "must name an image"),
  "volume-claim": z.string({ error: "is required with --emit k8s: the PersistentVolumeClaim the pods share" }).regex(DNS_NAME, "must be a Kubernetes object name"),
  secret: z.string().regex(DNS_NAME, "must be a Kubernetes object name").optional(),
  shards: z.string().regex(/^[1-9]\d*$/, "must be a whole number of 1 or more").transform(Number).refine((count) => count <= 100_000, "must be 100000 or fewer").optional(),
  "job-name": z.string().max(63, "must be 63 characters or fewer").regex(DNS_LABEL, "must be lowercase letters, digits and '-'").default("molt-batch"),
  "mount-path": z.string().refine((path) => posix.isAbsolute(path), "must be an absolute path").default("/out"),
});

/** What the batch command has checked, for pods that run the same selection. */
export interface EmitRequest {
  instancesFile: string;
  model: string;
  baseUrl: string | undefined;
  reposDir: string | undefined;
  configFile: string | undefined;
  filter: string | undefined;
  slice: string | undefined;
  /** `molt run` flags as given, --sandbox left out: the pod's sandbox is `sandbox`. */
  runFlags: string[];
  sandbox: "bwrap" | "local";
  /** How many instances the selection holds. */
  selected: number;
  workers: number;
  flags: Partial<Record<(typeof K8S_FLAGS)[number], string>>;
}

/**
 * The Indexed Job that runs the batch on a cluster, as YAML. Pod I runs `molt batch` over shard
 * I/N into MOUNT/shard-I. The files the batch reads are looked for at the top of the volume under
 * their own names (the instances, --config, --repos-dir, a script model).
 */
export function emitK8s(request: EmitRequest): string {
  const parsed = K8sFlags.safeParse(request.flags);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const value = request.flags[name as keyof EmitRequest["flags"]];
    throw new UsageError(`--${name} ${issue.message}${value === undefined ? "" : ` (got "${value}")`}`);
  }
  const flags = parsed.data;
  const needsKey = !request.model.startsWith("script:") && request.baseUrl === undefined;
  if (needsKey && flags.secret === undefined) throw new UsageError("--emit k8s needs --secret NAME: a Secret whose key OPENAI_API_KEY holds the model's key");

  const mount = flags["mount-path"];
  const onVolume = (local: string) => posix.join(mount, basename(local));
  const copied = [request.instancesFile, request.reposDir, request.configFile, request.model.startsWith("script:") ? request.model.slice("script:".length) : undefined];
  const shards = flags.shards ?? request.selected;

  const args = [
    "molt", "batch",
    "--instances", onVolume(request.instancesFile),
    "--model", request.model.startsWith("script:") ? `script:${onVolume(request.model.slice("script:".length))}` : request.model,
    ...(request.baseUrl !== undefined ? ["--base-url", request.baseUrl] : []),
    ...(request.reposDir !== undefined ? ["--repos-dir", onVolume(request.reposDir)] : []),
    ...(request.configFile !== undefined ? ["--config", onVolume(request.configFile)] : []),
    ...(request.filter !== undefined ? ["--filter", request.filter] : []),
    ...(request.slice !== undefined ? ["--slice", request.slice] : []),
    ...request.runFlags,
    "--sandbox", request.sandbox,
  ];
  // Single quotes for what is fixed; the index is left for the pod's shell to expand.
  const index = `"\${${INDEX_VARIABLE}}"`;
  const command = `exec ${args.map(shellQuote).join(" ")} --shard ${index}/${shards} --output ${shellQuote(posix.join(mount, "shard-"))}${index}`;

  const job = indexedJob({
    name: flags["job-name"],
    image: flags.image,
    command,
    shards,
    parallelism: request.workers,
    secret: flags.secret,
    volumeClaim: flags["volume-claim"],
    mountPath: mount,
    privileged: request.sandbox === "bwrap",
  });
  const document = new Document(job);
  const files = copied.filter((file): file is string => file !== undefined).map((file) => basename(file));
  document.commentBefore = [
    ` molt batch --emit k8s: ${request.selected} instance${request.selected === 1 ? "" : "s"} in ${shards} shard${shards === 1 ? "" : "s"}, ${request.workers} pod${request.workers === 1 ? "" : "s"} at a time.`,
    ` Before applying: copy ${files.join(", ")} to the top of the volume ${flags["volume-claim"]} (mounted at ${mount}).`,
    ` When it is done: molt batch merge ${posix.join(mount, "shard-*")} --output ${posix.join(mount, "merged")}`,
  ].join("\n");
  return document.toString({ lineWidth: 0 });
}
