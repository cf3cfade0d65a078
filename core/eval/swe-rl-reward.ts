import { parsePatch } from "diff";
import { sequenceRatio } from "./sequence-ratio.ts";

/** −1: the model's patch is not a unified diff. */
export const MALFORMED = -1;

/**
 * SWE-RL's reward for a patch against the gold one, for task sets without runnable tests: each
 * file's change (its hunks, headers dropped) is compared with the gold change to the same file
 * by sequence ratio; a file changed by only one side scores 0; the reward is the mean over the
 * files either side changed. An empty patch scores 0, a malformed one −1, and two empty ones 1.
 */
export function sweRlReward(modelPatch: string, goldPatch: string): number {
  const model = fileChanges(modelPatch);
  if (model === undefined) return MALFORMED;
  const gold = fileChanges(goldPatch) ?? new Map<string, string>();
  const paths = new Set([...model.keys(), ...gold.keys()]);
  if (paths.size === 0) return 1;
  let sum = 0;
  for (const path of paths) {
    const mine = model.get(path) ?? "";
    const theirs = gold.get(path) ?? "";
    sum += mine === "" || theirs === "" ? 0 : sequenceRatio(mine, theirs);
  }
  return sum / paths.size;
}

/** Each file's hunks as text, by path; undefined when the patch is not a unified diff. */
export function fileChanges(patch: string): Map<string, string> | undefined {
  const changes = new Map<string, string>();
  if (patch.trim() === "") return changes;
  let files;
  try {
    files = parsePatch(patch);
  } catch {
    return undefined;
  }
  if (!files.some((file) => file.hunks.length > 0 || file.oldFileName !== undefined || file.newFileName !== undefined)) return undefined;
  for (const file of files) {
    const path = pathOf(file.oldFileName, file.newFileName);
    if (path === undefined) continue;
    const body = file.hunks
      .map((hunk) => `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@\n${hunk.lines.join("\n")}`.trim())
      .join("\n");
    changes.set(path, (changes.get(path) ?? "") + body);
  }
  return changes;
}

function pathOf(oldName: string | undefined, newName: string | undefined): string | undefined {
  const strip = (name: string | undefined) => (name === undefined || name === "/dev/null" ? undefined : name.replace(/^[ab]\//, ""));
  return strip(newName) ?? strip(oldName);
}
