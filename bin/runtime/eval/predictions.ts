import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError } from "../input-error.ts";

const Prediction = z.object({
  instance_id: z.string().min(1),
  model_name_or_path: z.string().nullish(),
  /** SWE-bench writes null when the model produced nothing. */
  model_patch: z.string().nullish().transform((patch) => patch ?? ""),
});
type Prediction = z.infer<typeof Prediction>;

/** The model patch of each instance, by id. */
export type Predictions = Map<string, string>;

/**
 * Reads predictions as SWE-bench takes them: preds.json (`{id: {instance_id, model_patch, …}}`,
 * or a list of such records) or one record per line (JSONL).
 */
export async function readPredictions(file: string): Promise<Predictions> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the predictions ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (code ?? "unreadable")}`);
  }
  const records = recordsOf(file, text);
  const predictions: Predictions = new Map();
  for (const { where, value, key } of records) {
    const parsed = Prediction.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`${file}${where}: not a prediction (${issue?.path.join(".") || "the record"}: ${issue?.message ?? "invalid"})`);
    }
    const prediction: Prediction = parsed.data;
    if (key !== undefined && key !== prediction.instance_id) throw new InputError(`${file}${where}: the key ${key} holds the prediction for ${prediction.instance_id}`);
    if (predictions.has(prediction.instance_id)) throw new InputError(`${file}: two predictions for ${prediction.instance_id}`);
    predictions.set(prediction.instance_id, prediction.model_patch);
  }
  return predictions;
}

function recordsOf(file: string, text: string): { where: string; value: unknown; key?: string }[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new InputError(`${file}: empty`);
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let whole: unknown;
    try {
      whole = JSON.parse(trimmed);
    } catch {
      // Not one JSON document: JSON lines, read below.
    }
    if (Array.isArray(whole)) return whole.map((value, index) => ({ where: `[${index}]`, value }));
    if (whole !== null && typeof whole === "object") {
      const object = whole as Record<string, unknown>;
      // One bare record is a single prediction, not a map of them.
      if (typeof object.instance_id === "string") return [{ where: "", value: object }];
      return Object.entries(object).map(([key, value]) => ({ where: `["${key}"]`, value, key }));
    }
  }
  return text.split("\n").flatMap((line, index) => {
    if (line.trim() === "") return [];
    try {
      return [{ where: `:${index + 1}`, value: JSON.parse(line) as unknown }];
    } catch {
      throw new InputError(`${file}:${index + 1}: not JSON`);
    }
  });
}
