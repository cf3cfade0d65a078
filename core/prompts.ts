import { SUBMIT_MARKER } from "./actions.ts";
import type { ActionFormat } from "./run-spec.ts";

const HOW_TO_ACT: Record<ActionFormat, string> = {
  tools:
    "Act by calling the `bash` tool exactly once per reply, with the command in its `command` argument. " +
    "Say what you are thinking in the reply's text first.",
  text:
    "Act by ending each reply with exactly one fenced code block tagged `bash` that holds the command, like this:\n\n" +
    "I will look at the files first.\n\n```bash\nls -la\n```\n\n" +
    "Write your reasoning before the block. A reply with no block, or with more than one, is not run.",
};

export function systemPrompt(format: ActionFormat, extra?: string): string {
  const parts = [
    "You are a software engineer who fixes issues in a code repository by running shell commands.",
    HOW_TO_ACT[format],
    "Each command runs in a fresh bash process in the repository's root folder: `cd` and variables do not carry over " +
      "to the next command, so chain them (`cd src && make`). Commands must not wait for input: no editors, pagers or prompts. " +
      "You see the exit code and the output (stdout and stderr together) of every command.",
  ];
  if (extra) parts.push(extra);
  return parts.join("\n\n");
}

export function taskPrompt(issue: string, format: ActionFormat): string {
  const act = format === "tools" ? "call the bash tool once" : "end with one ```bash block";
  return `<issue>
${issue.trim()}
</issue>

Resolve the issue above by changing the code of the repository in the current folder.

How to work:
1. Find and read the code the issue is about.
2. Reproduce the problem with a small script or an existing test.
3. Change the source code to fix it. Leave the tests alone unless the issue is about them.
4. Run the reproduction and the relevant tests again to check the fix, and think about edge cases.
5. When you are done, submit by running exactly this command, alone:
   echo ${SUBMIT_MARKER}
   Your work is taken from the repository's files, so there is nothing else to print. You cannot continue after submitting.

Every reply must ${act}.`;
}

export function formatErrorPrompt(reason: string, format: ActionFormat): string {
  const expected =
    format === "tools"
      ? "Call the `bash` tool exactly once, with a JSON argument like {\"command\": \"ls\"}."
      : "End your reply with exactly one ```bash block holding one command.";
  return `Your reply could not be run: ${reason}.\n${expected}\nIf you are done, submit with \`echo ${SUBMIT_MARKER}\`.`;
}

/** The observation of a command the user turned down, with what they said instead. */
export function rejectionPrompt(message: string): string {
  const said = message.trim() === "" ? "They gave no reason." : `They said:\n${message.trim()}`;
  return `The user did not let this command run. ${said}\nTake that into account and choose another action.`;
}
