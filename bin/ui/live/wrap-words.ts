import wrapAnsi from "wrap-ansi";

/** A line's lead: its indentation, and a step's marker ("● 12 ") or a command's "$ " after it. */
const LEAD = /^ *(?:● \d+ |\$ )?/;

/** Wraps each line at words within `columns`, continuation lines lining up under the text after the line's lead. */
export function wrapAtWords(text: string, columns: number): string {
  return text
    .split("\n")
    .map((line) => {
      const lead = LEAD.exec(line)![0].slice(0, Math.max(columns - 10, 0));
      const indent = " ".repeat(lead.length);
      return wrapAnsi(line.slice(lead.length), Math.max(columns - lead.length, 10), { hard: true })
        .split("\n")
        .map((part, index) => (index === 0 ? lead : indent) + part)
        .join("\n");
    })
    .join("\n");
}

/** A line cut to `columns`, marked with … when anything was cut. */
export function cutToWidth(line: string, columns: number): string {
  return line.length > columns ? `${line.slice(0, Math.max(columns - 1, 1))}…` : line;
}
