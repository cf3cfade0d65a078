/** What a hidden secret, or a piece of one, is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * How many characters in a row of a secret are hidden wherever they stand. A secret is seldom seen
 * whole: a stream cuts it into pieces, an elided output keeps only its head, a command prints it in
 * two halves. Any 8 characters of it are hidden, so what can show of a secret is under 8 characters.
 */
export const FRAGMENT_CHARS = 8;

/**
 * Hides secrets (molt's API key, header values, variables passed to commands, the secret parts of
 * the endpoint's URL) in anything about to be recorded or shown: every string inside a value,
 * however deep. Secrets shorter than FRAGMENT_CHARS are left alone (hiding every "abc" would mangle
 * the record without protecting anything); `replacements` are exact texts shown another way (a URL
 * with its password, which may be short, shown without it).
 */
export class Redactor {
  readonly #secrets: readonly string[];
  readonly #fragments: ReadonlySet<string>;
  /** The first two characters of every fragment: a cheap test that most positions of a text fail. */
  readonly #starts: Uint8Array;
  readonly #replacements: readonly (readonly [string, string])[];

  constructor(secrets: readonly (string | undefined)[], replacements: readonly (readonly [string, string])[] = []) {
    this.#secrets = [...new Set(secrets.filter((secret): secret is string => secret !== undefined && secret.length >= FRAGMENT_CHARS))];
    const fragments = new Set<string>();
    this.#starts = new Uint8Array(65536);
    for (const secret of this.#secrets) {
      for (let at = 0; at + FRAGMENT_CHARS <= secret.length; at++) {
        fragments.add(secret.slice(at, at + FRAGMENT_CHARS));
        this.#starts[pairAt(secret, at)] = 1;
      }
    }
    this.#fragments = fragments;
    // The longest first, so that a URL is replaced before a shorter one inside it.
    this.#replacements = replacements.filter(([from, to]) => from !== "" && from !== to).toSorted((a, b) => b[0].length - a[0].length);
  }

  get hidesNothing(): boolean {
    return this.#secrets.length === 0 && this.#replacements.length === 0;
  }

  /** The text with every run of FRAGMENT_CHARS or more characters of a secret replaced by [REDACTED]. */
  text(text: string): string {
    let out = text;
    for (const [from, to] of this.#replacements) if (out.includes(from)) out = out.split(from).join(to);
    return this.#secrets.length === 0 ? out : this.#hideFragments(out);
  }

  /** The value with every string in it, however deep, passed through `text`. */
  value<T>(value: T): T {
    if (this.hidesNothing) return value;
    const walk = (inner: unknown): unknown => {
      if (typeof inner === "string") return this.text(inner);
      if (Array.isArray(inner)) return inner.map(walk);
      if (inner !== null && typeof inner === "object") return Object.fromEntries(Object.entries(inner).map(([key, field]) => [key, walk(field)]));
      return inner;
    };
    return walk(value) as T;
  }

  /**
   * How many characters at the end of a text that is still growing (a streamed reply) could be the
   * start of something to hide, and must wait for what comes next: the longest end of it that is
   * part of a secret, or the start of a replaced text.
   */
  pendingTail(text: string): number {
    let held = 0;
    for (let length = 1; length <= text.length; length++) {
      const tail = text.slice(text.length - length);
      if (!this.#secrets.some((secret) => secret.includes(tail))) break;
      held = length;
    }
    for (const [from] of this.#replacements) {
      for (let length = Math.min(from.length, text.length); length > held; length--) {
        if (from.startsWith(text.slice(text.length - length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  }

  #hideFragments(text: string): string {
    // Runs of covered positions, as [start, end) pairs, in order; overlapping or touching runs merge.
    const runs: [number, number][] = [];
    for (let at = 0; at + FRAGMENT_CHARS <= text.length; at++) {
      if (this.#starts[pairAt(text, at)] !== 1 || !this.#fragments.has(text.slice(at, at + FRAGMENT_CHARS))) continue;
      const last = runs.at(-1);
      if (last && at <= last[1]) last[1] = at + FRAGMENT_CHARS;
      else runs.push([at, at + FRAGMENT_CHARS]);
    }
    if (runs.length === 0) return text;
    let out = "";
    let from = 0;
    for (const [start, end] of runs) {
      out += text.slice(from, start) + REDACTED;
      from = end;
    }
    return out + text.slice(from);
  }
}

/** The two characters at `at`, as one number below 65536 (a hash: different pairs may share it). */
function pairAt(text: string, at: number): number {
  return ((text.charCodeAt(at) & 0xff) << 8) | (text.charCodeAt(at + 1) & 0xff);
}
