/**
 * The JSON objects in a text that holds other lines too (npm's header, a test's console output,
 * several reports one after the other, even on one line): each `{` that starts a line is tried as
 * the start of an object, read to its matching `}` with strings and escapes respected.
 */
export function* jsonObjectsIn(text: string): Generator<unknown> {
  let from = 0;
  while (from < text.length) {
    const start = nextLineStartingWithBrace(text, from);
    if (start === -1) return;
    const end = matchingBrace(text, start);
    if (end !== -1) {
      try {
        yield JSON.parse(text.slice(start, end + 1)) as unknown;
        // The next report may follow the closing brace on the same line.
        from = end + 1;
        continue;
      } catch {
        // Not JSON after all: look further on.
      }
    }
    from = start + 1;
  }
}

/** The index of the next `{` at the start of a line (or right after a closing brace), from `from`. */
function nextLineStartingWithBrace(text: string, from: number): number {
  for (let index = text.indexOf("{", from); index !== -1; index = text.indexOf("{", index + 1)) {
    const before = text[index - 1];
    if (index === from || before === undefined || before === "\n" || before === "}") return index;
  }
  return -1;
}

/** The index of the `}` closing the object opened at `start`, or -1. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return char === "}" ? index : -1;
    }
  }
  return -1;
}
