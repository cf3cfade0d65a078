import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ExitStatus } from "../../../core/events/events.ts";
import { InputError } from "../input-error.ts";

/** One entry of SWE-bench's preds.json. */
export const Prediction = z.object({ instance_id: z.string(), model_name_or_path: z.string(), model_patch: z.string() });
export type Prediction = z.infer<typeof Prediction>;
export const Predictions = z.record(z.string(), Prediction);
export type Predictions = z.infer<typeof Predictions>;

/** How one instance went. `Crashed`: its run left no end in its record (it could not start, or died). */
export const InstanceStatus = z.union([ExitStatus, z.literal("Crashed")]);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const InstanceSummary = z.object({
  instance_id: z.string(),
  exit_status: InstanceStatus,
  /** Why it ended, in one line ("" when it submitted). */
  reason: z.string(),
  steps: z.number().int().nonnegative(),
  cost: z.number().nonnegative(),
  /** Input tokens, and how many the endpoint read from its prompt cache (absent in summaries before molt counted them). */
  prompt_tokens: z.number().int().nonnegative().default(0),
  cached_tokens: z.number().int().nonnegative().default(0),
  ms: z.number().nonnegative(),
  /** Tools the run wrote and loaded that its starting library did not have. */
  tools_created: z.array(z.string()),
  /** Calls per tool. */
  tools_used: z.record(z.string(), z.number().int().nonnegative()),
  /** Tools from the library as it stood when the instance started that the run called. */
  kept_tools_used: z.array(z.string()),
  /** New files in the patch that the repository's ignore rules would leave out (build output, dependencies). */
  ignored_paths_in_patch: z.array(z.string()),
  /** What the patch leaves out (a file whose change is too big, a submodule's files), a line each. */
  patch_notes: z.array(z.string()).default([]),
  run_dir: z.string(),
});
export type InstanceSummary = z.infer<typeof InstanceSummary>;

export const BatchSummary = z.object({
  model: z.string(),
  instances: z.record(z.string(), InstanceSummary),
});
export type BatchSummary = z.infer<typeof BatchSummary>;

/** What a batch keeps in its output folder beside the instances' folders (dot-files aside, which no instance id can name). */
export const BATCH_FILES = ["preds.json", "summary.json", "library"] as const;

export function predsFile(dir: string): string {
  return join(dir, "preds.json");
}

export function summaryFile(dir: string): string {
  return join(dir, "summary.json");
}

/** Writes beside the file and renames over it: a reader (or a kill) never sees half a file. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2) + "\n");
  renameSync(temporary, file);
}

/** A JSON file of the batch's, checked; an empty value when it does not exist yet. */
export function readBatchFile<T>(file: string, schema: z.ZodType<T>, empty: T): T {
  if (!existsSync(file)) return empty;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new InputError(`${file} is not valid JSON; move it away to start the batch afresh`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file} is not a molt batch file (${issue?.path.join(".") || "its top"}: ${issue?.message ?? "invalid"})`);
  }
  return parsed.data;
}
