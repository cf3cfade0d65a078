import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { EventBus } from "../../core/events/event-bus.ts";
import type { CommandResult } from "../../core/environment.ts";
import { commitAfterStep, lastSnapshot } from "../../core/record/snapshot-points.ts";
import { SnapshotLayer } from "../../bin/runtime/snapshot-layer.ts";
import { CommandExecutor } from "../../sandbox/command-executor.ts";
import { DEFAULT_LIMITS } from "../../sandbox/limits.ts";
import { SNAPSHOT_REF, SnapshotStore } from "../../sandbox/snapshots.ts";
import { git, resolveSourceRepo, Workspace, WorkspaceError } from "../../sandbox/workspace.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, MOLT, tempDir, writeFiles } from "../helpers.ts";
import { runStartedFields } from "../run-started.ts";

// Step snapshots: the store on real repositories and workspaces, then whole runs of ./bin/molt.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n", "src/util.js": "export const id = (x) => x;\n", ".gitignore": "*.log\n" };
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, index) => index));

const servers: ScriptedServer[] = [];
const workspaces: Workspace[] = [];
const extraDirs: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(workspaces.splice(0).map((workspace) => workspace.remove()));
  await Promise.all(extraDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

/** A repository, a workspace of it, and where a run's snapshots would go. */
async function setUpWorkspace(files: Record<string, string> = FILES) {
  const repo = await makeRepo(files);
  const source = await resolveSourceRepo(repo);
  const workspace = await Workspace.create(source, await tempDir());
  workspaces.push(workspace);
  const gitDir = join(await tempDir(), "run", "snapshots.git");
  return { repo, workspace, gitDir, base: workspace.baseCommit, ws: workspace.path };
}

async function setUp(files: Record<string, string> = FILES) {
  const made = await setUpWorkspace(files);
  const store = await SnapshotStore.create(made.gitDir, made.workspace.sharedObjects, made.workspace.baseCommit);
  return { ...made, store };
}

/** A git command in the store, for looking at what it holds. */
async function inStore(gitDir: string, ...args: string[]): Promise<string> {
  return (await git(gitDir, { GIT_DIR: gitDir }).raw(...args)).trim();
}

/** Every file under `dir` but .git, with its bytes' hash. */
async function filesOf(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name));
    if (path.split("/")[0] === ".git") continue;
    found[path] = createHash("sha256").update(await readFile(join(dir, path))).digest("hex").slice(0, 16);
  }
  return found;
}

/** What a user could notice of their repository: refs, branches, index, status, objects. */
async function userView(repo: string): Promise<string[]> {
  const run = async (...args: string[]) => (await git(repo).raw(...args)).trim();
  return [
    await run("for-each-ref"),
    await run("branch", "--all", "--verbose"),
    await run("status", "--porcelain=v2", "--branch", "--untracked-files=all"),
    await run("ls-files", "--stage", "--debug"),
    createHash("sha256").update(await readFile(join(repo, ".git", "index"))).digest("hex"),
    await run("count-objects", "-v"),
    await run("stash", "list"),
    await run("worktree", "list", "--porcelain"),
  ];
}

describe("SnapshotStore", () => {
  test("a step that changed nothing takes no snapshot, even after files were touched or rewritten the same", async () => {
    const { store, ws, gitDir } = await setUp();
    await store.refresh(ws);
    expect(await store.capture(ws, 1)).toBeUndefined();
    expect(await store.capture(ws, 2)).toBeUndefined();
    await utimes(join(ws, "calc.js"), new Date(), new Date(Date.now() + 5000));
    await writeFile(join(ws, "src/util.js"), FILES["src/util.js"]);
    expect(await store.capture(ws, 3)).toBeUndefined();
    // Ignored files are not a change.
    await writeFile(join(ws, "debug.log"), "noise\n");
    expect(await store.capture(ws, 4)).toBeUndefined();
    expect(await inStore(gitDir, "for-each-ref")).toBe("");
  });

  test("records edits, new files, deletions and binary files, leaves ignored files out, and chains the snapshots on one private ref", async () => {
    const { store, ws, gitDir, base } = await setUp();
    await writeFiles(ws, { "calc.js": "export const add = (a, b) => a + b;\n", "NOTES.md": "# notes\n", "debug.log": "junk\n", "build/out.log": "junk\n" });
    await writeFile(join(ws, "data.bin"), BINARY);
    await rm(join(ws, "src/util.js"));
    const first = await store.capture(ws, 1);
    expect(first).toBeDefined();
    expect(first!.files).toBe(4);
    expect(first!.ms).toBeGreaterThan(0);
    expect(await inStore(gitDir, "rev-parse", `${first!.commit}^{tree}`)).toBe(first!.tree);
    expect(await inStore(gitDir, "rev-parse", `${first!.commit}^`)).toBe(base);
    expect(await inStore(gitDir, "log", "-1", "--format=%s|%an|%ae", first!.commit)).toBe("step 1|molt|snapshots@molt.invalid");
    expect((await inStore(gitDir, "ls-tree", "-r", "--name-only", first!.commit)).split("\n").sort()).toEqual([".gitignore", "NOTES.md", "calc.js", "data.bin"]);

    const diff = await store.diff(base, first!.commit);
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    expect(diff).toContain("+++ b/NOTES.md");
    expect(diff).toContain("deleted file mode 100644");
    expect(diff).toContain("GIT binary patch");
    expect(diff).not.toContain(".log");
    // The same change the run's patch holds.
    expect(diff).toBe(await workspaces[0]!.patch());

    // Nothing changed: no snapshot; then one more change: a child of the first, on the same ref.
    expect(await store.capture(ws, 2)).toBeUndefined();
    await writeFile(join(ws, "NOTES.md"), "# notes\nmore\n");
    const third = await store.capture(ws, 3);
    expect(third!.files).toBe(1);
    expect(await inStore(gitDir, "rev-parse", `${third!.commit}^`)).toBe(first!.commit);
    expect(await inStore(gitDir, "rev-parse", SNAPSHOT_REF)).toBe(third!.commit);
    expect(await inStore(gitDir, "for-each-ref", "--format=%(refname)")).toBe(SNAPSHOT_REF);
    expect(store.last).toEqual({ commit: third!.commit, tree: third!.tree });
    // The store keeps only what the agent wrote; the base commit's objects stay in the user's repository.
    expect(await readFile(join(gitDir, "objects", "info", "alternates"), "utf8")).toBe(`${workspaces[0]!.sharedObjects}\n`);
  });

  test("leaves the user's repository as it was: refs, branches, index, status and objects", async () => {
    const { repo, store, ws, base } = await setUp();
    // A user with work in progress: a staged change and an untracked file.
    await writeFile(join(repo, "calc.js"), "// mine\n");
    await git(repo).raw("add", "calc.js");
    await writeFile(join(repo, "scratch.txt"), "mine\n");
    const before = await userView(repo);

    await writeFiles(ws, { "calc.js": "changed\n", "new.txt": "new\n" });
    const taken = await store.capture(ws, 1);
    await rm(join(ws, "new.txt"));
    await store.capture(ws, 2);
    await store.diff(base, taken!.commit);
    await store.checkout(taken!.commit, join(await tempDir(), "out"));

    expect(await userView(repo)).toEqual(before);
    expect(await readFile(join(repo, "calc.js"), "utf8")).toBe("// mine\n");
  });

  test("checkout writes a middle snapshot's files, and only into a new or empty folder", async () => {
    const { store, ws, base } = await setUp();
    await writeFiles(ws, { "calc.js": "one\n", "a/b/c.txt": "deep\n" });
    const one = await store.capture(ws, 1);
    await writeFile(join(ws, "data.bin"), BINARY);
    await rm(join(ws, "calc.js"));
    const two = await store.capture(ws, 2);
    const atTwo = await filesOf(ws);
    await writeFiles(ws, { "calc.js": "three\n" });
    await rm(join(ws, "a"), { recursive: true });
    const three = await store.capture(ws, 3);
    expect([one, two, three].every((taken) => taken !== undefined)).toBe(true);

    const out = join(await tempDir(), "at-two");
    await store.checkout(two!.commit, out);
    expect(await filesOf(out)).toEqual(atTwo);
    expect(await readFile(join(out, "data.bin"))).toEqual(BINARY);
    expect(existsSync(join(out, "calc.js"))).toBe(false);

    // An empty folder is fine; the base commit too.
    const empty = await tempDir();
    await store.checkout(base, empty);
    expect(await readFile(join(empty, "calc.js"), "utf8")).toBe(FILES["calc.js"]);

    const full = await tempDir();
    await writeFile(join(full, "keep.txt"), "mine\n");
    const refused = store.checkout(one!.commit, full);
    await expect(refused).rejects.toThrow(WorkspaceError);
    await expect(refused).rejects.toThrow(/^\S+ is not empty: the files go into a new or empty folder$/);
    expect(await readdir(full)).toEqual(["keep.txt"]);

    const unknown = join(await tempDir(), "never");
    await expect(store.checkout("0123456789abcdef0123456789abcdef01234567", unknown)).rejects.toThrow(/no such snapshot/);
    expect(existsSync(unknown)).toBe(false);
  });

  test("diff and checkout still work once the workspace is gone, as long as the original repository exists", async () => {
    const { repo, store, ws, base, gitDir } = await setUp();
    await writeFiles(ws, { "calc.js": "export const add = (a, b) => a + b;\n" });
    const taken = await store.capture(ws, 1);
    await workspaces.pop()!.remove();
    expect(existsSync(ws)).toBe(false);

    const reopened = await SnapshotStore.open(gitDir);
    const diff = await reopened.diff(base, taken!.commit);
    expect(diff).toContain("-export const add = (a, b) => a - b;");
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    const out = join(await tempDir(), "out");
    await reopened.checkout(taken!.commit, out);
    expect(await readFile(join(out, "src/util.js"), "utf8")).toBe(FILES["src/util.js"]);

    // Without the original repository the base commit is gone too, and the error says why.
    await rm(dirname(repo), { recursive: true, force: true });
    await expect(reopened.diff(base, taken!.commit)).rejects.toThrow(/the original repository's objects .* are gone/);
    await expect(SnapshotStore.open(join(dirname(gitDir), "missing.git"))).rejects.toThrow(/no snapshots of a run there/);
  });

  test("a store that absorbed what it borrowed outlives the original repository", async () => {
    const { repo, store, ws, base, gitDir } = await setUp();
    await writeFiles(ws, { "calc.js": "export const add = (a, b) => a + b;\n" });
    const taken = await store.capture(ws, 1);
    await store.absorb(base);
    await rm(dirname(repo), { recursive: true, force: true });
    const reopened = await SnapshotStore.open(gitDir);
    expect(await reopened.diff(base, taken!.commit)).toContain("+export const add = (a, b) => a + b;");
    const out = join(await tempDir(), "base");
    await reopened.checkout(base, out);
    expect(await readFile(join(out, "calc.js"), "utf8")).toBe(FILES["calc.js"]);
  });

  test("a reopened store carries the chain on from a given snapshot, past a lock a killed run left", async () => {
    const { store, ws, gitDir } = await setUp();
    await writeFiles(ws, { "one.txt": "1\n" });
    const one = await store.capture(ws, 1);
    await writeFile(join(gitDir, "molt.index.lock"), "");

    const reopened = await SnapshotStore.open(gitDir);
    await reopened.continueFrom(one!.commit, one!.tree);
    expect(await reopened.capture(ws, 2)).toBeUndefined();
    await writeFiles(ws, { "two.txt": "2\n" });
    const two = await reopened.capture(ws, 3);
    expect(two!.files).toBe(1);
    expect(await inStore(gitDir, "rev-parse", `${two!.commit}^`)).toBe(one!.commit);
  });
});

describe("the snapshot layer around the environment", () => {
  const done: CommandResult = { exitCode: 0, output: "", outputTail: "", elidedChars: 0, timedOut: false, ms: 1 };

  test("hands each result back before its snapshot is taken, and starts no command before the last snapshot is done", async () => {
    const { ws, gitDir, workspace } = await setUpWorkspace();
    const bus = new EventBus();
    const seen: MoltEvent[] = [];
    bus.subscribe({ onEvent: (event) => seen.push(event) });
    const layer = await SnapshotLayer.start({ gitDir, workspace, bus });
    const log: string[] = [];
    const environment = layer.around({
      execute: async (command) => {
        log.push(`run ${command} after ${seen.length} snapshots`);
        await writeFile(join(ws, `${command}.txt`), command);
        return done;
      },
    });
    expect(await environment.execute("one", { step: 1 })).toBe(done);
    expect(seen).toHaveLength(0);
    await environment.execute("two", { step: 2 });
    await layer.settle();
    expect(log).toEqual(["run one after 0 snapshots", "run two after 1 snapshots"]);
    expect(seen.map((event) => event.type === "snapshot" && [event.step, event.files])).toEqual([[1, 1], [2, 1]]);
    expect(layer.problem).toBeUndefined();
  });

  test("a snapshot that fails costs the run nothing and is told once at the end", async () => {
    const { ws, gitDir, workspace } = await setUpWorkspace();
    const bus = new EventBus();
    const seen: MoltEvent[] = [];
    bus.subscribe({ onEvent: (event) => seen.push(event) });
    const layer = await SnapshotLayer.start({ gitDir, workspace, bus });
    const environment = layer.around({ execute: async () => done });
    // The work tree vanishes: every snapshot of it fails.
    await rm(dirname(ws), { recursive: true, force: true });
    expect(await environment.execute("x", { step: 1 })).toBe(done);
    expect(await environment.execute("y", { step: 2 })).toBe(done);
    await layer.settle();
    expect(seen).toEqual([]);
    // Step 2 is looked at only if the file notifications said something changed after step 1's attempt.
    expect(layer.problem).toMatch(/^the repository could not be recorded after (one step|2 steps) \(first, step 1: git .+\); a later snapshot holds those changes$/);
  });

  test("a command interrupted while it waited for the snapshot ends at once instead of running on", async () => {
    const { ws } = await setUpWorkspace();
    const executor = new CommandExecutor({
      cwd: ws,
      env: { PATH: process.env.PATH ?? "" },
      timeoutSec: 30,
      limits: { ...DEFAULT_LIMITS, cpuSec: 30 },
      sandbox: { kind: "local", writable: [ws], readOnly: [], home: ws, network: "all" },
    });
    const started = performance.now();
    const result = await executor.execute("sleep 20", { signal: AbortSignal.abort() });
    await executor.close();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBeGreaterThan(128);
  });
});

describe("the commit after a step, from a run's record", () => {
  const started: MoltEvent = { type: "run_started", ts: 0, ...runStartedFields({ spec: { base: "base" } }) };
  const snapshot = (step: number, commit: string): MoltEvent => ({ type: "snapshot", ts: 0, step, commit, tree: `${commit}-tree`, files: 1, ms: 1 });

  test("is the last snapshot at or before the step, else the base commit", () => {
    const events = [started, snapshot(2, "c2"), snapshot(5, "c5"), snapshot(5, "c5-again")];
    expect([0, 1, 2, 3, 4, 5, 9].map((step) => commitAfterStep(events, step))).toEqual(["base", "base", "c2", "c2", "c2", "c5-again", "c5-again"]);
    expect(lastSnapshot(events)).toEqual({ commit: "c5-again", tree: "c5-again-tree" });
    expect(lastSnapshot([started])).toBeUndefined();
    expect(() => commitAfterStep([snapshot(1, "c1")], 0)).toThrow(/run_started/);
  });
});

async function serve(script: ScriptReply[]): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script });
  servers.push(server);
  return server;
}

async function recordOf(out: string): Promise<MoltEvent[]> {
  const lines = (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n");
  return lines.map((line) => MoltEvent.parse(JSON.parse(line)));
}

const snapshotsIn = (events: MoltEvent[]) => events.filter((event): event is EventOf<"snapshot"> => event.type === "snapshot");

describe.each([
  { setting: "self-evolution on", flags: [] },
  { setting: "--no-evolve", flags: ["--no-evolve"] },
])("a run with $setting records a snapshot after each step that changed the repository", ({ flags }) => {
  test("steps 1 and 3 change files, 2 and 4 do not: snapshots for 1 and 3, checkout and diff from the run folder alone", async () => {
    const repo = await makeRepo(FILES);
    const before = await userView(repo);
    const server = await serve([
      { command: "sed -i 's/a - b/a + b/' calc.js && echo one > one.txt && echo junk > debug.log" },
      { command: "cat calc.js && ls" },
      { command: "rm one.txt src/util.js && printf 'two\\000\\001' > two.bin" },
      { command: SUBMIT },
    ]);
    const out = join(await tempDir(), "run");
    const result = await molt(["run", "--repo", repo, "--issue", "add() subtracts", "--model", "m", "--base-url", server.url, "--output", out, ...flags]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain("snapshots");

    const events = await recordOf(out);
    const taken = snapshotsIn(events);
    expect(taken.map((event) => [event.step, event.files])).toEqual([[1, 2], [3, 3]]);
    expect(existsSync(join(out, "snapshots.git"))).toBe(true);
    // Every snapshot is recorded before the run's end.
    const finishedAt = events.findIndex((event) => event.type === "run_finished");
    expect(events.findLastIndex((event) => event.type === "snapshot")).toBeLessThan(finishedAt);

    const started = events[0] as EventOf<"run_started">;
    expect(existsSync(started.workspace)).toBe(false);
    const store = await SnapshotStore.open(join(out, "snapshots.git"));
    expect(commitAfterStep(events, 2)).toBe(taken[0]!.commit);
    const atOne = join(await tempDir(), "step-1");
    await store.checkout(commitAfterStep(events, 1), atOne);
    expect(await filesOf(atOne)).toEqual(
      await filesOfContent({ ...FILES, "calc.js": "export const add = (a, b) => a + b;\n", "one.txt": "one\n" }),
    );
    // The last snapshot against the base commit is the run's patch.
    expect(await store.diff(started.spec.base, taken[1]!.commit)).toBe(await readFile(join(out, "patch.diff"), "utf8"));
    expect(await store.diff(taken[0]!.commit, taken[1]!.commit)).toContain("deleted file mode 100644\nindex ");
    expect(await userView(repo)).toEqual(before);
  });
});

test("what a setup command leaves is the start (a snapshot at step 0): replay shows step 1 as the agent's change alone", async () => {
  const repo = await makeRepo(FILES);
  const server = await serve([{ command: "sed -i 's/level=1/level=2/' settings.txt" }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "raise the level", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve", "--setup", "printf 'level=1\\n' > settings.txt"]);
  expect(result.exitCode, result.stderr).toBe(0);
  const events = await recordOf(out);
  expect(snapshotsIn(events).map((event) => [event.step, event.files])).toEqual([[0, 1], [1, 1]]);
  const atStart = join(await tempDir(), "start");
  expect((await molt(["replay", out, "--checkout", "0", atStart])).exitCode).toBe(0);
  expect(await readFile(join(atStart, "settings.txt"), "utf8")).toBe("level=1\n");
  // Step 1's change, as replay shows it, is the patch: the agent's edit, not the file's creation.
  const store = await SnapshotStore.open(join(out, "snapshots.git"));
  const stepOne = await store.diff(commitAfterStep(events, 0), commitAfterStep(events, 1));
  expect(stepOne).toContain("-level=1\n+level=2");
  expect(stepOne).not.toContain("new file");
  expect(stepOne).toBe(await readFile(join(out, "patch.diff"), "utf8"));
});

async function filesOfContent(files: Record<string, string>): Promise<Record<string, string>> {
  const dir = await tempDir();
  await writeFiles(dir, files);
  return filesOf(dir);
}

test("molt resume carries the chain of snapshots on from the interrupted run's last one", async () => {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  const firstScript = join(await tempDir(), "first.json");
  await writeFile(firstScript, JSON.stringify([{ command: "echo one > one.txt" }, { command: "echo two > two.txt && sleep 1000" }, { command: "echo never-asked" }]));
  const home = await tempDir("molt-home-");
  const library = join(await tempDir("molt-library-"), "evolved");
  const child = spawn(process.execPath, [MOLT, "run", "--repo", repo, "--issue", "i", "--model", `script:${firstScript}`, "--output", out, "--no-evolve"], {
    env: { ...process.env, OPENAI_API_KEY: "test-key", MOLT_LIBRARY: library, HOME: home },
    stdio: "ignore",
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    // Wait until step 2's command has written its file and sleeps, then interrupt the run.
    for (let tries = 0; ; tries++) {
      const text = existsSync(join(out, "events.jsonl")) ? await readFile(join(out, "events.jsonl"), "utf8") : "";
      const workspace = text.startsWith('{"type":"run_started"') ? (JSON.parse(text.split("\n", 1)[0]!) as { workspace: string }).workspace : undefined;
      if (workspace && existsSync(join(workspace, "two.txt"))) break;
      if (tries > 400) throw new Error("step 2 never started");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGINT");
    expect(await exited).toBe(1);
  } finally {
    child.kill("SIGKILL");
  }
  const interrupted = await recordOf(out);
  extraDirs.push(dirname((interrupted[0] as EventOf<"run_started">).workspace));
  const firstTaken = snapshotsIn(interrupted);
  expect(firstTaken.map((event) => event.step)).toEqual([1, 2]);

  const restScript = join(await tempDir(), "rest.json");
  await writeFile(restScript, JSON.stringify([{ command: "echo three > three.txt" }, { command: SUBMIT }]));
  const resumed = await molt(["resume", out, "--model", `script:${restScript}`], { env: { HOME: home } });
  expect(resumed.stderr).toBe("");
  expect(resumed.exitCode).toBe(0);

  const events = await recordOf(out);
  const taken = snapshotsIn(events);
  expect(taken.map((event) => event.step)).toEqual([1, 2, 3]);
  const store = await SnapshotStore.open(join(out, "snapshots.git"));
  const chain = (await git(out, { GIT_DIR: join(out, "snapshots.git") }).raw("rev-list", SNAPSHOT_REF)).trim().split("\n");
  expect(chain).toEqual([taken[2]!.commit, taken[1]!.commit, taken[0]!.commit, (events[0] as EventOf<"run_started">).spec.base]);
  const atTwo = join(await tempDir(), "step-2");
  await store.checkout(commitAfterStep(events, 2), atTwo);
  expect(Object.keys(await filesOf(atTwo)).sort()).toEqual([".gitignore", "calc.js", "one.txt", "src/util.js", "two.txt"]);
});
