import { describe, expect, test } from "vitest";
import { isSubmission, parseAction, SUBMIT_MARKER } from "../../core/actions.ts";
import type { ToolCall } from "../../core/events/events.ts";

const fence = "```";

function text(content: string) {
  return parseAction("text", content, []);
}

function tools(calls: ToolCall[], content = "") {
  return parseAction("tools", content, calls);
}

function bashCall(args: unknown, id = "call_1"): ToolCall {
  return { id, name: "bash", arguments: typeof args === "string" ? args : JSON.stringify(args) };
}

describe("parseAction, text format", () => {
  test("one ```bash block is the command", () => {
    const reply = `I will list the files first.\n\n${fence}bash\nls -la src\n${fence}\n`;
    expect(text(reply)).toEqual({ ok: true, command: "ls -la src" });
  });

  test("a multi-line command keeps its lines", () => {
    const reply = `Let me run the tests.\n${fence}bash\ncd src &&\n  npm test\n${fence}`;
    expect(text(reply)).toEqual({ ok: true, command: "cd src &&\n  npm test" });
  });

  test("a reply with no block is a format error that says no block was found", () => {
    const result = text("I think the bug is in parse.ts, let me look.");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/no .*bash block/i);
  });

  test("a reply with two blocks is a format error naming the count", () => {
    const reply = `${fence}bash\nls\n${fence}\nand then\n${fence}bash\ncat README.md\n${fence}\n`;
    const result = text(reply);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain("2");
      expect(result.reason).toMatch(/exactly one/);
    }
  });

  test("a block holding only blank lines is a format error that says it is empty", () => {
    const result = text(`Here:\n${fence}bash\n\n   \n${fence}\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/empty/);
  });

  test("an empty block with nothing between the fences is not runnable", () => {
    expect(text(`Here:\n${fence}bash\n${fence}\n`).ok).toBe(false);
  });

  // "```bash\n```" is a block, and an empty one: the model should hear that, not "no block".
  test("an empty block with nothing between the fences is reported as empty", () => {
    const result = text(`Here:\n${fence}bash\n${fence}\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/empty/);
  });

  // An empty block must end at its own fence, not run on and swallow the text up to the next block.
  test("an empty block followed by a real block is not run as one swallowed command", () => {
    const result = text(`${fence}bash\n${fence}\nthen\n${fence}bash\nls\n${fence}\n`);
    expect(result.ok).toBe(false);
  });

  test("a ```python block is not an action", () => {
    const result = text(`Let me check:\n${fence}python\nprint(open('a.txt').read())\n${fence}\n`);
    expect(result.ok).toBe(false);
  });

  test("a ```python block next to a ```bash block does not count as a second block", () => {
    const reply = `Example:\n${fence}python\nprint(1)\n${fence}\nNow run it:\n${fence}bash\npython a.py\n${fence}\n`;
    expect(text(reply)).toEqual({ ok: true, command: "python a.py" });
  });

  test("a ```mswea_bash_command block (mini-SWE-agent 2) is the command", () => {
    expect(text(`Looking.\n${fence}mswea_bash_command\nls -la\n${fence}\n`)).toEqual({ ok: true, command: "ls -la" });
  });

  test("next to a ```mswea_bash_command block, a ```bash block is an example, not a second action", () => {
    const reply = `For instance:\n${fence}bash\nsed -i s/a/b/ f\n${fence}\nNow:\n${fence}mswea_bash_command\ncat f\n${fence}\n`;
    expect(text(reply)).toEqual({ ok: true, command: "cat f" });
  });

  test("two ```mswea_bash_command blocks are a format error naming the count", () => {
    const result = text(`${fence}mswea_bash_command\nls\n${fence}\n${fence}mswea_bash_command\npwd\n${fence}\n`);
    expect(result).toEqual({ ok: false, reason: "2 ```mswea_bash_command blocks found; exactly one is allowed" });
  });

  test("CRLF line endings around the block are understood", () => {
    const reply = `I will look.\r\n\r\n${fence}bash\r\nls -la\r\n${fence}\r\n`;
    expect(text(reply)).toEqual({ ok: true, command: "ls -la" });
  });

  // A CRLF reply must not leave "\r" inside the command (bash would run `cd $'src\r'`).
  test("a multi-line command in a CRLF reply runs without stray carriage returns", () => {
    const result = text(`${fence}bash\r\ncd src\r\nls\r\n${fence}\r\n`);
    expect(result).toEqual({ ok: true, command: "cd src\nls" });
  });
});

describe("parseAction, tools format", () => {
  test("one bash call is the command", () => {
    expect(tools([bashCall({ command: "grep -rn parse src" })], "Searching.")).toEqual({ ok: true, command: "grep -rn parse src" });
  });

  test("a ```bash block in the content is ignored in tools format", () => {
    const result = tools([], `${fence}bash\nls\n${fence}`);
    expect(result.ok).toBe(false);
  });

  test("no call is a format error", () => {
    const result = tools([]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/no bash tool call/);
  });

  test("two calls is a format error naming the count", () => {
    const result = tools([bashCall({ command: "ls" }, "a"), bashCall({ command: "pwd" }, "b")]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/2 tool calls/);
  });

  test("an unknown function name is a format error naming it", () => {
    const result = tools([{ id: "c", name: "str_replace_editor", arguments: '{"command":"view"}' }]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain("str_replace_editor");
  });

  test("arguments that are not JSON are a format error", () => {
    const result = tools([bashCall('{"command": "ls')]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/JSON/);
  });

  test.each([
    ["no command key", {}],
    ["an empty command", { command: "" }],
    ["a blank command", { command: "   \n" }],
    ["a command that is not a string", { command: ["ls"] }],
    ["arguments that are not an object", "ls"],
    ["null arguments", null],
  ])("%s is a format error asking for a command", (_label, args) => {
    const result = tools([bashCall(JSON.stringify(args))]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/command/);
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
