import { Box, Text, useWindowSize } from "ink";
import { createElement as h, type ReactElement } from "react";
import { styleText } from "node:util";
import { colorOf, isDim, stepLines, type LiveState } from "./step-lines.ts";
import type { Theme } from "./theme.ts";
import { cutToWidth, wrapAtWords } from "./wrap-words.ts";
import type { StepView } from "./view-state.ts";

export { clipLines } from "./step-lines.ts";

export interface StepProps {
  step: StepView;
  theme: Theme;
  /** Plain words instead of symbols, for screen readers. */
  plain: boolean;
  /** While the step is live: "thinking" or "running", and for how long. */
  live?: LiveState;
}

/** The step in progress, drawn by ink; wrapped here, as the scrollback is, so that continuation lines keep their indent. */
export function StepBlock({ step, theme, plain, live }: StepProps): ReactElement {
  const { columns } = useWindowSize();
  const width = Math.max(columns || 80, 20);
  return h(
    Box,
    { flexDirection: "column" },
    ...stepLines(step, plain, live).map((line, index) =>
      h(
        Text,
        {
          key: index,
          color: colorOf(line.role, theme),
          bold: line.role === "command",
          dimColor: theme.dim && isDim(line.role),
          wrap: line.truncate ? "truncate-end" : "wrap",
        },
        line.truncate ? line.text : wrapAtWords(line.text, width),
      ),
    ),
  );
}

type Format = Parameters<typeof styleText>[0];

/**
 * A finished step as text for the scrollback. Written directly, not through ink's renderToString,
 * which keeps a few kilobytes of every call: over a long run the view's memory would grow.
 */
export function stepText(step: StepView, theme: Theme, plain: boolean, columns: number): string {
  return stepLines(step, plain)
    .map((line) => {
      // Wrapped here at words, as ink wraps the live step: the terminal itself would break words.
      const text = line.truncate ? cutToWidth(line.text, columns) : wrapAtWords(line.text, columns);
      const formats: string[] = [];
      const color = colorOf(line.role, theme);
      if (color) formats.push(color);
      if (line.role === "command" && color) formats.push("bold");
      if (theme.dim && isDim(line.role)) formats.push("dim");
      return formats.length > 0 ? styleText(formats as Format, text, { validateStream: false }) : text;
    })
    .join("\n");
}
