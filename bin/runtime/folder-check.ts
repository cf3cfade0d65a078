import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError } from "./input-error.ts";

/**
 * Why molt cannot make or use `path` as a folder to write in, in a few words; undefined when it
 * can: it is a folder, or its nearest existing parent is one molt may write in. Checked before a
 * command makes anything, so that a bad path leaves nothing behind.
 */
export function folderProblem(path: string): string | undefined {
  const wanted = resolve(path);
  for (let at = wanted; ; at = dirname(at)) {
    let isFolder: boolean;
    try {
      isFolder = statSync(at).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === "ENOENT" || code === "ENOTDIR") && dirname(at) !== at) continue;
      return `cannot be used (${code ?? "unreadable"})`;
    }
    if (!isFolder) return at === wanted ? "is a file, not a folder" : `is under a file (${at}), not a folder`;
    try {
      accessSync(at, constants.W_OK);
    } catch {
      return at === wanted ? "is a folder molt may not write in" : `cannot be made: molt may not write in ${at}`;
    }
    return undefined;
  }
}

/** Refuses, as bad input, a folder to write in that molt cannot make or use; `what` names it (`--output`). */
export function checkFolder(path: string, what: string): void {
  const problem = folderProblem(path);
  if (problem !== undefined) throw new InputError(`${what} ${path} ${problem}`);
}
