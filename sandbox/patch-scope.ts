import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { runGit } from "./git-run.ts";
import { MAX_FILE_PATCH_BYTES, type LeftOutFile } from "./patch-sections.ts";

/** What the patch cannot hold, found before its files are added: paths to leave out, and a line for each the user should hear of. */
export interface PatchScope {
  /** Paths `git add` must leave alone (submodules, and git repositories inside the work tree). */
  exclude: string[];
  notes: string[];
  /** New files too big for a patch, left out without being read. */
  tooBig: LeftOutFile[];
}

/** How many of a folder's files a note names. */
const NAMED = 3;
/** How many entries a look into a folder reads at most. */
const LOOKED_AT = 1000;

/**
 * Finds what `git add --all` would not take into the patch, or would fail on: a submodule's
 * folder (git takes only its commit, and never what is written into a submodule that is not
 * checked out), and a git repository of its own inside the work tree (git would take it as a
 * submodule, or stop when it has no commit yet). The patch holds neither; the user hears of
 * each that has files in it. And a new file too big for the patch (MAX_FILE_PATCH_BYTES), never
 * read. `env` names molt's git directory, its index (holding the starting point) and the work
 * tree. The work tree is the agent's: nothing here follows a link in it.
 */
export async function patchScope(workTree: string, env: Record<string, string>, { keepBig = false } = {}): Promise<PatchScope> {
  const scope: PatchScope = { exclude: [], notes: [], tooBig: [] };
  const staged = await runGit(workTree, env, ["ls-files", "-z", "--stage"]);
  for (const entry of staged.split("\0")) {
    if (!entry.startsWith("160000 ")) continue;
    const { exclude, note } = await submodule(workTree, entry.slice(entry.indexOf("\t") + 1));
    scope.exclude.push(exclude);
    if (note) scope.notes.push(note);
  }
  const untracked = (await runGit(workTree, env, ["ls-files", "-z", "--others", "--exclude-standard"])).split("\0").filter((entry) => entry !== "");
  const files: string[] = [];
  for (const entry of untracked) {
    // git lists a repository inside the work tree as its folder, with a slash, and never its files.
    if (!entry.endsWith("/")) {
      files.push(entry);
      continue;
    }
    const path = entry.slice(0, -1);
    scope.exclude.push(path);
    scope.notes.push(`${path}/ is a git repository of its own inside the workspace, not part of the repository: its files are not in the patch`);
  }
  // A new file bigger than a file's part of the patch may be is never read (git would hash it, then diff it, for nothing).
  for (let at = 0; !keepBig && at < files.length; at += 64) {
    const sizes = await Promise.all(files.slice(at, at + 64).map((path) => lstat(join(workTree, path)).then((info) => (info.isFile() ? info.size : 0), () => 0)));
    sizes.forEach((bytes, i) => {
      if (bytes <= MAX_FILE_PATCH_BYTES) return;
      const path = files[at + i]!;
      scope.exclude.push(path);
      scope.tooBig.push({ path, bytes, why: "new" });
    });
  }
  return scope;
}

/** What `git add` leaves out for the submodule at `path`, and what the user hears of it. */
async function submodule(workTree: string, path: string): Promise<{ exclude: string; note?: string }> {
  const asItWas = "the patch leaves submodules as they are";
  // A folder on the way replaced by a link or a file: git cannot be told to leave out what is
  // "beyond" it, so it leaves out that instead, and nothing here looks through it.
  const parts = path.split("/");
  for (let depth = 1; depth < parts.length; depth++) {
    const parent = parts.slice(0, depth).join("/");
    const info = await lstat(join(workTree, parent)).catch(() => undefined);
    if (!info) return { exclude: path, note: `${path} (a submodule) is no longer in the workspace: ${asItWas}` };
    if (!info.isDirectory()) {
      return { exclude: parent, note: `${path} (a submodule) is no longer in the workspace, and ${parent} is now a ${info.isSymbolicLink() ? "link" : "file"}: neither is in the patch, which leaves submodules as they are` };
    }
  }
  const info = await lstat(join(workTree, path)).catch(() => undefined);
  if (!info) return { exclude: path, note: `${path} (a submodule) is no longer in the workspace: ${asItWas}` };
  if (!info.isDirectory()) return { exclude: path, note: `${path} (a submodule) was replaced by a ${info.isSymbolicLink() ? "link" : "file"}, which is not in the patch: ${asItWas}` };
  const entries: string[] = await readdir(join(workTree, path)).catch(() => []);
  // A submodule checked out (by a setup command) has its own .git; what changes inside it is its own history.
  if (entries.length === 0 || entries.includes(".git")) return { exclude: path };
  const files = await filesIn(join(workTree, path), path);
  if (files.length === 0) return { exclude: path };
  const named = files.slice(0, NAMED).join(", ") + (files.length > NAMED ? `, … (${files.length >= LOOKED_AT ? `${LOOKED_AT}+` : files.length} files)` : "");
  return { exclude: path, note: `${path}/ is a submodule that is not checked out in the workspace: what was written in it (${named}) is not in the patch` };
}

/** Some files under `dir`, by their paths in the repository: links are named, never followed. */
async function filesIn(dir: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const folders = [{ dir, prefix }];
  let looked = 0;
  while (folders.length > 0 && found.length < LOOKED_AT && looked++ < LOOKED_AT) {
    const { dir: current, prefix: at } = folders.shift()!;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory()) folders.push({ dir: join(current, entry.name), prefix: `${at}/${entry.name}` });
      else found.push(`${at}/${entry.name}`);
      if (found.length >= LOOKED_AT) break;
    }
  }
  return found;
}
