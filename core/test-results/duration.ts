/**
 * A duration at the end of a test line, in every form the runners print it: jest ≤ 24 and mocha
 * `(6ms)`, jest ≥ 25 `(6 ms)` and `(1.2 s)`, node `(0.89ms)`, Multi-SWE-bench's logs `(1.5 s)`.
 */
export const PARENTHESISED_DURATION = / \((?:\d+(?:\.\d+)?|\.\d+) ?(?:ms|s|m|µs|μs)\)$/;

/** `title (6ms)` -> `title`. */
export function withoutDuration(text: string): string {
  return text.replace(PARENTHESISED_DURATION, "");
}
