import wrapAnsi from "wrap-ansi";

/** Wraps each line at words within `columns`, continuation lines keeping the line's indentation. */
export function wrapAtWords(text: string, columns: number): string {
  return text
    .split("\n")
    .map((line) => {
      const indent = /^ */.exec(line)![0].slice(0, Math.max(columns - 10, 0));
      return wrapAnsi(line.slice(indent.length), Math.max(columns - indent.length, 10), { hard: true })
        .split("\n")
        .map((part) => indent + part)
        .join("\n");
    })
    .join("\n");
}

/** A line cut to `columns`, marked with … when anything was cut. */
export function cutToWidth(line: string, columns: number): string {
  return line.length > columns ? `${line.slice(0, Math.max(columns - 1, 1))}…` : line;
}
