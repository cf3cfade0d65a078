/**
 * The JSON objects in a text that holds other lines too (npm's header, a test's console output,
 * several reports one after the other, even on one line) whose first key is `firstKey`: each `{`
 * that starts a line, or follows a closing brace, and opens with that key is read to its matching
 * `}`, strings and escapes respected. Only such starts are tried, so the text is read a few times
 * at most, whatever the test command printed.
 */
export function* jsonObjectsIn(text: string, firstKey: string): Generator<unknown> {
  const starts = new RegExp(`(?:^|\\n|\\})(\\{)\\s*${JSON.stringify(firstKey).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*:`, "g");
  for (let match = starts.exec(text); match !== null; match = starts.exec(text)) {
    const start = match.index + match[0].indexOf("{", match[0].startsWith("}") ? 1 : 0);
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    try {
      yield JSON.parse(text.slice(start, end + 1)) as unknown;
      // The next report may follow the closing brace on the same line.
      starts.lastIndex = end;
    } catch {
      // Not JSON after all: look further on.
    }
  }
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
