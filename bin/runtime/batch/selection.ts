import { UsageError } from "../../cli/usage-error.ts";

export interface Selection {
  /** Matched against instance_id (a search, not a whole match). */
  filter: RegExp | undefined;
  /** As Python's list[A:B]: `3:10`, `:5`, `-20:`. */
  slice: { start: number | undefined; end: number | undefined } | undefined;
  /** Keep the instances whose position in the file, modulo `count`, is `index`. */
  shard: { index: number; count: number } | undefined;
}

export function parseFilter(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(`--filter is not a regular expression (got "${text}"): ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function parseSlice(text: string | undefined): Selection["slice"] {
  if (text === undefined) return undefined;
  const match = /^(-?\d+)?:(-?\d+)?$/.exec(text.trim());
  if (!match) throw new UsageError(`--slice must be START:END, such as 0:10, :5 or 20: (got "${text}")`);
  return { start: match[1] === undefined ? undefined : Number(match[1]), end: match[2] === undefined ? undefined : Number(match[2]) };
}

export function parseShard(text: string | undefined): Selection["shard"] {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--shard must be I/N, such as 0/4 (got "${text}")`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) throw new UsageError(`--shard I/N needs 0 <= I < N (got "${text}")`);
  return { index, count };
}

/**
 * The instances to run: --filter, then --slice over what the filter kept, then --shard by each
 * instance's position in the file. Sharding by file position means the shards of one selection
 * never overlap and together make the whole of it, whatever the filter and slice.
 */
export function select<T extends { instance_id: string }>(instances: readonly T[], selection: Selection): T[] {
  const positioned = instances.map((instance, position) => ({ instance, position }));
  const filtered = selection.filter ? positioned.filter(({ instance }) => selection.filter!.test(instance.instance_id)) : positioned;
  const sliced = selection.slice ? filtered.slice(selection.slice.start, selection.slice.end) : filtered;
  const { shard } = selection;
  const sharded = shard ? sliced.filter(({ position }) => position % shard.count === shard.index) : sliced;
  return sharded.map(({ instance }) => instance);
}
