import { createHash } from "node:crypto";
import { constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { appendFile, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { waitForLock } from "./lock-file.ts";

/** The library's record of one tool, one JSON line per entry, in `.history/<name>.jsonl`. */
export const HistoryEntry = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("version"),
    version: z.number().int().positive(),
    sha: z.string(),
    status: z.enum(["loaded", "rejected"]),
    source: z.string(),
    reason: z.string().optional(),
    runId: z.string(),
    ts: z.number(),
  }),
  z.object({ kind: z.literal("used"), version: z.number().int().positive(), calls: z.number().int().positive(), runId: z.string(), ts: z.number() }),
  z.object({ kind: z.literal("removed"), ts: z.number() }),
]);
export type HistoryEntry = z.infer<typeof HistoryEntry>;
export type VersionEntry = Extract<HistoryEntry, { kind: "version" }>;

export interface ToolSummary {
  name: string;
  /** The version in the library now, if the tool is there. */
  current: number | undefined;
  latest: number;
  status: "kept" | "rejected" | "removed";
  uses: number;
  madeBy: string;
}

export function shaOf(source: string): string {
  return createHash("sha256").update(source).digest("hex").slice(0, 16);
}

/**
 * The tool library: a folder of tool modules that runs start from and keep what they made, with
 * the history of every version of every tool, accepted or rejected, and how often each was used.
 */
/** How long keeping what a run made waits for another process that is keeping its own. */
const LOCK_WAIT_MS = 120_000;

export class ToolLibrary {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Runs `work` while no other molt process changes the library (a lock file in it, which copies
   * of the library leave out): runs and batches that share a library keep what they made in turn.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    const lock = await waitForLock(join(this.dir, ".library.lock"), LOCK_WAIT_MS);
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  #historyFile(name: string): string {
    return join(this.dir, ".history", `${name}.jsonl`);
  }

  /** The tool and helper modules in the library now. */
  async files(): Promise<{ name: string; file: string; source: string }[]> {
    if (!existsSync(this.dir)) return [];
    const names = (await readdir(this.dir)).filter((file) => file.endsWith(".ts")).sort();
    return Promise.all(names.map(async (file) => ({ name: basename(file, ".ts"), file: join(this.dir, file), source: await readFile(join(this.dir, file), "utf8") })));
  }

  history(name: string): HistoryEntry[] {
    const file = this.#historyFile(name);
    if (!existsSync(file)) return [];
    const entries: HistoryEntry[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      const parsed = HistoryEntry.safeParse(safeJson(line));
      if (parsed.success) entries.push(parsed.data);
    }
    return entries;
  }

  versions(name: string): VersionEntry[] {
    return this.history(name).filter((entry): entry is VersionEntry => entry.kind === "version");
  }

  latestVersion(name: string): number {
    return Math.max(0, ...this.versions(name).map((entry) => entry.version));
  }

  /** The version number of this exact source, if the library has seen it. */
  versionOf(name: string, source: string): number | undefined {
    const sha = shaOf(source);
    return this.versions(name).findLast((entry) => entry.sha === sha)?.version;
  }

  async append(name: string, entries: HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(join(this.dir, ".history"), { recursive: true });
    await appendFile(this.#historyFile(name), entries.map((entry) => JSON.stringify(entry) + "\n").join(""));
  }

  /** Makes `source` the library's current version of `name`. */
  async keep(name: string, source: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${name}.ts`);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, source);
    await rename(temporary, file);
  }

  async remove(name: string): Promise<boolean> {
    const file = join(this.dir, `${name}.ts`);
    if (!existsSync(file)) return false;
    await rm(file);
    await this.append(name, [{ kind: "removed", ts: Date.now() }]);
    return true;
  }

  /** Copies the current modules into a run's own evolved folder, which must not have them yet: a copy never writes through a name that is there. */
  async copyInto(folder: string): Promise<void> {
    await mkdir(folder, { recursive: true });
    for (const { file } of await this.files()) await copyFile(file, join(folder, basename(file)), constants.COPYFILE_EXCL);
  }

  /** Every tool the library holds or has held, for `molt tools list`. */
  summaries(): ToolSummary[] {
    const names = new Set<string>();
    if (existsSync(this.dir)) for (const file of readdirSync(this.dir)) if (file.endsWith(".ts")) names.add(basename(file, ".ts"));
    const historyDir = join(this.dir, ".history");
    if (existsSync(historyDir)) for (const file of readdirSync(historyDir)) if (file.endsWith(".jsonl")) names.add(basename(file, ".jsonl"));
    return [...names].sort().map((name) => {
      const history = this.history(name);
      const versions = history.filter((entry): entry is VersionEntry => entry.kind === "version");
      const path = join(this.dir, `${name}.ts`);
      const current = existsSync(path) ? this.versionOf(name, readFileSync(path, "utf8")) : undefined;
      const latest = versions.at(-1);
      const kept = existsSync(path);
      return {
        name,
        current,
        latest: Math.max(0, ...versions.map((entry) => entry.version)),
        status: kept ? "kept" : history.at(-1)?.kind === "removed" ? "removed" : "rejected",
        uses: history.reduce((sum, entry) => sum + (entry.kind === "used" ? entry.calls : 0), 0),
        madeBy: versions[0]?.runId ?? (latest ? latest.runId : "by hand"),
      };
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
