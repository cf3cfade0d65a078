import { describe, expect, test } from "vitest";
import { afterMarker, isSubmission, parseActions, SUBMIT_MARKER } from "../../core/actions.ts";
import type { ToolCall } from "../../core/events/events.ts";

const fence = "```";

function text(content: string, actionRegex?: string) {
  return parseActions("text", content, [], actionRegex);
}

function tools(calls: ToolCall[], content = "") {
  return parseActions("tools", content, calls);
}

/** The commands of a reply that can run, or its error. */
function commands(parsed: ReturnType<typeof parseActions>): string[] | string {
  return parsed.ok ? parsed.actions.map((action) => action.command) : parsed.error;
}

function bashCall(args: unknown, id = "call_1"): ToolCall {
  return { id, name: "bash", arguments: typeof args === "string" ? args : JSON.stringify(args) };
}

describe("parseActions, text format (molt's rule)", () => {
  test("one ```bash block is the command", () => {
    expect(commands(text(`I will list the files first.\n\n${fence}bash\nls -la src\n${fence}\n`))).toEqual(["ls -la src"]);
  });

  test("a multi-line command keeps its lines", () => {
    expect(commands(text(`Let me run the tests.\n${fence}bash\ncd src &&\n  npm test\n${fence}`))).toEqual(["cd src &&\n  npm test"]);
  });

  test("a reply with no block is a format error in mini-SWE-agent's words", () => {
    expect(text("I think the bug is in parse.ts, let me look.")).toEqual({ ok: false, error: "Expected exactly 1 action, found 0.", actions: [], hasToolCalls: false });
  });

  test("a reply with two blocks is a format error that counts them and hands them to the template", () => {
    expect(text(`${fence}bash\nls\n${fence}\nand then\n${fence}bash\ncat README.md\n${fence}\n`)).toEqual({
      ok: false,
      error: "Expected exactly 1 action, found 2.",
      actions: ["ls", "cat README.md"],
      hasToolCalls: false,
    });
  });

  // As mini-SWE-agent: a block is an action even when it is empty; the empty command runs and prints nothing.
  test("a block holding only blank lines is one action, the empty command", () => {
    expect(commands(text(`Here:\n${fence}bash\n\n   \n${fence}\n`))).toEqual([""]);
    expect(commands(text(`Here:\n${fence}bash\n${fence}\n`))).toEqual([""]);
  });

  // An empty block must end at its own fence, not run on and swallow the text up to the next block.
  test("an empty block followed by a real block is two blocks, not one swallowed command", () => {
    expect(commands(text(`${fence}bash\n${fence}\nthen\n${fence}bash\nls\n${fence}\n`))).toBe("Expected exactly 1 action, found 2.");
  });

  test("a ```python block is not an action, nor does it count beside a ```bash block", () => {
    expect(text(`Let me check:\n${fence}python\nprint(open('a.txt').read())\n${fence}\n`).ok).toBe(false);
    expect(commands(text(`Example:\n${fence}python\nprint(1)\n${fence}\nNow run it:\n${fence}bash\npython a.py\n${fence}\n`))).toEqual(["python a.py"]);
  });

  test("a ```mswea_bash_command block (mini-SWE-agent 2) is the command, and a ```bash block beside it an example", () => {
    expect(commands(text(`Looking.\n${fence}mswea_bash_command\nls -la\n${fence}\n`))).toEqual(["ls -la"]);
    expect(commands(text(`For instance:\n${fence}bash\nsed -i s/a/b/ f\n${fence}\nNow:\n${fence}mswea_bash_command\ncat f\n${fence}\n`))).toEqual(["cat f"]);
    expect(commands(text(`${fence}mswea_bash_command\nls\n${fence}\n${fence}mswea_bash_command\npwd\n${fence}\n`))).toBe("Expected exactly 1 action, found 2.");
  });

  test("CRLF line endings are understood, and leave no carriage return in the command", () => {
    expect(commands(text(`I will look.\r\n\r\n${fence}bash\r\nls -la\r\n${fence}\r\n`))).toEqual(["ls -la"]);
    expect(commands(text(`${fence}bash\r\ncd src\r\nls\r\n${fence}\r\n`))).toEqual(["cd src\nls"]);
  });
});

describe("parseActions, text format with a configuration's action_regex", () => {
  const MSWEA = "```mswea_bash_command\\s*\\n(.*?)\\n```";

  test("the regex's first group is the command, stripped, across lines", () => {
    expect(commands(text(`THOUGHT: x\n\n${fence}mswea_bash_command\n  cd a &&\nls  \n${fence}\n`, MSWEA))).toEqual(["cd a &&\nls"]);
  });

  test("a ```bash block does not match mini-SWE-agent 2's regex", () => {
    expect(commands(text(`${fence}bash\nls\n${fence}\n`, MSWEA))).toBe("Expected exactly 1 action, found 0.");
  });

  test("Python's named groups are read", () => {
    expect(commands(text("<cmd>ls</cmd>", "<cmd>(?P<command>.*?)</cmd>"))).toEqual(["ls"]);
  });
});

describe("parseActions, tools format", () => {
  test("one bash call is the command, with its call's id", () => {
    expect(tools([bashCall({ command: "grep -rn parse src" })], "Searching.")).toEqual({ ok: true, actions: [{ command: "grep -rn parse src", callId: "call_1" }] });
  });

  test("several bash calls are several commands, in order", () => {
    const parsed = tools([bashCall({ command: "ls" }, "a"), bashCall({ command: "pwd" }, "b"), bashCall({ command: "id" }, "c")]);
    expect(parsed).toEqual({ ok: true, actions: [{ command: "ls", callId: "a" }, { command: "pwd", callId: "b" }, { command: "id", callId: "c" }] });
  });

  test("a ```bash block in the content is ignored in tools format", () => {
    expect(commands(tools([], `${fence}bash\nls\n${fence}`))).toBe("No tool calls found in the response. Every response MUST include at least one tool call.");
  });

  test("no call is a format error that says the reply had none", () => {
    expect(tools([])).toMatchObject({ ok: false, hasToolCalls: false });
  });

  test("one bad call among good ones rejects the whole reply", () => {
    const parsed = tools([bashCall({ command: "ls" }, "a"), { id: "b", name: "str_replace_editor", arguments: '{"command":"view"}' }]);
    expect(parsed).toEqual({ ok: false, error: "Unknown tool 'str_replace_editor'.", actions: [], hasToolCalls: true });
  });

  test("errors are put together as mini-SWE-agent puts them", () => {
    expect(commands(tools([{ id: "c", name: "shell", arguments: "{}" }]))).toBe("Unknown tool 'shell'.Missing 'command' argument in bash tool call.");
    expect(commands(tools([bashCall('{"command": "ls')]))).toMatch(/^Error parsing tool call arguments: .+\.Missing 'command' argument in bash tool call\.$/);
  });

  test.each([
    ["no command key", {}],
    ["arguments that are not an object", "ls"],
    ["null arguments", null],
  ])("%s is a format error asking for a command", (_label, args) => {
    expect(commands(tools([bashCall(JSON.stringify(args))]))).toBe("Missing 'command' argument in bash tool call.");
  });

  test("a command that is not a string is a format error", () => {
    expect(commands(tools([bashCall({ command: ["ls"] })]))).toMatch(/must be a string/);
  });

  test("an empty command runs, as in mini-SWE-agent", () => {
    expect(commands(tools([bashCall({ command: "" })]))).toEqual([""]);
  });
});

describe("isSubmission", () => {
  test("the marker alone with exit code 0 is a submission", () => {
    expect(isSubmission(0, `${SUBMIT_MARKER}\n`)).toBe(true);
    expect(isSubmission(0, SUBMIT_MARKER)).toBe(true);
  });

  test("leading blank lines and whitespace are ignored", () => {
    expect(isSubmission(0, `\n\n  \t${SUBMIT_MARKER}  \n`)).toBe(true);
    expect(isSubmission(0, `\r\n${SUBMIT_MARKER}\r\n`)).toBe(true);
  });

  test("the marker followed by more output (e.g. a diff) is still a submission", () => {
    const output = `${SUBMIT_MARKER}\ndiff --git a/src/x.js b/src/x.js\n--- a/src/x.js\n+++ b/src/x.js\n`;
    expect(isSubmission(0, output)).toBe(true);
  });

  test("a non-zero exit code is not a submission", () => {
    expect(isSubmission(1, `${SUBMIT_MARKER}\n`)).toBe(false);
    expect(isSubmission(130, `${SUBMIT_MARKER}\n`)).toBe(false);
  });

  test("the marker anywhere but the first line is not a submission", () => {
    expect(isSubmission(0, `running tests\n${SUBMIT_MARKER}\n`)).toBe(false);
  });

  test("the marker inside a longer first line is not a submission", () => {
    expect(isSubmission(0, `grep found: ${SUBMIT_MARKER}\n`)).toBe(false);
    expect(isSubmission(0, `${SUBMIT_MARKER}_NOT\n`)).toBe(false);
  });

  test("empty output is not a submission", () => {
    expect(isSubmission(0, "")).toBe(false);
  });
});

describe("afterMarker", () => {
  test("is what the submission printed after the marker's line", () => {
    expect(afterMarker(`${SUBMIT_MARKER}\ndiff --git a/x b/x\n`)).toBe("diff --git a/x b/x\n");
    expect(afterMarker(`\n${SUBMIT_MARKER}`)).toBe("");
  });
});
