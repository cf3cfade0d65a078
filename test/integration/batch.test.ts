import { execSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { readInstances } from "../../bin/runtime/batch/instances.ts";
import { git } from "../../sandbox/workspace.ts";
import { COUNT_WORDS, writeTool } from "../tool-sources.ts";
import { batchFixture, IDENTITY, SUBMIT, writeScripts, type BatchFixture } from "../batch-fixture.ts";
import { cleanUp, gitOut, MOLT, molt, writeFiles } from "../helpers.ts";

// `molt batch` as a user runs it: real git repositories in a --repos-dir layout, a scripted model per instance.

const fixture = batchFixture;
type Fixture = BatchFixture;

afterEach(cleanUp);

function batchArgs(f: Fixture, out: string, ...extra: string[]): string[] {
  return ["batch", "--instances", f.instancesFile, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--workers", "2", "--sandbox", "local", ...extra];
}

async function readJson<T = Record<string, Record<string, unknown>>>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

async function events(runDir: string): Promise<MoltEvent[]> {
  return (await readFile(join(runDir, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

describe("molt batch", () => {
  test("runs three instances over two repositories into preds.json, and a second run skips them all", async () => {
    const f = await fixture();
    const out = join(f.root, "out");
    const first = await molt(batchArgs(f, out));
    expect(first.stderr).toBe("");
    expect(first.exitCode).toBe(0);
    expect(first.stdout.match(/^\[\d\/3\] /gm)).toHaveLength(3);
    const preds = await readJson(join(out, "preds.json"));
    expect(Object.keys(preds).sort()).toEqual(["acme__calc-1", "acme__calc-2", "acme__text-1"]);
    expect(preds["acme__calc-1"]).toMatchObject({ instance_id: "acme__calc-1", model_name_or_path: `script:${f.scripts}` });
    expect(preds["acme__calc-1"]!.model_patch).toContain("+export const add = (a, b) => a + b;");
    expect(preds["acme__calc-1"]!.model_patch).not.toContain("a * b");
    expect(preds["acme__calc-2"]!.model_patch).toContain("+export const mul = (a, b) => a * b;");
    expect(preds["acme__text-1"]!.model_patch).toContain("toUpperCase");
    const summary = await readJson<{ instances: Record<string, { exit_status: string; steps: number; prompt_tokens: number; cached_tokens: number }> }>(join(out, "summary.json"));
    expect(Object.values(summary.instances).map((entry) => [entry.exit_status, entry.steps])).toEqual([["Submitted", 2], ["Submitted", 2], ["Submitted", 2]]);
    expect(summary.instances["acme__text-1"]).toMatchObject({ prompt_tokens: 8100, cached_tokens: 7000 });
    expect(summary.instances["acme__calc-1"]!.prompt_tokens).toBeGreaterThan(0);
    expect(summary.instances["acme__calc-1"]!.cached_tokens).toBe(0);
    expect(first.stdout).toMatch(/acme__text-1 {2}Submitted .*8100 in \(86% cached\)/);
    expect(first.stdout).toMatch(/instance\s+status\s+steps/);

    // Again: nothing is asked of the model (the scripts are gone, so asking would fail).
    await rm(f.scripts, { recursive: true });
    const again = await molt(batchArgs(f, out));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("3 already finished: running 0");
    expect(await readJson(join(out, "preds.json"))).toEqual(preds);
  });

  test("--workspaces puts the workspaces on a tmpfs: the same patches under bubblewrap, and nothing left there", async () => {
    const f = await fixture();
    const out = join(f.root, "out");
    const workspaces = join(existsSync("/dev/shm") ? "/dev/shm" : f.root, `molt-test-workspaces-${process.pid}`);
    try {
      const result = await molt(batchArgs(f, out, "--sandbox", "bwrap", "--workspaces", workspaces));
      expect(result.exitCode, result.stderr).toBe(0);
      const preds = await readJson(join(out, "preds.json"));
      expect(preds["acme__calc-1"]!.model_patch).toContain("+export const add = (a, b) => a + b;");
      expect(preds["acme__text-1"]!.model_patch).toContain("toUpperCase");
      const started = (await events(join(out, "acme__calc-1"))).find((event) => event.type === "run_started");
      expect(started?.type === "run_started" && started.workspace.startsWith(`${workspaces}/`)).toBe(true);
      const left = await readdir(workspaces);
      expect(left).toEqual([]);
    } finally {
      await rm(workspaces, { recursive: true, force: true });
    }
    const notAFolder = join(f.instancesFile, "workspaces");
    const bad = await molt(batchArgs(f, join(f.root, "out2"), "--workspaces", notAFolder));
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([`molt: --workspaces ${notAFolder}: not a folder molt can write in`]);
  });

  test("workspaces made ahead are used or removed: a run that cannot start leaves none behind", async () => {
    const f = await fixture();
    await rm(join(f.scripts, "acme__text-1.json"));
    const out = join(f.root, "out");
    const workspaces = join(f.root, "workspaces");
    // One worker: the next instance's workspace is made while the one before it runs.
    const result = await molt(batchArgs(f, out, "--workers", "1", "--workspaces", workspaces));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/acme__text-1 +Crashed.*cannot read the script/);
    const preds = await readJson(join(out, "preds.json"));
    expect(preds["acme__calc-1"]!.model_patch).toContain("+export const add = (a, b) => a + b;");
    expect(preds["acme__calc-2"]!.model_patch).toContain("+export const mul = (a, b) => a * b;");
    // Its own fresh workspace: not the one calc-1 changed.
    expect(preds["acme__calc-2"]!.model_patch).not.toContain("+export const add");
    expect(await readdir(workspaces)).toEqual([]);
  });

  test("Ctrl-C ends the running instance as Interrupted and leaves no workspace: the next batch starts it over", async () => {
    const f = await fixture({ "acme__calc-1": [{ command: "sleep 30" }, SUBMIT], "acme__calc-2": [SUBMIT], "acme__text-1": [SUBMIT] });
    const out = join(f.root, "out");
    const workspaces = join(f.root, "workspaces");
    const child = spawn(process.execPath, [MOLT, ...batchArgs(f, out, "--workers", "1", "--workspaces", workspaces)], { detached: true, stdio: "ignore", env: { ...process.env, MOLT_LIBRARY: "" } });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 30_000;
    const sleeping = async () => (await readFile(join(out, "acme__calc-1", "events.jsonl"), "utf8").catch(() => "")).includes('"command_started"');
    while (!(await sleeping()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // As a terminal's Ctrl-C does: to the whole foreground group, the batch and its workers.
    process.kill(-child.pid!, "SIGINT");
    expect(await exited).toBe(1);
    const finished = (await events(join(out, "acme__calc-1"))).find((event) => event.type === "run_finished");
    expect(finished).toMatchObject({ exitStatus: "Interrupted" });
    expect(await readdir(workspaces)).toEqual([]);

    await writeScripts(f.scripts, { "acme__calc-1": [SUBMIT] });
    const again = await molt(batchArgs(f, out, "--workspaces", workspaces));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("running 3");
  });

  test("a batch killed with kill -9 keeps what it finished, and the next run carries on and clears the workspaces it left", async () => {
    const slow = [{ delayMs: 60_000, command: "true" }, SUBMIT];
    const f = await fixture({
      "acme__calc-1": [{ command: "sed -i 's/a - b/a + b/' calc.js" }, SUBMIT],
      "acme__calc-2": slow,
      "acme__text-1": slow,
    });
    const out = join(f.root, "out");
    const workspaces = join(f.root, "workspaces");
    const child = spawn(process.execPath, [MOLT, ...batchArgs(f, out, "--workers", "1", "--workspaces", workspaces)], { detached: true, stdio: "ignore", env: { ...process.env, MOLT_LIBRARY: "" } });
    const predsPath = join(out, "preds.json");
    const deadline = Date.now() + 30_000;
    while (!existsSync(predsPath) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Meanwhile the output folder is this batch's alone.
    const second = await molt(batchArgs(f, out));
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toBe(`molt: ${out} is in use by another molt batch (process ${child.pid}); if it is not, remove ${join(out, ".batch.lock")}`);
    process.kill(-child.pid!, "SIGKILL");
    const kept = await readJson(predsPath);
    expect(Object.keys(kept)).toEqual(["acme__calc-1"]);
    // A killed batch cleans up nothing: the running instance's workspace and the next one's are left.
    const [left] = await readdir(workspaces);
    expect((await readdir(join(workspaces, left!))).length).toBe(2);

    await writeScripts(f.scripts, { "acme__calc-2": [SUBMIT], "acme__text-1": [SUBMIT] });
    const again = await molt(batchArgs(f, out, "--workspaces", workspaces));
    expect(again.exitCode).toBe(0);
    expect(await readdir(workspaces)).toEqual([]);
    expect(again.stdout).toContain("1 already finished: running 2");
    expect(Object.keys(await readJson(predsPath)).sort()).toEqual(["acme__calc-1", "acme__calc-2", "acme__text-1"]);
    // The killed run's folder was set aside, not mixed with the new one.
    expect((await readdir(join(out, ".unfinished"))).some((name) => name.startsWith("acme__calc-2."))).toBe(true);
    expect((await events(join(out, "acme__calc-2"))).filter((event) => event.type === "run_started")).toHaveLength(1);
  });

  test("Parquet gives the same instances as JSONL, and --filter picks by id", async () => {
    const f = await fixture();
    const parquet = join(f.root, "instances.parquet");
    const column = (name: string, value: (instance: Record<string, unknown>) => string | null) => ({ name, data: f.instances.map(value), type: "STRING" as const });
    const text = (name: string) => column(name, (instance) => (instance[name] === undefined ? null : typeof instance[name] === "string" ? (instance[name] as string) : JSON.stringify(instance[name])));
    parquetWriteFile({ filename: parquet, columnData: ["instance_id", "repo", "base_commit", "problem_statement", "hints_text", "FAIL_TO_PASS", "PASS_TO_PASS"].map(text) });
    expect(await readInstances(parquet)).toEqual(await readInstances(f.instancesFile));
    expect((await readInstances(parquet))[0]?.FAIL_TO_PASS).toEqual(["test_add"]);

    const out = join(f.root, "out");
    const result = await molt(["batch", "--instances", parquet, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--sandbox", "local", "--filter", "text"]);
    expect(result.exitCode).toBe(0);
    expect(Object.keys(await readJson(join(out, "preds.json")))).toEqual(["acme__text-1"]);
  });

  test("--slice, --shard and merge: the shards together make the whole batch", async () => {
    const f = await fixture();
    const sliced = await molt(batchArgs(f, join(f.root, "sliced"), "--slice", "1:2"));
    expect(sliced.exitCode).toBe(0);
    expect(Object.keys(await readJson(join(f.root, "sliced", "preds.json")))).toEqual(["acme__calc-2"]);

    const shards = [join(f.root, "shard0"), join(f.root, "shard1")];
    const results = await Promise.all(shards.map((dir, index) => molt(batchArgs(f, dir, "--shard", `${index}/2`, "--workers", "1"))));
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    expect(Object.keys(await readJson(join(shards[0]!, "preds.json"))).sort()).toEqual(["acme__calc-1", "acme__text-1"]);
    expect(Object.keys(await readJson(join(shards[1]!, "preds.json")))).toEqual(["acme__calc-2"]);

    const merged = join(f.root, "merged");
    const merge = await molt(["batch", "merge", ...shards, join(f.root, "sliced"), "--output", merged]);
    expect(merge.stderr).toBe("");
    expect(merge.exitCode).toBe(0);
    const preds = await readJson(join(merged, "preds.json"));
    expect(Object.keys(preds).sort()).toEqual(["acme__calc-1", "acme__calc-2", "acme__text-1"]);
    expect(Object.keys((await readJson<{ instances: object }>(join(merged, "summary.json"))).instances).sort()).toEqual(["acme__calc-1", "acme__calc-2", "acme__text-1"]);

    // The same instance with another patch in two folders is refused.
    const conflicting = await readJson(join(shards[1]!, "preds.json"));
    conflicting["acme__calc-1"] = { instance_id: "acme__calc-1", model_name_or_path: "x", model_patch: "other" };
    await writeFile(join(shards[1]!, "preds.json"), JSON.stringify(conflicting));
    const refused = await molt(["batch", "merge", ...shards, "--output", join(f.root, "merged2")]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("acme__calc-1");
  });

  describe("the tool library carries over from instance to instance", () => {
    const scripts = {
      "acme__calc-1": [{ command: writeTool("count_words", COUNT_WORDS) }, SUBMIT],
      "acme__calc-2": [{ command: "count_words --path calc.js" }, SUBMIT],
    };

    test("an instance uses the tool an earlier one kept", async () => {
      const f = await fixture(scripts);
      const out = join(f.root, "out");
      const result = await molt(batchArgs(f, out, "--workers", "1", "--filter", "calc", "--sandbox", "bwrap"));
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(existsSync(join(out, "library", "count_words.ts"))).toBe(true);
      const summary = await readJson<{ instances: Record<string, { tools_created: string[]; kept_tools_used: string[]; tools_used: Record<string, number> }> }>(join(out, "summary.json"));
      expect(summary.instances["acme__calc-1"]?.tools_created).toEqual(["count_words"]);
      expect(summary.instances["acme__calc-2"]?.kept_tools_used).toEqual(["count_words"]);
      expect(summary.instances["acme__calc-2"]?.tools_used).toEqual({ count_words: 1 });
      expect(result.stdout).toContain("used kept: count_words");
    });

    test("with --fresh it cannot: the tool is not on its PATH", async () => {
      const f = await fixture(scripts);
      const out = join(f.root, "out");
      const result = await molt(batchArgs(f, out, "--workers", "1", "--filter", "calc", "--fresh"));
      expect(result.exitCode).toBe(0);
      expect(existsSync(join(out, "library"))).toBe(false);
      const summary = await readJson<{ instances: Record<string, { kept_tools_used: string[] }> }>(join(out, "summary.json"));
      expect(summary.instances["acme__calc-2"]?.kept_tools_used).toEqual([]);
      const call = (await events(join(out, "acme__calc-2"))).find((event) => event.type === "command_finished");
      expect(call?.type === "command_finished" && call.exitCode).toBe(127);
    });
  });

  test("install_cmd runs before the agent: the lockfile it rewrites and the node_modules it makes stay out of the patch", async () => {
    const f = await fixture();
    const repo = join(f.reposDir, "acme__calc");
    await writeFiles(repo, { "package-lock.json": '{"lockfileVersion": 1}\n' });
    await git(repo, IDENTITY).add(".").commit("lockfile");
    const base = await gitOut(repo, "rev-parse", "HEAD");
    const install = "echo '{\"lockfileVersion\": 3}' > package-lock.json && mkdir -p node_modules/left-pad && echo 'module.exports = 1' > node_modules/left-pad/index.js";
    await writeFile(f.instancesFile, JSON.stringify({ ...f.instances[0], base_commit: base, install_cmd: install }) + "\n");
    const out = join(f.root, "out");
    const result = await molt(batchArgs(f, out, "--sandbox", "bwrap"));
    expect(result.exitCode).toBe(0);
    const patch = (await readJson(join(out, "preds.json")))["acme__calc-1"]!.model_patch as string;
    expect(patch).toContain("+export const add = (a, b) => a + b;");
    expect(patch).not.toContain("package-lock.json");
    expect(patch).not.toContain("node_modules");
    const setup = (await events(join(out, "acme__calc-1"))).find((event) => event.type === "setup_finished");
    expect(setup).toMatchObject({ type: "setup_finished", exitCode: 0, command: install });
  });

  test("the summary names new files in the patch that the repository ignores", async () => {
    const f = await fixture({ "acme__calc-1": [{ command: "sed -i '/node_modules/d' .gitignore && mkdir -p node_modules/x && echo 1 > node_modules/x/a.js" }, SUBMIT] });
    const out = join(f.root, "out");
    const result = await molt(batchArgs(f, out, "--filter", "calc-1"));
    expect(result.exitCode).toBe(0);
    const summary = await readJson<{ instances: Record<string, { ignored_paths_in_patch: string[] }> }>(join(out, "summary.json"));
    expect(summary.instances["acme__calc-1"]?.ignored_paths_in_patch).toEqual(["node_modules/x/a.js"]);
    expect(result.stdout).toContain("ignored paths in patch: node_modules/x/a.js");
  });

  test("a failing setup ends the run with EnvironmentError before the model is asked", async () => {
    const f = await fixture();
    const out = join(f.root, "run");
    // A model that is asked at all fails the run with another status.
    await writeScripts(f.scripts, { never: [{ error: { status: 401 } }] });
    const result = await molt(["run", "--repo", join(f.reposDir, "acme__calc"), "--issue", "x", "--model", `script:${join(f.scripts, "never.json")}`, "--sandbox", "local", "--setup", "echo cannot install; exit 3", "--output", out]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe("molt: EnvironmentError: the setup command exited with 3: cannot install");
    // The plain printer and replay show the setup in one line.
    expect(result.stdout).toMatch(/^setup  \$ echo cannot install; exit 3  → exit 3 · \d+ ms$/m);
    const replay = await molt(["replay", out, "--print"], { env: { NO_COLOR: "1" } });
    expect(replay.stdout).toMatch(/^setup  \$ echo cannot install; exit 3  → exit 3 · \d+ ms$/m);
  });

  test("an instance sees neither the other instances' workspaces nor the batch's folder, wherever they are", async () => {
    // Outside /tmp, which every sandbox hides anyway: a --workspaces folder and an output folder of the user's.
    const place = await mkdtemp(join("/var/tmp", "molt-batch-"));
    try {
      const out = join(place, "out");
      const workspaces = join(place, "workspaces");
      const look = { command: `ls -A "$(dirname "$(dirname "$PWD")")" | wc -l; echo "--"; ls -A ${out} 2>&1 | head; echo "--"; ls -d /tmp/molt-*/r-*/ /tmp/molt-s-*/ "\${XDG_RUNTIME_DIR:-/run/user}"/molt/*/ ${workspaces}/*/*/ 2>/dev/null | grep -v "^$(dirname "$PWD")/" | grep -v -F "$(dirname "$MOLT_TOOL_SOCKET")" | wc -l` };
      const f = await fixture({ "acme__calc-1": [look, SUBMIT], "acme__calc-2": [look, SUBMIT], "acme__text-1": [look, SUBMIT] });
      const result = await molt([...batchArgs(f, out, "--workspaces", workspaces, "--sandbox", "bwrap"), "--workers", "1"]);
      expect(result.exitCode, result.stderr).toBe(0);
      for (const id of ["acme__calc-1", "acme__calc-2", "acme__text-1"]) {
        const seen = (await events(join(out, id))).find((event) => event.type === "command_finished");
        const [siblings, listing, sockets] = (seen?.type === "command_finished" ? seen.output : "").split("--\n");
        // Its own container only; the next instances' workspaces, made ahead meanwhile, and their tool hosts' socket folders are not there.
        expect(siblings?.trim(), id).toBe("1");
        expect(listing?.trim(), id).toBe("");
        expect(sockets?.trim(), id).toBe("0");
      }
    } finally {
      await rm(place, { recursive: true, force: true });
    }
  });

  test("a repository that cannot be cloned: tried once, its instances end EnvironmentError naming --repos-dir, and the batch does not say to run it again", async () => {
    const f = await fixture();
    const gone = f.instances.slice(0, 2).map((instance) => ({ ...instance, repo: "molt-test-nobody/no-such-repo" }));
    await writeFile(f.instancesFile, gone.map((instance) => JSON.stringify(instance)).join("\n") + "\n");
    const out = join(f.root, "out");
    // git as molt finds it on PATH, noting each clone.
    const log = join(f.root, "clones.log");
    const bin = join(f.root, "bin");
    await writeFiles(bin, { git: `#!/bin/sh\nfor arg in "$@"; do [ "$arg" = clone ] && echo clone >> '${log}' && break; done\nexec '${execSync("command -v git", { shell: "/bin/sh" }).toString().trim()}' "$@"\n` });
    await chmod(join(bin, "git"), 0o755);
    const args = batchArgs(f, out).filter((arg, index, all) => arg !== "--repos-dir" && all[index - 1] !== "--repos-dir");
    // No network here: github.com cannot be reached, as when a name is wrong or the machine is offline.
    const result = await molt(args, { env: { MOLT_REPO_CACHE: join(f.root, "cache"), PATH: `${bin}:${process.env.PATH}` } });
    expect(result.exitCode).toBe(1);
    const summary = await readJson<{ instances: Record<string, { exit_status: string; reason: string }> }>(join(out, "summary.json"));
    for (const entry of Object.values(summary.instances)) {
      expect(entry.exit_status).toBe("EnvironmentError");
      expect(entry.reason).toMatch(/^could not clone https:\/\/github\.com\/molt-test-nobody\/no-such-repo \(.*\); clone it into DIR\/molt-test-nobody__no-such-repo yourself and pass --repos-dir DIR$/);
    }
    expect(result.stdout).toContain("0 finished, 2 without their repositories (clone them yourself and pass --repos-dir DIR)");
    expect(result.stdout).not.toContain("run the same command again");
    expect((await readFile(log, "utf8")).trim().split("\n")).toEqual(["clone"]);
  });

  test("what is wrong with the paths is said before the missing key", async () => {
    const f = await fixture();
    const result = await molt(["batch", "--instances", join(f.root, "missing.jsonl"), "--output", join(f.root, "out"), "--model", "gpt-4.1"], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(`molt: cannot read the instances file ${join(f.root, "missing.jsonl")}: no such file`);
  });

  describe("bad input: one line, exit 2", () => {
    test.each([
      ["a missing instances file", async (f: Fixture) => ["--instances", join(f.root, "missing.jsonl")], "no such file"],
      ["a line that is not an instance", async (f: Fixture) => {
        await writeFile(f.instancesFile, `${JSON.stringify(f.instances[0])}\n{"instance_id": "x"}\n`);
        return [];
      }, "instances.jsonl:2: not a SWE-bench instance"],
      ["a line that is not JSON", async (f: Fixture) => {
        await writeFile(f.instancesFile, "not json\n");
        return [];
      }, "instances.jsonl:1: not a JSON line"],
      ["an unknown --shard form", async () => ["--shard", "3"], "--shard must be I/N"],
      ["a shard past the count", async () => ["--shard", "2/2"], "0 <= I < N"],
      ["a repository missing from --repos-dir", async (f: Fixture) => {
        await writeFile(f.instancesFile, JSON.stringify({ ...f.instances[0], repo: "acme/gone" }) + "\n");
        return [];
      }, "no acme__gone in --repos-dir"],
      ["a bad run flag", async () => ["--step-limit", "many"], "--step-limit must be a whole number"],
      ...["preds.json", "Summary.json", "library"].map((id): [string, (f: Fixture) => Promise<string[]>, string] => [
        `an instance id that names the batch's own ${id}`,
        async (f: Fixture) => {
          await writeFile(f.instancesFile, JSON.stringify({ ...f.instances[0], instance_id: id }) + "\n");
          return [];
        },
        "instance_id: names one of the batch's own files (preds.json, summary.json, library)",
      ]),
      ["two ids apart only by case", async (f: Fixture) => {
        await writeFile(f.instancesFile, [f.instances[0], { ...f.instances[0], instance_id: "ACME__calc-1" }].map((line) => JSON.stringify(line)).join("\n") + "\n");
        return [];
      }, "the instance ACME__calc-1 appears twice (as acme__calc-1: their folders would be one where case does not count)"],
    ])("%s", async (_, extra, message) => {
      const f = await fixture();
      const out = join(f.root, "out");
      const args = batchArgs(f, out);
      const more = await extra(f);
      const instancesAt = more.indexOf("--instances");
      if (instancesAt >= 0) args.splice(args.indexOf("--instances"), 2, ...more.splice(instancesAt, 2));
      const result = await molt([...args, ...more]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(message);
      expect(existsSync(join(out, "preds.json"))).toBe(false);
    });
  });
});
