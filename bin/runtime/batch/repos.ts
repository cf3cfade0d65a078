import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runGit } from "../../../sandbox/git-run.ts";
import { InputError } from "../input-error.ts";

/** An instance's repository could not be had: running the batch again as it is will not help. */
export class RepoUnavailable extends Error {
  override readonly name = "RepoUnavailable";
}

/** How long a clone from GitHub may take: a large repository's history is big. */
const CLONE_TIMEOUT_MS = 3 * 60 * 60 * 1000;

/** Where repositories named `owner/name` are cloned once and kept: MOLT_REPO_CACHE, else ~/.cache/molt/repos. */
export function repoCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOLT_REPO_CACHE || join(homedir(), ".cache", "molt", "repos");
}

/** A local path or file:// URL in an instance's `repo`; undefined for `owner/name`. */
function localPath(repo: string): string | undefined {
  if (repo.startsWith("file://")) return fileURLToPath(repo);
  if (isAbsolute(repo) || repo.startsWith("./") || repo.startsWith("../")) return resolve(repo);
  return undefined;
}

function folderName(repo: string): string {
  return repo.replaceAll("/", "__");
}

/**
 * Finds each instance's repository on disk: a local path as it is, `owner/name` as
 * `REPOS_DIR/owner__name` when a repos folder is given, else in the cache, cloned from GitHub the
 * first time it is needed (once, however many workers want it).
 */
export class RepoSource {
  readonly #reposDir: string | undefined;
  readonly #cacheDir: string;
  readonly #clones = new Map<string, Promise<string>>();

  constructor(reposDir: string | undefined, cacheDir = repoCacheDir()) {
    this.#reposDir = reposDir === undefined ? undefined : resolve(reposDir);
    this.#cacheDir = cacheDir;
  }

  /** Refuses, before anything runs, repositories that cannot be found without the network. */
  check(repos: Iterable<string>): void {
    for (const repo of new Set(repos)) {
      const local = localPath(repo);
      if (local !== undefined && !existsSync(local)) throw new InputError(`the repository ${repo} does not exist`);
      if (local === undefined && this.#reposDir !== undefined && !existsSync(join(this.#reposDir, folderName(repo)))) {
        throw new InputError(`no ${folderName(repo)} in --repos-dir ${this.#reposDir} (for the repository ${repo})`);
      }
      if (local === undefined && this.#reposDir === undefined && !/^[\w.-]+\/[\w.-]+$/.test(repo)) {
        throw new InputError(`the repository "${repo}" is neither owner/name nor a local path`);
      }
    }
  }

  /** The repository's folder; clones it into the cache when needed. */
  async path(repo: string): Promise<string> {
    const local = localPath(repo);
    if (local !== undefined) return local;
    if (this.#reposDir !== undefined) return join(this.#reposDir, folderName(repo));
    let clone = this.#clones.get(repo);
    if (!clone) {
      clone = this.#clone(repo);
      this.#clones.set(repo, clone);
    }
    return clone;
  }

  async #clone(repo: string): Promise<string> {
    const target = join(this.#cacheDir, folderName(repo));
    if (existsSync(target)) return target;
    await mkdir(this.#cacheDir, { recursive: true });
    // Cloned beside its place and moved there whole, so a clone cut short is never taken for a repository.
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    try {
      await runGit(this.#cacheDir, {}, ["clone", "--quiet", "--", `https://github.com/${repo}`, partial], undefined, { timeoutMs: CLONE_TIMEOUT_MS });
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      const why = error instanceof Error ? error.message.trim().split("\n", 1)[0] : String(error);
      throw new RepoUnavailable(`could not clone https://github.com/${repo} (${why}); clone it into DIR/${folderName(repo)} yourself and pass --repos-dir DIR`);
    }
    return target;
  }
}
