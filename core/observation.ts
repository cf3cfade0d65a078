import type { CommandResult } from "./environment.ts";

/** The message the agent reads after its command ran. */
export function renderObservation(result: CommandResult, timeoutSec: number): string {
  const parts = [`<returncode>${result.exitCode}</returncode>`];
  if (result.timedOut) {
    parts.push(
      `<warning>\nThe command timed out after ${timeoutSec} s and was killed with every process it started. ` +
        `Run long work in smaller pieces or with a bounded duration, and never wait for interactive input.\n</warning>`,
    );
  }
  if (result.elidedChars > 0) {
    const total = result.output.length + result.elidedChars + result.outputTail.length;
    parts.push(
      `<warning>\nThe output was ${total.toLocaleString("en-US")} characters long, so only its beginning and end are shown. ` +
        `Prefer commands that print less: grep, head, tail, sed -n, or redirect to a file and search it.\n</warning>`,
      `<output_head>\n${result.output}\n</output_head>`,
      `<elided_chars>\n${result.elidedChars.toLocaleString("en-US")} characters elided\n</elided_chars>`,
      `<output_tail>\n${result.outputTail}\n</output_tail>`,
    );
  } else {
    parts.push(`<output>\n${result.output}</output>`);
  }
  for (const note of result.notes ?? []) parts.push(note);
  return parts.join("\n");
}
