/** The environment variable Kubernetes sets to each pod's index in an Indexed Job. */
export const INDEX_VARIABLE = "JOB_COMPLETION_INDEX";

/** Exit code 2 is bad usage or bad input: the same pod again would fail the same way. */
const USAGE_EXIT_CODE = 2;
/** Tries per shard: `molt batch` run again carries on where the pod before it stopped. */
const TRIES_PER_SHARD = 3;

export interface JobSpec {
  name: string;
  image: string;
  /** The shell command each pod runs; it finds its shard in $JOB_COMPLETION_INDEX. */
  command: string;
  shards: number;
  parallelism: number;
  /** A Secret holding OPENAI_API_KEY, if the model needs a key. */
  secret: string | undefined;
  volumeClaim: string;
  mountPath: string;
  /** bubblewrap inside a container needs namespaces the default pod security does not allow. */
  privileged: boolean;
}

const CONTAINER = "molt";

/** A batch/v1 Indexed Job: one pod per shard, `parallelism` of them at a time, outputs on one volume. */
export function indexedJob(spec: JobSpec) {
  const labels = { "app.kubernetes.io/name": "molt", "app.kubernetes.io/instance": spec.name };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.name, labels },
    spec: {
      completionMode: "Indexed",
      completions: spec.shards,
      parallelism: spec.parallelism,
      backoffLimitPerIndex: TRIES_PER_SHARD - 1,
      podFailurePolicy: {
        rules: [
          { action: "FailIndex", onExitCodes: { containerName: CONTAINER, operator: "In", values: [USAGE_EXIT_CODE] } },
          // A node drained or a pod preempted is not the shard's fault.
          { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
        ],
      },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: CONTAINER,
              image: spec.image,
              command: ["sh", "-c", spec.command],
              ...(spec.secret === undefined
                ? {}
                : { env: [{ name: "OPENAI_API_KEY", valueFrom: { secretKeyRef: { name: spec.secret, key: "OPENAI_API_KEY" } } }] }),
              volumeMounts: [{ name: "out", mountPath: spec.mountPath }],
              ...(spec.privileged ? { securityContext: { privileged: true } } : {}),
            },
          ],
          volumes: [{ name: "out", persistentVolumeClaim: { claimName: spec.volumeClaim } }],
        },
      },
    },
  };
}
