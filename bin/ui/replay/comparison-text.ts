import type { Comparison } from "../../runtime/replay/compare.ts";

/** The report, one line per step with an indented diff under each step that differs. */
export function formatComparison(comparison: Comparison): string {
  const lines: string[] = [];
  const indented = (diff: string) => diff.trimEnd().split("\n").map((line) => `    ${line}`);
  if (!comparison.prompt.same) lines.push("prompt  differs", ...indented(comparison.prompt.diff));
  for (const verdict of comparison.steps) {
    const label = `step ${verdict.step}`;
    if (verdict.kind === "differs") lines.push(`${label}  differs`, ...indented(verdict.diff));
    else if (verdict.kind === "unfinished") lines.push(`${label}  not re-run: the recorded command never finished`);
    else if (verdict.kind === "not reached") lines.push(`${label}  not reached: the re-run had ended`);
    else lines.push(`${label}  same`);
  }
  const { patch } = comparison;
  if (patch.same) lines.push("patch  identical");
  else if (patch.diff === undefined) lines.push("patch  differs: the record has no final patch (the run was killed before it ended)");
  else lines.push("patch  differs", ...indented(patch.diff));
  lines.push(`end    recorded ${comparison.recordedEnd}; re-run ${comparison.rerunEnd}`);
  const compared = comparison.steps.filter((verdict) => verdict.kind !== "unfinished");
  const matching = compared.filter((verdict) => verdict.kind === "same").length;
  lines.push(`${matching} of ${compared.length} observations match`);
  return lines.map((line) => `${line}\n`).join("");
}
