import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { z } from "zod";
import { InputError } from "../input-error.ts";
import { BATCH_FILES } from "./batch-files.ts";

/** A list of test names; the data sets often hold it as a JSON-encoded string. */
const TestList = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}, z.array(z.string()));

const optionalText = z.string().nullish().transform((value) => value ?? undefined);

/** One SWE-bench task, with molt's optional `test_cmd` and `install_cmd`. Other fields are ignored. */
export const Instance = z.object({
  instance_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-' (it names a folder)")
    .refine((id) => !(BATCH_FILES as readonly string[]).includes(id.toLowerCase()), `names one of the batch's own files (${BATCH_FILES.join(", ")})`),
  repo: z.string().min(1),
  base_commit: z.string().min(1),
  problem_statement: z.string().refine((text) => text.trim() !== "", "is empty"),
  hints_text: optionalText,
  patch: optionalText,
  test_patch: optionalText,
  FAIL_TO_PASS: TestList.nullish().transform((value) => value ?? undefined),
  PASS_TO_PASS: TestList.nullish().transform((value) => value ?? undefined),
  test_cmd: optionalText,
  install_cmd: optionalText,
});
export type Instance = z.infer<typeof Instance>;

/** The instances of a JSON (a list), JSONL or Parquet file, in file order; any bad record is a InputError naming it. */
export async function readInstances(file: string): Promise<Instance[]> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new InputError(`cannot read the instances file ${file}: no such file`);
  if (!info.isFile()) throw new InputError(`cannot read the instances file ${file}: not a file`);
  const records = extname(file).toLowerCase() === ".parquet" ? await parquetRecords(file) : textRecords(file, await readFile(file, "utf8"));
  const instances = records.map(({ where, value }) => {
    const parsed = Instance.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "the record";
    throw new InputError(`${file}${where}: not a SWE-bench instance (${field}: ${issue?.message ?? "invalid"})`);
  });
  // Folders named apart by case alone are one folder on some file systems.
  const seen = new Map<string, string>();
  for (const { instance_id: id } of instances) {
    const earlier = seen.get(id.toLowerCase());
    if (earlier !== undefined) throw new InputError(`${file}: the instance ${id} appears twice${earlier === id ? "" : ` (as ${earlier}: their folders would be one where case does not count)`}`);
    seen.set(id.toLowerCase(), id);
  }
  if (instances.length === 0) throw new InputError(`${file}: no instances`);
  return instances;
}

interface RawRecord {
  /** Where the record is, for messages: ":3" (a line), "[2]" (an index). */
  where: string;
  value: unknown;
}

function textRecords(file: string, text: string): RawRecord[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch {
      throw new InputError(`${file}: not valid JSON`);
    }
    if (!Array.isArray(list)) throw new InputError(`${file}: not a list of instances`);
    return list.map((value, index) => ({ where: `[${index}]`, value }));
  }
  const records: RawRecord[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      records.push({ where: `:${index + 1}`, value: JSON.parse(line) });
    } catch {
      throw new InputError(`${file}:${index + 1}: not a JSON line`);
    }
  });
  return records;
}

async function parquetRecords(file: string): Promise<RawRecord[]> {
  const { asyncBufferFromFile, parquetReadObjects } = await import("hyparquet");
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
  } catch (error) {
    throw new InputError(`${file}: not a readable Parquet file (${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)})`);
  }
  return rows.map((value, index) => ({ where: `[row ${index}]`, value }));
}
