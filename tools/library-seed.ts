import type { EventOf, MoltEvent } from "../core/events/events.ts";
import { shaOf, ToolLibrary, type HistoryEntry } from "./library.ts";

/**
 * Fills an empty folder with the tool library as it stood when a recorded run began, so that a
 * re-run loads the same tools and gives new versions the numbers the recorded run gave them.
 *
 * The record holds the library's tools (`tool_library`) but not its whole history, and a new
 * version's number comes from the history: one past the latest version the library has seen.
 * That number is read back from the run's own writes: the versions it numbered in a row up to its
 * last are new ones, so the library had seen up to one below the first of them. Versions written
 * below that were ones the library already knew by their source; they go into the history too.
 */
export async function seedLibrary(dir: string, events: readonly MoltEvent[], runId: string): Promise<void> {
  const library = new ToolLibrary(dir);
  const start = events.find((event): event is EventOf<"tool_library"> => event.type === "tool_library");
  const ts = start?.ts ?? 0;
  const written = new Map<string, Map<number, string>>();
  for (const event of events) {
    if (event.type !== "tool_written" || event.step === 0) continue;
    const versions = written.get(event.name) ?? new Map<number, string>();
    if (!versions.has(event.version)) versions.set(event.version, event.source);
    written.set(event.name, versions);
  }
  const names = new Set([...(start?.tools.map((tool) => tool.name) ?? []), ...written.keys()]);
  for (const name of names) {
    const kept = start?.tools.find((tool) => tool.name === name);
    const versions = written.get(name) ?? new Map<number, string>();
    const latest = latestSeen(kept?.version ?? 0, [...versions.keys()]);
    const entries: HistoryEntry[] = [];
    const entry = (version: number, source: string, status: "loaded" | "rejected"): HistoryEntry => ({ kind: "version", version, sha: shaOf(source), status, source, runId, ts });
    if (kept) entries.push(entry(kept.version, kept.source, "loaded"));
    for (const [version, source] of versions) if (version <= latest && version !== kept?.version) entries.push(entry(version, source, "rejected"));
    if (!entries.some((seen) => seen.kind === "version" && seen.version === latest) && latest > 0) {
      // Stands for versions the record never showed; an empty sha matches no source.
      entries.push({ kind: "version", version: latest, sha: "", status: "rejected", source: "", reason: "not in the record", runId, ts });
    }
    entries.sort((a, b) => (a.kind === "version" && b.kind === "version" ? a.version - b.version : 0));
    await library.append(name, entries);
    if (kept) await library.keep(name, kept.source);
  }
}

/** The latest version the library had seen of a tool, from the one it kept and the ones a run wrote. */
function latestSeen(kept: number, written: number[]): number {
  const numbers = new Set(written);
  let lowest = Math.max(0, ...written);
  if (lowest === 0) return kept;
  while (numbers.has(lowest - 1) && lowest - 1 > kept) lowest--;
  return Math.max(kept, lowest - 1);
}
