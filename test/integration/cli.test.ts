import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { cleanUp, makeRepo, molt, MOLT, tempDir } from "../helpers.ts";

afterEach(cleanUp);

describe.each(["tools", "text"] as const)("molt demo (%s format)", (format) => {
  test("fixes the bundled bug offline, says the model is scripted, and ends with the patch", async () => {
    const cwd = await tempDir();
    const data = await tempDir("molt-data-");
    const result = await molt(["demo", "--action-format", format], { cwd, env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, XDG_DATA_HOME: data } });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/the model is scripted/);
    expect(result.stdout).toContain("Submitted after 8 steps");
    // The agent built an editing tool, was told why the first version failed, fixed it and used it.
    expect(result.stdout).toMatch(/tool replace_in_file v1 rejected: evolved\/replace_in_file\.ts:\d+:\d+ TS2322/);
    expect(result.stdout).toMatch(/tool replace_in_file v2 loaded/);
    expect(result.stdout).toMatch(/⚙ replace_in_file --path src\/duration\.js .* → exit 0/);
    expect(result.stdout.trimEnd()).toMatch(/\+ {2}const minutes = Math\.floor\(\(totalSeconds % 3600\) \/ 60\);[\s\S]*$/);
    // The tests the agent ran really passed in the workspace: node's runner reported no failures.
    // The run went to the user's runs folder, under the id the demo showed; nothing was left where it ran.
    expect(await readdir(cwd)).toEqual([]);
    const [runId] = await readdir(join(data, "molt", "runs"));
    expect(result.stdout).toContain(`run ${runId}`);
    const events = (await readFile(join(data, "molt", "runs", runId!, "events.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { type: string; step?: number; output?: string });
    const testRun = events.find((event) => event.type === "command_finished" && event.step === 7);
    expect(testRun?.output).toContain("1h 2m 5s");
    expect(testRun?.output).toMatch(/fail 0/);
  });
});

test("--model script:FILE serves the user's own script", async () => {
  const repo = await makeRepo({ "a.txt": "old\n" });
  const dir = await tempDir();
  const script = join(dir, "script.json");
  await writeFile(script, JSON.stringify([{ command: "echo new > a.txt" }, { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" }]));
  const result = await molt(["run", "--repo", repo, "--issue", "update a.txt", "--model", `script:${script}`, "--output", join(dir, "run")], { env: { OPENAI_API_KEY: undefined } });
  expect(result.exitCode).toBe(0);
  expect(await readFile(join(dir, "run", "patch.diff"), "utf8")).toContain("+new");
});

test("a script that is not a list of replies is bad input", async () => {
  const repo = await makeRepo({ "a.txt": "old\n" });
  const dir = await tempDir();
  const script = join(dir, "script.json");
  await writeFile(script, JSON.stringify({ replies: [] }));
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", `script:${script}`], { cwd: dir });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/^molt: .*script\.json: not a script/);
});

test("help and version answer without a repository", async () => {
  const help = await molt(["--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("Usage: molt <command>");
  const runHelp = await molt(["run", "--help"]);
  expect(runHelp.stdout).toContain("--action-format");
  expect(runHelp.stdout).toContain("--cost-limit");
  const version = await molt(["--version"]);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  const unknown = await molt(["frobnicate"]);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.stderr).toContain('unknown command "frobnicate"');
});

describe("on an older Node", () => {
  const older = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => existsSync(path) && /^v(1\d|20|21)\./.test(execSync(`${path} --version`).toString()));

  // Machines without an older Node cannot show this; CI's has Node 20 in /usr/bin.
  test.skipIf(!older)("molt runs under the Node 24 it keeps in the user's cache, and says so in one line", async () => {
    const { execa } = await import("execa");
    // The cache as a first fetch leaves it (the Node running the tests stands for the fetched one).
    const cache = await tempDir("molt-cache-");
    const bin = join(cache, "molt", "node-24", "node_modules", `node-${process.platform}-${process.arch}`, "bin");
    await mkdir(bin, { recursive: true });
    await symlink(process.execPath, join(bin, "node"));
    const result = await execa(older!, [MOLT, "--version"], { reject: false, env: { XDG_CACHE_HOME: cache } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(result.stderr.trim()).toBe(`molt: Node ${execSync(`${older} --version`).toString().trim()} is older than molt needs (22.12): running under Node 24 from ${join(cache, "molt", "node-24")}`);
  });

  test.skipIf(!older)("when Node 24 cannot be fetched: one line saying what to install, and exit 2", async () => {
    const { execa } = await import("execa");
    const cache = await tempDir("molt-cache-");
    // No npm on PATH: nothing can be fetched.
    const result = await execa(older!, [MOLT, "--version"], { reject: false, env: { XDG_CACHE_HOME: cache, PATH: "/nonexistent" } });
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^molt: Node v\d+\.\d+\.\d+ is older than molt needs \(22\.12\): fetching Node 24 from the npm registry into /);
    expect(lines[1]).toMatch(/^molt: could not fetch Node 24 \(.*\); install Node 22\.12 or newer \(see the README's quick start\)$/);
    expect(lines).toHaveLength(2);
  });
});
