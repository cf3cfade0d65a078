/**
 * Runs `work` on every item, at most `lanes` at a time, in order, and takes no more once `signal`
 * is aborted; resolves when the work taken is done. `work` hears which lane (1 to `lanes`) it runs
 * in. Each time an item is taken, `upcoming` hears of those taken next, one more than there are
 * lanes (after `work` has started on it): what can be made ready ahead is made while this runs.
 * molt batch and molt eval both schedule their instances with it.
 */
export async function schedule<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T, lane: number) => Promise<void>,
  options: { signal?: AbortSignal | undefined; upcoming?: (items: readonly T[]) => void } = {},
): Promise<void> {
  let next = 0;
  const lane = async (number: number) => {
    while (!options.signal?.aborted && next < items.length) {
      const done = work(items[next++]!, number);
      options.upcoming?.(items.slice(next, next + lanes + 1));
      await done;
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, (_, index) => lane(index + 1)));
}
