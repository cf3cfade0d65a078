/**
 * Runs `work` on every item, at most `workers` at a time, and takes no more once `signal` is
 * aborted; resolves when the work taken is done. Each time an item is taken, `upcoming` hears of
 * the items the workers take next (after `work` has started on it).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  workers: number,
  work: (item: T) => Promise<void>,
  options: { signal?: AbortSignal; upcoming?: (items: readonly T[]) => void } = {},
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (!options.signal?.aborted && next < items.length) {
      const done = work(items[next++]!);
      options.upcoming?.(items.slice(next, next + workers));
      await done;
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
}
