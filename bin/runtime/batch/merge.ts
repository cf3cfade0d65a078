import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { BatchSummary, Predictions, predsFile, readBatchFile, summaryFile, writeJsonAtomically } from "./batch-files.ts";
import { InputError } from "../input-error.ts";

export interface MergeResult {
  instances: number;
  folders: number;
}

/**
 * Combines the outputs of several batches (the shards of one) into one preds.json and
 * summary.json. An instance in two of them is taken once when its predictions agree, and
 * refused when they differ.
 */
export async function mergeBatches(dirs: readonly string[], output: string): Promise<MergeResult> {
  const preds: Predictions = {};
  const from: Record<string, string> = {};
  const summary: BatchSummary = { model: "", instances: {} };
  const models = new Set<string>();
  for (const dir of dirs) {
    if (!existsSync(predsFile(dir))) throw new InputError(`${dir} holds no preds.json: not the output of molt batch`);
    const theirs = readBatchFile(predsFile(dir), Predictions, {});
    for (const [id, prediction] of Object.entries(theirs)) {
      const ours = preds[id];
      if (ours && (ours.model_patch !== prediction.model_patch || ours.model_name_or_path !== prediction.model_name_or_path)) {
        throw new InputError(`the instance ${id} is in ${from[id]} and ${dir} with different predictions; merge one of them only`);
      }
      preds[id] = prediction;
      from[id] ??= dir;
    }
    const theirSummary = readBatchFile(summaryFile(dir), BatchSummary, { model: "", instances: {} });
    if (theirSummary.model) models.add(theirSummary.model);
    for (const [id, entry] of Object.entries(theirSummary.instances)) {
      // The summary of the folder whose prediction was taken wins; instances with no prediction come from wherever they are.
      if (from[id] === dir || summary.instances[id] === undefined) summary.instances[id] = entry;
    }
  }
  summary.model = [...models].join(", ");
  await mkdir(output, { recursive: true });
  writeJsonAtomically(predsFile(output), preds);
  writeJsonAtomically(summaryFile(output), summary);
  return { instances: Object.keys(preds).length, folders: dirs.length };
}
