/** Small text helpers shared by the printers. */

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTokens(count: number): string {
  return count < 10_000 ? String(count) : `${(count / 1000).toFixed(1)}k`;
}

/** Input tokens, with the share read from the prompt cache when there was any: "12.3k in (84% cached)". */
export function formatInput(promptTokens: number, cachedTokens: number | undefined, label = "in"): string {
  const cached = cachedTokens ?? 0;
  const share = promptTokens > 0 && cached > 0 ? ` (${Math.round((100 * cached) / promptTokens)}% cached)` : "";
  return `${formatTokens(promptTokens)} ${label}${share}`;
}

/** A model call about to be tried again: "retrying (2 of 4) in 1.1 s: HTTP 503". */
export function formatRetry(retry: { attempt: number; of?: number | undefined; reason: string }, waitMs: number): string {
  return `retrying (${retry.attempt}${retry.of ? ` of ${retry.of}` : ""})${waitMs > 0 ? ` in ${formatMs(waitMs)}` : ""}: ${retry.reason}`;
}

export function formatCost(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** The first line of a command, cut to `width` characters, marked when anything was left out. */
export function oneLine(text: string, width: number): string {
  const lines = text.trim().split("\n");
  let line = lines[0] ?? "";
  const more = lines.length > 1;
  if (line.length > width) return `${line.slice(0, Math.max(width - 1, 1))}…`;
  if (more) line += " …";
  return line;
}

/** How many files a unified diff touches. */
export function filesInPatch(patch: string): number {
  return patch.match(/^diff --git /gm)?.length ?? 0;
}

/** What a batch left undone and what helps: running it again, or giving it the repositories it could not clone. */
export function batchLeftovers(end: { unfinished: number; withoutRepository: number }): string[] {
  const parts: string[] = [];
  if (end.unfinished > 0) parts.push(`${end.unfinished} not finished (run the same command again to retry ${end.unfinished === 1 ? "it" : "them"})`);
  if (end.withoutRepository > 0) {
    parts.push(`${end.withoutRepository} without ${end.withoutRepository === 1 ? "its repository" : "their repositories"} (clone them yourself and pass --repos-dir DIR)`);
  }
  return parts;
}
