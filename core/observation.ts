import type { ElidedText } from "./config/template.ts";
import type { CommandResult } from "./environment.ts";
import type { ObservedOutput } from "./prompts.ts";

/**
 * A command's result as mini-SWE-agent 2 hands it to the observation template: a command that
 * timed out has return code -1 and says so in `exception_info`. When the middle of a long output
 * was not kept, the output is its two ends, and the template measures and slices it as the whole.
 */
export function observedOutput(result: CommandResult, command: string, timeoutSec: number): { output: ObservedOutput; elided: ElidedText[] } {
  const text = result.output + result.outputTail;
  const output: ObservedOutput = {
    output: text,
    returncode: result.timedOut ? -1 : result.exitCode,
    exception_info: result.timedOut ? `An error occurred while executing the command: Command '${command}' timed out after ${timeoutSec} seconds` : "",
  };
  return { output, elided: result.elidedChars > 0 ? [{ text, head: result.output.length, elided: result.elidedChars }] : [] };
}

/** The observation and molt's own lines after it (a limit hit, tool verdicts, the reminder). */
export function withNotes(observation: string, notes: readonly string[] | undefined): string {
  return notes && notes.length > 0 ? `${observation}\n${notes.join("\n")}` : observation;
}

/** What the agent is told first when the user changed its command before it ran: it must not take the output for its own command's. */
export function editedNote(command: string): string {
  return `[molt] The user changed your command before it ran. What ran was:\n${command}\n`;
}
