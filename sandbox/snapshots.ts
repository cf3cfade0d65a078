import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { runGit as runGitDirect, SAFE_GIT_CONFIG } from "./git-run.ts";
import { WorkspaceError } from "./workspace.ts";

/** The one ref that keeps every snapshot reachable: private to molt, never a branch. */
export const SNAPSHOT_REF = "refs/molt/snapshots";

/** Keeps the base commit in the store once it no longer borrows it (`absorb`). */
const BASE_REF = "refs/molt/base";

/** The index that follows the workspace from step to step; its stat cache keeps `git add` quick. */
const INDEX = "molt.index";

/**
 * What every git command here gets, as workspace.ts's `git()` does: no hooks, no fsmonitor (molt
 * runs git on the agent's files, outside the sandbox). The rest, whatever the user's configuration
 * says: git looks at every file's stat data, the index stays one plain file the store can tell
 * apart from one step to the next, and git prunes nothing.
 */
const CONFIG = [
  ...SAFE_GIT_CONFIG,
  "core.ignoreStat=false",
  "core.splitIndex=false",
  "index.skipHash=false",
  "gc.auto=0",
];

/** Snapshots are made and written by git, not the user's identity or configuration. */
const IDENTITY = { GIT_AUTHOR_NAME: "molt", GIT_AUTHOR_EMAIL: "snapshots@molt.invalid", GIT_COMMITTER_NAME: "molt", GIT_COMMITTER_EMAIL: "snapshots@molt.invalid" };


export interface SnapshotTaken {
  commit: string;
  tree: string;
  /** Paths changed since the previous snapshot (or the base commit). */
  files: number;
  ms: number;
}

/** A point of the chain: a commit and its tree. */
export interface SnapshotPoint {
  commit: string;
  tree: string;
}

/**
 * The workspace's state after each step that changed it, as commits in a bare repository of the
 * run's own (`snapshots.git` in its output folder). It borrows the user's repository's objects
 * (objects/info/alternates), so it holds only what the agent changed, and it can still show the
 * base commit once the workspace is gone. Each snapshot's parent is the one before (the first's
 * is the base commit); one private ref points at the newest. Ignored files are left out, exactly
 * as the patch leaves them out. Nothing here touches the user's repository, its refs or its index.
 */
export class SnapshotStore {
  readonly gitDir: string;
  #last: SnapshotPoint | undefined;
  /** What the index file looked like when its tree was last known to be `#last.tree`. */
  #stamp: string | undefined;
  /** Captures run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(gitDir: string) {
    this.gitDir = gitDir;
  }

  /** The newest snapshot, or the base commit before the first. */
  get last(): SnapshotPoint | undefined {
    return this.#last;
  }

  /** Makes the store for a new run, at the base commit; `sharedObjects` is the user's repository's object store. */
  static async create(gitDir: string, sharedObjects: string, baseCommit: string): Promise<SnapshotStore> {
    const dir = resolve(gitDir);
    await mkdir(dirname(dir), { recursive: true });
    const format = baseCommit.length === 64 ? ["--object-format=sha256"] : [];
    await runGit(dirname(dir), {}, ["init", "--quiet", "--bare", "--template=", ...format, dir]);
    await mkdir(join(dir, "objects", "info"), { recursive: true });
    await writeFile(join(dir, "objects", "info", "alternates"), `${sharedObjects}\n`);
    const store = new SnapshotStore(dir);
    await rm(store.#index, { force: true });
    await store.continueFrom(baseCommit);
    return store;
  }

  /** Opens a run's store to read it (replay) or to carry it on (`continueFrom`). */
  static async open(gitDir: string): Promise<SnapshotStore> {
    const dir = resolve(gitDir);
    const info = await stat(join(dir, "objects")).catch(() => undefined);
    if (!info?.isDirectory() || !existsSync(join(dir, "HEAD"))) throw new WorkspaceError(`${dir}: no snapshots of a run there`);
    return new SnapshotStore(dir);
  }

  /**
   * Carries the chain on from `commit` (the newest snapshot in the run's record, or its base
   * commit): the next snapshot is its child. Clears what a killed run may have left locked.
   */
  async continueFrom(commit: string, tree?: string): Promise<void> {
    await rm(this.#index + ".lock", { force: true });
    await rm(join(this.gitDir, SNAPSHOT_REF + ".lock"), { force: true });
    const resolvedTree = tree ?? (await this.#git(["rev-parse", "--verify", `${commit}^{tree}`])).trim();
    if (!existsSync(this.#index)) await this.#git(["read-tree", commit], { GIT_INDEX_FILE: this.#index });
    this.#last = { commit, tree: resolvedTree };
    this.#stamp = undefined;
  }

  /**
   * Fills the index's stat cache from the work tree without changing what it holds, so the first
   * capture does not have to read every file. Worth starting while the model thinks; never fails.
   */
  async refresh(workTree: string): Promise<void> {
    await this.#serial(async () => {
      await runGit(workTree, this.#workEnv(workTree), ["update-index", "-q", "--ignore-missing", "--refresh"]).catch(() => undefined);
      this.#stamp = undefined;
    });
  }

  /**
   * Records the work tree as it is now, if it changed since the last snapshot: undefined when
   * nothing changed (the usual case, and the quick one: one `git add` when the index is unmoved).
   */
  capture(workTree: string, step: number): Promise<SnapshotTaken | undefined> {
    return this.#serial(() => this.#capture(workTree, step));
  }

  async #capture(workTree: string, step: number): Promise<SnapshotTaken | undefined> {
    const last = this.#last;
    if (!last) throw new Error("the snapshot store has no starting point (continueFrom was not called)");
    const started = performance.now();
    const known = this.#stamp;
    this.#stamp = undefined;
    const env = this.#workEnv(workTree);
    // Past what git cannot take (a repository inside the work tree that has no commit yet, a file it cannot read).
    await runGitDirect(workTree, env, ["add", "--all", "--ignore-errors"], CONFIG, { okExitCodes: [1] });
    // git add leaves the index file alone when nothing in it changed: then neither did the tree.
    const added = indexStamp(this.#index);
    if (known !== undefined && added === known) {
      this.#stamp = known;
      return undefined;
    }
    const tree = (await runGit(workTree, env, ["write-tree"])).trim();
    if (tree !== last.tree) {
      const [commit, changed] = await Promise.all([
        runGit(this.gitDir, { ...env, ...IDENTITY }, ["commit-tree", "--no-gpg-sign", tree, "-p", last.commit, "-m", `step ${step}`]).then((out) => out.trim()),
        runGit(this.gitDir, env, ["diff-tree", "-r", "--name-only", "-z", last.tree, tree]),
      ]);
      await runGit(this.gitDir, env, ["update-ref", SNAPSHOT_REF, commit]);
      this.#last = { commit, tree };
      this.#stamp = indexStamp(this.#index);
      return { commit, tree, files: changed.split("\0").filter((path) => path !== "").length, ms: performance.now() - started };
    }
    this.#stamp = indexStamp(this.#index);
    return undefined;
  }

  /** The repository's change from one snapshot (or commit) to another, as a binary-safe unified diff. */
  async diff(from: string, to: string): Promise<string> {
    try {
      return await this.#git(["diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", from, to]);
    } catch (error) {
      await this.#verify(from);
      await this.#verify(to);
      throw new WorkspaceError(`could not compare ${from.slice(0, 12)} with ${to.slice(0, 12)}: ${firstLine(error)}`);
    }
  }

  /**
   * Writes the files of `commit` into `dir`, which must be absent or an empty folder. Uses an
   * index of its own, in a temporary folder: no repository's index or work tree is touched.
   */
  async checkout(commit: string, dir: string): Promise<void> {
    const target = resolve(dir);
    const info = await stat(target).catch(() => undefined);
    if (info && !info.isDirectory()) throw new WorkspaceError(`${target} is not a folder`);
    if (info && (await readdir(target)).length > 0) throw new WorkspaceError(`${target} is not empty: the files go into a new or empty folder`);
    await this.#verify(commit);
    const scratch = await mkdtemp(join(tmpdir(), "molt-checkout-"));
    const made = !info;
    try {
      await mkdir(target, { recursive: true });
      const env = { GIT_DIR: this.gitDir, GIT_WORK_TREE: target, GIT_INDEX_FILE: join(scratch, "index") };
      await runGit(target, env, ["read-tree", commit]);
      await runGit(target, env, ["checkout-index", "--all", "--force"]);
    } catch (error) {
      if (made) await rm(target, { recursive: true, force: true });
      throw new WorkspaceError(`could not write ${commit.slice(0, 12)} into ${target}: ${firstLine(error)}`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Copies into the store what it borrows from the original repository (the base commit and its
   * history), and stops borrowing: for a repository that is about to be removed, as the demo's is.
   */
  async absorb(baseCommit: string): Promise<void> {
    await this.#git(["update-ref", BASE_REF, baseCommit]);
    await this.#git(["repack", "-a", "-d", "-q"]);
    await rm(join(this.gitDir, "objects", "info", "alternates"), { force: true });
  }

  get #index(): string {
    return join(this.gitDir, INDEX);
  }

  #workEnv(workTree: string): Record<string, string> {
    return { GIT_DIR: this.gitDir, GIT_WORK_TREE: workTree, GIT_INDEX_FILE: this.#index };
  }

  #git(args: string[], extra: Record<string, string> = {}): Promise<string> {
    return runGit(this.gitDir, { GIT_DIR: this.gitDir, ...extra }, args);
  }

  /** Fails with one line when the store cannot read `commit`, saying why when it can tell. */
  async #verify(commit: string): Promise<void> {
    const found = await this.#git(["rev-parse", "--verify", "--quiet", `${commit}^{commit}`]).catch(() => "");
    if (found.trim() !== "") return;
    const alternates = await readFile(join(this.gitDir, "objects", "info", "alternates"), "utf8").catch(() => "");
    const borrowed = alternates.split("\n").find((line) => line.trim() !== "")?.trim();
    if (borrowed && !existsSync(borrowed)) {
      throw new WorkspaceError(`${commit.slice(0, 12)} cannot be read: the original repository's objects (${borrowed}) are gone`);
    }
    throw new WorkspaceError(`${commit}: no such snapshot in ${this.gitDir}`);
  }

  async #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The state of an index file: it changes whenever git rewrites the file. */
function indexStamp(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const info = fstatSync(fd, { bigint: true });
    // The trailing checksum of the content (sha-1 or sha-256), where git writes one.
    const tail = Buffer.alloc(32);
    const size = Number(info.size);
    readSync(fd, tail, 0, Math.min(32, size), Math.max(0, size - 32));
    return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}:${tail.toString("hex")}`;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function runGit(cwd: string, extraEnv: Record<string, string>, args: string[]): Promise<string> {
  return runGitDirect(cwd, extraEnv, args, CONFIG);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n", 1)[0] ?? "";
}
