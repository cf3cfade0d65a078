/**
 * The similarity of two texts the way Python's `difflib.SequenceMatcher(None, a, b,
 * autojunk=False).ratio()` measures it: 2·M / (|a| + |b|), M being the characters in the
 * matching blocks found by taking the longest common run (the earliest in a, then in b, on a
 * tie) and recursing on either side of it. Characters are code points, as in Python; 1 for two
 * empty texts.
 */
export function sequenceRatio(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0)!);
  const right = Array.from(b, (char) => char.codePointAt(0)!);
  const total = left.length + right.length;
  if (total === 0) return 1;
  return (2 * matchingCharacters(left, right)) / total;
}

function matchingCharacters(a: readonly number[], b: readonly number[]): number {
  const positions = new Map<number, number[]>();
  b.forEach((element, j) => {
    const list = positions.get(element);
    if (list) list.push(j);
    else positions.set(element, [j]);
  });
  // The lengths of the runs ending at each b index, for the previous and the current a index; shifted by one.
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let best: [number, number, number] = [alo, blo, 0];
    let previousSet: number[] = [];
    for (let i = alo; i < ahi; i++) {
      const currentSet: number[] = [];
      for (const j of positions.get(a[i]!) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const run = previous[j]! + 1;
        current[j + 1] = run;
        currentSet.push(j + 1);
        if (run > best[2]) best = [i - run + 1, j - run + 1, run];
      }
      for (const index of previousSet) previous[index] = 0;
      [previous, current] = [current, previous];
      previousSet = currentSet;
    }
    for (const index of previousSet) previous[index] = 0;
    return best;
  };
  let matched = 0;
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const [i, j, size] = longest(alo, ahi, blo, bhi);
    if (size === 0) continue;
    matched += size;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + size < ahi && j + size < bhi) queue.push([i + size, ahi, j + size, bhi]);
  }
  return matched;
}
