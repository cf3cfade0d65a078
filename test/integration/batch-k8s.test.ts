import { symlink, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, test } from "vitest";
import { Job as KubernetesJob } from "kubernetes-models/batch/v1/Job";
import { parse } from "yaml";
import { batchFixture, type BatchFixture } from "../batch-fixture.ts";
import { cleanUp, MOLT, molt } from "../helpers.ts";

// `molt batch --emit k8s`: the manifest read back as Kubernetes would read it, and its pods' commands run here.

afterEach(cleanUp);

interface Container {
  name: string;
  image: string;
  command: string[];
  env?: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[];
  volumeMounts: { name: string; mountPath: string }[];
  securityContext?: { privileged: boolean };
}
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimitPerIndex: number;
    template: { spec: { restartPolicy: string; containers: Container[]; volumes: { name: string; persistentVolumeClaim: { claimName: string } }[] } };
  };
}

/** The volume is the fixture's folder: the instances, repositories and scripts are at its top under their own names, as the README asks. */
function emitArgs(f: BatchFixture, ...extra: string[]): string[] {
  return [
    "batch", "--instances", f.instancesFile, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--workers", "2",
    "--emit", "k8s", "--image", "registry.example/molt:1", "--secret", "molt-key", "--volume-claim", "molt-out", "--mount-path", f.root, ...extra,
  ];
}

async function emit(f: BatchFixture, ...extra: string[]): Promise<Job> {
  const result = await molt(emitArgs(f, ...extra), { env: { OPENAI_API_KEY: undefined } });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return parse(result.stdout) as Job;
}

describe("molt batch --emit k8s", () => {
  test("prints an Indexed Job: one pod per instance, --workers at a time, the key from the Secret, outputs on the claim", async () => {
    const f = await batchFixture();
    const job = await emit(f);
    expect(job).toMatchObject({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "molt-batch" } });
    expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 3, parallelism: 2, backoffLimitPerIndex: 2 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    const [container] = pod.containers;
    expect(container!.image).toBe("registry.example/molt:1");
    expect(container!.command.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(container!.command[2]).toContain(`--shard "\${JOB_COMPLETION_INDEX}"/3 --output ${f.root}/shard-"\${JOB_COMPLETION_INDEX}"`);
    expect(container!.command[2]).toContain(`--instances ${f.root}/instances.jsonl`);
    expect(container!.command[2]).toContain("--sandbox local");
    expect(container!.command[2]).not.toMatch(/--workers|--emit|--image/);
    expect(container!.env).toEqual([{ name: "OPENAI_API_KEY", valueFrom: { secretKeyRef: { name: "molt-key", key: "OPENAI_API_KEY" } } }]);
    expect(container!.securityContext).toBeUndefined();
    expect(container!.volumeMounts).toEqual([{ name: "out", mountPath: f.root }]);
    expect(pod.volumes).toEqual([{ name: "out", persistentVolumeClaim: { claimName: "molt-out" } }]);

    const bwrap = await emit(f, "--sandbox", "bwrap", "--shards", "2", "--job-name", "swe-lite");
    expect(bwrap.metadata.name).toBe("swe-lite");
    expect(bwrap.spec.completions).toBe(2);
    expect(bwrap.spec.template.spec.containers[0]!.securityContext).toEqual({ privileged: true });
    expect(bwrap.spec.template.spec.containers[0]!.command[2]).toContain("--sandbox bwrap");
  });

  // Validated against Kubernetes' published schemas (the kubernetes-models package), as the API server would check them.
  test.each([
    ["the README's walkthrough", ["--step-limit", "100"]],
    ["molt's own sandbox in the pod", ["--sandbox", "bwrap"]],
    ["a named Job, shards and a mount path", ["--job-name", "swe-lite", "--shards", "2"]],
    ["an endpoint that needs no key", ["--base-url", "http://vllm.internal:8000/v1"]],
  ])("the Job is valid Kubernetes: %s", async (_what, extra) => {
    const f = await batchFixture();
    const args = emitArgs(f, ...extra);
    const withoutSecret = extra.includes("--base-url") ? args.filter((arg, index) => arg !== "--secret" && args[index - 1] !== "--secret") : args;
    const result = await molt(withoutSecret, { env: { OPENAI_API_KEY: undefined } });
    expect(result.exitCode, result.stderr).toBe(0);
    const manifest: unknown = parse(result.stdout);
    expect(() => new KubernetesJob(manifest as ConstructorParameters<typeof KubernetesJob>[0]).validate()).not.toThrow();
  });

  test("the container image the walkthrough builds is a file of the repository, with what the pods run", async () => {
    const dockerfile = await readFile(new URL("../../docs/container/Dockerfile", import.meta.url), "utf8");
    expect(dockerfile).toMatch(/^FROM node:24/m);
    for (const needed of ["git", "bubblewrap", "socat", "ripgrep", "python3"]) expect(dockerfile).toMatch(new RegExp(`\\b${needed}\\b`));
    expect(dockerfile).toContain("npm ci --omit=dev");
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain("docker build -f docs/container/Dockerfile");
  });

  test("the pods' commands, run here for each index, merge into the preds.json of a one-process batch", async () => {
    const f = await batchFixture();
    // One shard more than instances: an empty shard must still merge.
    const job = await emit(f, "--shards", "4");
    const command = job.spec.template.spec.containers[0]!.command;
    const bin = join(f.root, "bin");
    await mkdir(bin);
    await symlink(MOLT, join(bin, "molt"));
    const env = { PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`, MOLT_LIBRARY: join(f.root, "no-library") };
    const pods = await Promise.all(
      Array.from({ length: job.spec.completions }, (_, index) =>
        execa(command[0]!, command.slice(1), { env: { ...env, JOB_COMPLETION_INDEX: String(index) }, reject: false, timeout: 120_000 }),
      ),
    );
    expect(pods.map((pod) => [pod.exitCode, pod.stderr])).toEqual(Array.from({ length: 4 }, () => [0, ""]));

    const merged = join(f.root, "merged");
    const merge = await molt(["batch", "merge", ...[0, 1, 2, 3].map((index) => join(f.root, `shard-${index}`)), "--output", merged]);
    expect(merge.exitCode).toBe(0);
    const single = join(f.root, "single");
    const whole = await molt(["batch", "--instances", f.instancesFile, "--output", single, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--workers", "2", "--sandbox", "local"]);
    expect(whole.exitCode).toBe(0);
    const preds = JSON.parse(await readFile(join(merged, "preds.json"), "utf8")) as Record<string, { model_patch: string }>;
    expect(Object.keys(preds).sort()).toEqual(["acme__calc-1", "acme__calc-2", "acme__text-1"]);
    expect(preds["acme__calc-2"]!.model_patch).toContain("+export const mul = (a, b) => a * b;");
    expect(preds).toEqual(JSON.parse(await readFile(join(single, "preds.json"), "utf8")));
  });

  describe("bad input: one line, exit 2", () => {
    test.each([
      ["no --image", ["--image"], "--image is required with --emit k8s"],
      ["no --volume-claim", ["--volume-claim"], "--volume-claim is required"],
      ["a --shard of its own", ["+", "--shard", "0/2"], "--shard is set in each pod"],
      ["a bad --shards", ["+", "--shards", "0"], "--shards must be a whole number"],
      ["a relative --mount-path", ["+", "--mount-path", "out"], "--mount-path must be an absolute path"],
    ])("%s", async (_, change, message) => {
      const f = await batchFixture();
      const args = emitArgs(f);
      if (change[0] === "+") args.push(...change.slice(1));
      else args.splice(args.indexOf(change[0]!), 2);
      const result = await molt(args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(message);
    });

    test("a model that needs a key and no --secret; --image without --emit", async () => {
      const f = await batchFixture();
      const noSecret = emitArgs(f).map((arg) => (arg === `script:${f.scripts}` ? "gpt-4.1" : arg));
      noSecret.splice(noSecret.indexOf("--secret"), 2);
      const refused = await molt(noSecret);
      expect([refused.exitCode, refused.stderr.trim()]).toEqual([2, "molt: --emit k8s needs --secret NAME: a Secret whose key OPENAI_API_KEY holds the model's key"]);
      const stray = await molt(["batch", "--instances", f.instancesFile, "--output", join(f.root, "out"), "--model", "m", "--image", "x"]);
      expect([stray.exitCode, stray.stderr.trim()]).toEqual([2, "molt: --image is for --emit k8s only"]);
    });
  });
});
