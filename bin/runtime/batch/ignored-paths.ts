import { runGit } from "../../../sandbox/git-run.ts";

/** The paths a patch creates (`new file mode`). */
export function newFilesIn(patch: string): string[] {
  const paths: string[] = [];
  let current: string | undefined;
  for (const line of patch.split("\n")) {
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(line);
    if (header) current = header[2];
    else if (line.startsWith("new file mode") && current !== undefined) paths.push(current);
  }
  return paths;
}

/**
 * The new files of a patch that the repository's ignore rules would leave out: dependencies, build
 * output, caches that only reach a patch when the agent edits .gitignore. The rules are those of
 * the repository's checkout as it is on disk.
 */
export async function ignoredPathsIn(repoDir: string, patch: string): Promise<string[]> {
  const paths = newFilesIn(patch);
  if (paths.length === 0) return [];
  try {
    const out = await runGit(repoDir, {}, ["check-ignore", "--no-index", "-z", "--stdin"], undefined, { input: paths.join("\0") });
    return out.split("\0").filter((line) => line !== "");
  } catch {
    // check-ignore exits 1 when nothing is ignored.
    return [];
  }
}
