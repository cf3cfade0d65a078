import { closeSync, constants, openSync, readFileSync, realpathSync } from "node:fs";
import { lstat, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { gitCommand, gitEnv, gitSettings, runGit, SAFE_GIT_CONFIG } from "./git-run.ts";
import { MAX_FILE_PATCH_BYTES, MAX_PATCH_BYTES, PatchSections, type LeftOutFile } from "./patch-sections.ts";
import { patchScope } from "./patch-scope.ts";

export { gitEnv } from "./git-run.ts";

export type ApplyOutcome = { applied: true; message: string } | { applied: false; message: string };

/** The patch as written to its file (as UTF-8 text), and a line for each thing it leaves out. */
export interface PatchWritten {
  patch: string;
  notes: string[];
}

/** The user pointed molt at something it cannot work on; the message is one line for them. */
export class WorkspaceError extends Error {
  override readonly name = "WorkspaceError";
}

/**
 * A simple-git for `dir` (for tests and benchmarks; molt's own commands use runGit), with the
 * settings and environment of molt's own git commands: no hooks, no fsmonitor, no system or
 * global configuration. The GIT_ variables molt sets itself must be allowed by name.
 */
export function git(dir: string, extraEnv?: Record<string, string>): SimpleGit {
  const env = gitEnv(extraEnv);
  const allowEnvironment = Object.keys(env).filter((name) => name.startsWith("GIT_"));
  return simpleGit({
    baseDir: dir,
    allowEnvironment,
    config: gitSettings(),
    // simple-git guards these settings against pointing at programs; here they turn programs off.
    unsafe: { allowUnsafeHooksPath: true, allowUnsafeFsMonitor: true, allowUnsafeConfigPaths: true },
  }).env(env);
}

/** Where workspaces are made: MOLT_WORKSPACES (a batch's --workspaces), else the temporary folder. */
function workspacesParent(): string {
  return process.env.MOLT_WORKSPACES || tmpdir();
}

export interface SourceRepo {
  /** The repository's top folder. */
  root: string;
  /** The full hash of the commit the work starts from. */
  baseCommit: string;
}

/** Checks that `dir` is a git repository with the commit `base` (default HEAD), without changing anything in it. */
export async function resolveSourceRepo(dir: string, base = "HEAD"): Promise<SourceRepo> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new WorkspaceError(`${dir}: no such folder`);
  if (!info.isDirectory()) throw new WorkspaceError(`${dir}: not a folder`);
  let root: string;
  try {
    root = (await runGit(dir, {}, ["rev-parse", "--show-toplevel"])).trim();
  } catch {
    throw new WorkspaceError(`${dir}: not a git repository`);
  }
  if (root === "") throw new WorkspaceError(`${dir}: not inside a git work tree`);
  try {
    const baseCommit = (await runGit(root, {}, ["rev-parse", "--verify", "--quiet", `${base}^{commit}`])).trim();
    if (baseCommit === "") throw new Error("unknown");
    return { root, baseCommit };
  } catch {
    throw new WorkspaceError(base === "HEAD" ? `${root}: the repository has no commits yet` : `${base}: no such commit in ${root}`);
  }
}

/**
 * A private checkout of the user's repository at the base commit, where the agent works.
 * It is a local clone sharing the repository's objects: quick to make, and nothing the agent
 * does in it (commits, stashes, branches, pushes) can reach the user's repository.
 *
 * Beside it lives molt's own git directory (`base.git`), which also borrows the repository's
 * objects: the patch is made with it, never with the workspace's `.git`, which is the agent's to
 * change (a config with a filter in it would otherwise run, unsandboxed, when molt makes the patch).
 */
/** The file in a workspace's container naming the run folder it was made for. */
const CLAIM = "molt-run";

async function isClaimedBy(container: string, path: string, runDir: string): Promise<boolean> {
  try {
    const [box, tree] = await Promise.all([lstat(container), lstat(path)]);
    if (!box.isDirectory() || !tree.isDirectory()) return false;
    const handle = await open(join(container, CLAIM), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return (await handle.readFile("utf8")) === realpathSync(runDir);
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

export class Workspace {
  readonly path: string;
  readonly baseCommit: string;
  /** A private folder around the checkout, for the run's other files; removed with it. */
  readonly container: string;
  /** The user's repository's object store, which the workspace borrows from: the sandbox must let it be read. */
  readonly sharedObjects: string;
  /** What the patch is made against: the base commit, or the state after a setup command (`adoptStartingState`). */
  #start: string;

  private constructor(path: string, baseCommit: string, container: string, sharedObjects: string) {
    this.path = path;
    this.baseCommit = baseCommit;
    this.container = container;
    this.sharedObjects = sharedObjects;
    this.#start = baseCommit;
  }

  get startCommit(): string {
    return this.#start;
  }

  /**
   * Makes the work tree as it is now the starting point of the patch: a commit in molt's own
   * base.git (tree of a fresh index with `add --all`, so ignored files stay out; the base commit
   * as parent). A setup step's changes (a rewritten lockfile, say) are then never the agent's.
   */
  async adoptStartingState(): Promise<string> {
    const index = join(this.container, "molt-start.index");
    const identity = { GIT_AUTHOR_NAME: "molt", GIT_AUTHOR_EMAIL: "molt@molt.invalid", GIT_COMMITTER_NAME: "molt", GIT_COMMITTER_EMAIL: "molt@molt.invalid" };
    const env = { GIT_DIR: this.#baseGit, GIT_WORK_TREE: this.path, GIT_INDEX_FILE: index, ...identity };
    try {
      await runGit(this.path, env, ["read-tree", this.baseCommit]);
      // What a setup command left, however big, is the starting point, never part of the patch.
      await this.#addAll(env, { keepBig: true });
      const tree = (await runGit(this.path, env, ["write-tree"])).trim();
      this.#start = (await runGit(this.path, env, ["commit-tree", "--no-gpg-sign", tree, "-p", this.baseCommit, "-m", "molt: the workspace after setup"])).trim();
      return this.#start;
    } finally {
      await rm(index, { force: true });
    }
  }

  /** Carries on from a starting state adopted earlier (a resumed run that had a setup step). */
  startFrom(commit: string): void {
    this.#start = commit;
  }

  get #baseGit(): string {
    return join(this.container, "base.git");
  }

  /** The workspace of an earlier run, if it is still there. */
  static async reopen(path: string, baseCommit: string, runDir?: string): Promise<Workspace> {
    const container = dirname(path);
    const alternates = await readFile(join(container, "base.git", "objects", "info", "alternates"), "utf8").catch(() => undefined);
    const info = await stat(join(path, ".git")).catch(() => undefined);
    if (!info || alternates === undefined) throw new WorkspaceError(`the run's workspace ${path} is gone, so the run cannot be resumed`);
    if (runDir !== undefined && !(await isClaimedBy(container, path, runDir))) {
      throw new WorkspaceError(`${path} is not a workspace molt made for the run in ${runDir}, so the run cannot be resumed`);
    }
    return new Workspace(path, baseCommit, container, alternates.trim());
  }

  /**
   * Marks the workspace as the run's in its container, which no sandbox can write: a record names
   * its workspace, and a record can be edited, so resume takes only a workspace that says it is
   * that run's.
   */
  async claim(runDir: string): Promise<void> {
    await writeFile(join(this.container, CLAIM), realpathSync(runDir), { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW });
  }

  static async create(source: SourceRepo, parent = workspacesParent()): Promise<Workspace> {
    const container = await mkdtemp(join(parent, "molt-"));
    const path = join(container, basename(source.root));
    try {
      const baseGit = join(container, "base.git");
      const [objects] = await Promise.all([
        runGit(source.root, {}, ["rev-parse", "--git-path", "objects"]),
        runGit(container, {}, ["clone", "--shared", "--no-checkout", "--quiet", "--", source.root, path]),
        runGit(container, {}, ["init", "--quiet", "--bare", baseGit]),
      ]);
      const sharedObjects = resolve(source.root, objects.trim());
      await runGit(path, {}, ["remote", "remove", "origin"]);
      await runGit(path, {}, ["config", "user.name", "molt agent"]);
      await runGit(path, {}, ["config", "user.email", "agent@molt.invalid"]);
      // One checkout process per core: writing the files is most of a workspace's cost on a slow disk.
      await runGit(path, {}, ["checkout", "--quiet", "--detach", source.baseCommit], [...SAFE_GIT_CONFIG, "checkout.workers=0"]);
      await writeFile(join(baseGit, "objects", "info", "alternates"), `${sharedObjects}\n`);
      return new Workspace(path, source.baseCommit, container, sharedObjects);
    } catch (error) {
      await rm(container, { recursive: true, force: true });
      throw new WorkspaceError(`could not make a workspace from ${source.root}: ${firstLine(error)}`);
    }
  }

  /**
   * Writes the change the agent made to `file`: the work tree against the starting point, new
   * files included and ignored files left out, as git's binary-safe diff, byte for byte. Made with
   * molt's own git directory and a fresh index of the starting point, so nothing the agent did to
   * the workspace's `.git` takes part. The diff goes to the file as git writes it; a file whose
   * change is too big for a patch is left out of it (PatchSections), and so are submodules and
   * repositories inside the work tree (patchScope). Fails only when `file` cannot be written: what
   * the patch cannot hold, or why git could not make it (then it is empty), is in `notes`, a line each.
   */
  async writePatch(file: string): Promise<PatchWritten> {
    const index = join(this.container, "molt-patch.index");
    const env = { GIT_DIR: this.#baseGit, GIT_WORK_TREE: this.path, GIT_INDEX_FILE: index };
    const notes: string[] = [];
    const fd = openSync(file, "w");
    try {
      await runGit(this.path, env, ["read-tree", this.#start]);
      const added = await this.#addAll(env);
      notes.push(...added.notes);
      const sections = new PatchSections(fd);
      await runGit(this.path, env, ["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", this.#start], SAFE_GIT_CONFIG, {
        onOutput: (chunk) => sections.write(chunk),
      });
      sections.end();
      notes.push(...leftOutNotes([...added.tooBig, ...sections.leftOut].sort((a, b) => (a.path < b.path ? -1 : 1))));
    } catch (error) {
      closeSync(openSync(file, "w"));
      notes.push(`the patch could not be made (it is empty): ${firstLine(error)}`);
    } finally {
      closeSync(fd);
      await rm(index, { force: true });
    }
    return { patch: readFileSync(file, "utf8"), notes };
  }

  /** The change the agent made, as `writePatch` writes it. */
  async patch(): Promise<string> {
    return (await this.writePatch(join(this.container, "molt-patch.diff"))).patch;
  }

  /**
   * `git add --all` into the index `env` names, leaving out what a patch cannot hold (patchScope)
   * and going on past files git cannot read; says what it left out.
   */
  async #addAll(env: Record<string, string>, { keepBig = false } = {}): Promise<{ notes: string[]; tooBig: LeftOutFile[] }> {
    const scope = await patchScope(this.path, env, { keepBig });
    const pathspecs = [".", ...scope.exclude.map((path) => `:(exclude,literal)${path}`)];
    const added = await gitCommand(this.path, env, ["add", "--all", "--ignore-errors", "--pathspec-from-file=-", "--pathspec-file-nul"], SAFE_GIT_CONFIG, {
      input: pathspecs.join("\0"),
      okExitCodes: [1],
    });
    const unreadable = added.stderr.split("\n").filter((line) => line.startsWith("error: ")).map((line) => `left out of the patch: ${line.slice("error: ".length)}`);
    return { notes: [...scope.notes, ...unreadable], tooBig: scope.tooBig };
  }

  /**
   * Applies a patch file to the user's work tree, only when all of it applies cleanly. git runs
   * with molt's own git directory, so neither the user's configuration nor the repository's own
   * .git/config takes part (a filter there would change what is written), and the index and
   * refs of the user's repository are not touched.
   */
  async applyTo(repoRoot: string, patchFile: string, patch: string): Promise<ApplyOutcome> {
    if (patch.trim() === "") return { applied: false, message: "the patch is empty: nothing to apply" };
    const env = { GIT_DIR: this.#baseGit, GIT_WORK_TREE: repoRoot, GIT_INDEX_FILE: join(this.container, "molt-apply.index") };
    try {
      await runGit(repoRoot, env, ["apply", "--check", "--binary", patchFile]);
    } catch (error) {
      return { applied: false, message: `the patch does not apply cleanly to ${repoRoot}, so nothing was changed: ${firstLine(error)}` };
    }
    await runGit(repoRoot, env, ["apply", "--binary", patchFile]);
    return { applied: true, message: `the patch was applied to ${repoRoot}` };
  }

  async remove(): Promise<void> {
    await rm(this.container, { recursive: true, force: true, maxRetries: 2 });
  }
}

/** One line per file left out for its size: the first ten by name, then how many more. */
function leftOutNotes(files: readonly LeftOutFile[]): string[] {
  const perFile = `a file's change may take at most ${mib(MAX_FILE_PATCH_BYTES)} of the patch`;
  const lines = files.slice(0, 10).map(({ path, bytes, why }) => {
    if (why === "new") return `left out of the patch: ${path}, a new file of ${mib(bytes)} (${perFile})`;
    if (why === "file") return `left out of the patch: ${path}, whose change takes ${mib(bytes)} (${perFile})`;
    return `left out of the patch: ${path}, whose change takes ${mib(bytes)} (the patch had reached its limit of ${mib(MAX_PATCH_BYTES)})`;
  });
  if (files.length > 10) lines.push(`left out of the patch: ${files.length - 10} more files, over its size limits`);
  return lines;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n", 1)[0] ?? "";
}
