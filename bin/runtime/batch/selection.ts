export interface Selection {
  /** Matched against instance_id (a search, not a whole match). */
  filter: RegExp | undefined;
  /** As Python's list[A:B]: `3:10`, `:5`, `-20:`. */
  slice: { start: number | undefined; end: number | undefined } | undefined;
  /** Keep the instances whose position in the file, modulo `count`, is `index`. */
  shard: { index: number; count: number } | undefined;
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
