import { createHash } from "node:crypto";
import { mkdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../input-error.ts";
import { tryLock } from "../../../tools/lock-file.ts";

/** A batch's hold on its output folder, and the folder its instances' workspaces go in. */
export interface BatchClaim {
  workspaces: string;
  release(): void;
}

/**
 * Claims the output folder for this process (two batches writing one preds.json would undo each
 * other's work), and makes the batch's own workspaces folder under `parent`, first clearing what a
 * batch of the same output folder left there when it was killed.
 */
export function claimBatch(outputDir: string, parent: string): BatchClaim {
  mkdirSync(outputDir, { recursive: true });
  const lockFile = join(outputDir, ".batch.lock");
  const lock = tryLock(lockFile);
  if (!("release" in lock)) throw new InputError(`${outputDir} is in use by another molt batch (process ${lock.holder}); if it is not, remove ${lockFile}`);
  const workspaces = join(parent, `molt-batch-${createHash("sha256").update(outputDir).digest("hex").slice(0, 12)}`);
  try {
    rmSync(workspaces, { recursive: true, force: true });
    mkdirSync(workspaces, { recursive: true });
  } catch (error) {
    lock.release();
    throw new InputError(`cannot make the batch's workspaces folder ${workspaces}: ${(error as NodeJS.ErrnoException).code ?? "failed"}`);
  }
  return {
    workspaces,
    release() {
      try {
        // Not empty only when a run kept its workspace on purpose.
        rmdirSync(workspaces);
      } catch {
        // Left as it is.
      }
      lock.release();
    },
  };
}
