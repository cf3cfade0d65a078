import { describe, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { mapExitStatus } from "../../core/record/mini-exit-status.ts";
import { parseObservation, UNKNOWN_EXIT_CODE } from "../../core/record/mini-observation.ts";
import { miniTrajectoryEvents, MiniTrajectoryError } from "../../core/record/mini-trajectory.ts";

const fence = "```";
const MARKER = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const PATCH = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-a - b\n+a + b\n";
const OPTIONS = { runId: "django__django-11099", file: "/runs/django__django-11099.traj.json", ts: 1_700_000_000_000 };

function convert(data: unknown): MoltEvent[] {
  const events = miniTrajectoryEvents(data, OPTIONS);
  // Whatever the input, the output is a record molt's own schema accepts.
  for (const event of events) expect(() => MoltEvent.parse(event)).not.toThrow();
  return events;
}

function ofType<T extends MoltEvent["type"]>(events: MoltEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

function observation(code: number, output: string): string {
  return `<returncode>${code}</returncode>\n<output>\n${output}</output>`;
}

const SYSTEM = { role: "system", content: "You are a helpful assistant that can interact with a computer." };
const TASK = { role: "user", content: "Please solve this issue: add() subtracts\n\nYou can execute bash commands and edit files to implement the necessary changes.\n" };

describe("a mini-swe-agent-1 trajectory (```bash blocks)", () => {
  const trajectory = {
    info: {
      exit_status: "Submitted",
      submission: PATCH,
      model_stats: { instance_cost: 0.3, api_calls: 5 },
      config: { model: { model_name: "anthropic/claude-sonnet-4" }, agent: { step_limit: 250, cost_limit: 3 } },
      mini_version: "1.9.0",
    },
    messages: [
      SYSTEM,
      TASK,
      { role: "assistant", content: `THOUGHT: look around.\n\n${fence}bash\nls\n${fence}` },
      { role: "user", content: observation(0, "calc.py\n") },
      { role: "assistant", content: "I think the bug is in calc.py." },
      { role: "user", content: "Please always provide EXACTLY ONE action in triple backticks, found 0 actions.\n..." },
      { role: "assistant", content: `${fence}bash\ncat calc.py\n${fence}\nand\n${fence}bash\nsed -i s/-/+/ calc.py\n${fence}` },
      { role: "user", content: "Please always provide EXACTLY ONE action in triple backticks, found 2 actions.\n..." },
      { role: "assistant", content: `Fix it.\n${fence}bash\nsed -i 's/a - b/a + b/' calc.py && python -c 'import calc'\n${fence}` },
      { role: "user", content: observation(1, "Traceback (most recent call last):\nModuleNotFoundError\n") },
      { role: "assistant", content: `Submit.\n${fence}bash\necho ${MARKER} && git add -A && git diff --cached\n${fence}` },
      { role: "user", content: PATCH },
    ],
    trajectory_format: "mini-swe-agent-1",
  };

  test("becomes the event sequence of a molt run", () => {
    const events = convert(trajectory);
    expect(events.map((event) => event.type)).toEqual([
      "run_started",
      "prompt",
      ...["model_request", "model_response", "command_started", "command_finished"],
      ...["model_request", "model_response", "format_error"],
      ...["model_request", "model_response", "format_error"],
      ...["model_request", "model_response", "command_started", "command_finished"],
      ...["model_request", "model_response", "command_started", "command_finished"],
      "run_finished",
    ]);
    const started = ofType(events, "run_started")[0]!;
    expect(started).toMatchObject({ runId: "django__django-11099", spec: { repo: "", issue: "add() subtracts", model: { name: "anthropic/claude-sonnet-4", actionFormat: "text" } } });
    expect(started.moltVersion).toBe("mini-swe-agent 1.9.0");
    expect(started.spec.limits).toMatchObject({ stepLimit: 250, costLimit: 3 });
    expect(ofType(events, "prompt")[0]).toMatchObject({ system: SYSTEM.content, task: TASK.content });
  });

  test("steps count from 1, one per reply, and each request says how many messages the model had", () => {
    const events = convert(trajectory);
    expect(ofType(events, "model_response").map((event) => event.step)).toEqual([1, 2, 3, 4, 5]);
    expect(ofType(events, "model_request").map((event) => event.messages)).toEqual([2, 4, 6, 8, 10]);
  });

  test("replies with no block or two blocks are format errors, counted in a row", () => {
    const errors = ofType(convert(trajectory), "format_error");
    expect(errors.map((event) => [event.step, event.inARow])).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(errors[0]!.reason).toBe("Expected exactly 1 action, found 0.");
    expect(errors[1]!.reason).toBe("Expected exactly 1 action, found 2.");
  });

  test("commands and their results are read from the observations", () => {
    const events = convert(trajectory);
    expect(ofType(events, "command_started").map((event) => event.command)).toEqual([
      "ls",
      "sed -i 's/a - b/a + b/' calc.py && python -c 'import calc'",
      `echo ${MARKER} && git add -A && git diff --cached`,
    ]);
    const finished = ofType(events, "command_finished");
    expect(finished[0]).toMatchObject({ step: 1, exitCode: 0, output: "calc.py\n", elidedChars: 0, timedOut: false });
    expect(finished[1]).toMatchObject({ step: 4, exitCode: 1, output: "Traceback (most recent call last):\nModuleNotFoundError\n" });
  });

  test("the submission's output is the marker and the patch that followed it", () => {
    const events = convert(trajectory);
    const submit = ofType(events, "command_finished").at(-1)!;
    expect(submit).toMatchObject({ step: 5, exitCode: 0, output: `${MARKER}\n${PATCH}` });
    const finished = ofType(events, "run_finished")[0]!;
    expect(finished).toMatchObject({ exitStatus: "Submitted", reason: "the agent submitted", patch: PATCH, trajectoryFile: OPTIONS.file });
    expect(finished.totals).toMatchObject({ steps: 5, cost: 0.3, apiCalls: 5, promptTokens: 0, completionTokens: 0 });
  });

  test("the run's cost is spread over its replies, and usage is zero", () => {
    const responses = ofType(convert(trajectory), "model_response");
    for (const response of responses) {
      expect(response.cost).toBeCloseTo(0.06);
      expect(response.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    }
  });
});

describe("a bare list of messages (the oldest layout)", () => {
  const messages = [
    SYSTEM,
    { role: "user", content: "<pr_description>\nConsider the following PR description:\nadd() subtracts\n</pr_description>" },
    { role: "assistant", content: `${fence}bash\ncat calc.py\n${fence}` },
    { role: "user", content: observation(0, "def add(a, b): return a - b\n") },
    { role: "assistant", content: `${fence}bash\necho MINI_SWE_AGENT_FINAL_OUTPUT && git diff\n${fence}` },
    { role: "user", content: PATCH },
  ];

  test("reads with placeholders and ends Submitted when the agent submitted", () => {
    const events = convert(messages);
    const started = ofType(events, "run_started")[0]!;
    expect(started).toMatchObject({ moltVersion: "mini-swe-agent", spec: { issue: "add() subtracts", model: { name: "", actionFormat: "text" } } });
    expect(ofType(events, "command_finished").at(-1)?.output).toBe(`MINI_SWE_AGENT_FINAL_OUTPUT\n${PATCH}`);
    expect(ofType(events, "run_finished")[0]).toMatchObject({ exitStatus: "Submitted", patch: PATCH });
    expect(ofType(events, "model_response").map((event) => event.cost)).toEqual([0, 0]);
  });

  test("has no run_finished when it does not say how it ended", () => {
    const events = convert(messages.slice(0, 4));
    expect(events.at(-1)?.type).toBe("command_finished");
  });
});

describe("mini-SWE-agent 2: ```mswea_bash_command blocks and per-message extras", () => {
  test("the block is the action, a ```bash example next to it is not, and extra.raw_output is the output", () => {
    const events = convert({
      info: { exit_status: "LimitsExceeded", submission: "", model_stats: { instance_cost: 0.01, api_calls: 1 } },
      messages: [
        SYSTEM,
        TASK,
        {
          role: "assistant",
          content: `For example ${fence}bash\nrm -rf /\n${fence} is bad. Instead:\n${fence}mswea_bash_command\ngrep -rn add .\n${fence}`,
          extra: { cost: 0.01, timestamp: 1_700_000_100.5, response: { usage: { prompt_tokens: 1200, completion_tokens: 80 } } },
        },
        { role: "user", content: "<returncode>0</returncode>\n<output>\n(bounded)</output>", extra: { raw_output: "./calc.py:1:def add\n", returncode: 0, timestamp: 1_700_000_101 } },
        { role: "user", content: "" },
      ],
      trajectory_format: "mini-swe-agent-1",
    });
    expect(ofType(events, "command_started")[0]?.command).toBe("grep -rn add .");
    expect(ofType(events, "command_finished")[0]).toMatchObject({ exitCode: 0, output: "./calc.py:1:def add\n", ts: 1_700_000_101_000 });
    expect(ofType(events, "model_response")[0]).toMatchObject({ cost: 0.01, usage: { promptTokens: 1200, completionTokens: 80 }, ts: 1_700_000_100_500 });
    expect(events[0]?.ts).toBe(1_700_000_100_500);
    expect(ofType(events, "run_finished")[0]).toMatchObject({ exitStatus: "LimitsExceeded", patch: "", totals: { promptTokens: 1200, completionTokens: 80, elapsedMs: 500 } });
  });
});

test("mini-SWE-agent 2 in text mode writes mini-swe-agent-1.1 too: without tool calls, the blocks are the actions", () => {
  const events = convert({
    messages: [SYSTEM, TASK, { role: "assistant", content: `${fence}mswea_bash_command\nls\n${fence}` }, { role: "user", content: observation(0, "a\n") }],
    trajectory_format: "mini-swe-agent-1.1",
  });
  expect(ofType(events, "run_started")[0]?.spec.model.actionFormat).toBe("text");
  expect(ofType(events, "command_finished")[0]).toMatchObject({ step: 1, output: "a\n" });
});

describe("a mini-swe-agent-1.1 trajectory (tool calls)", () => {
  const call = (id: string, command: string) => ({ id, type: "function", function: { name: "bash", arguments: JSON.stringify({ command }) } });
  const trajectory = {
    info: { exit_status: "Submitted", submission: PATCH, model_stats: { instance_cost: 0.2, api_calls: 4 }, config: { model: { model_name: "gpt-5" } }, mini_version: "2.1.0" },
    messages: [
      { role: "system", content: [{ type: "text", text: "You are a helpful assistant." }] },
      { role: "user", content: [{ type: "text", text: "Please solve this issue: add() subtracts" }, { type: "image_url", image_url: { url: "data:" } }] },
      { role: "assistant", content: null, tool_calls: [call("call_a", "ls"), call("call_b", "cat calc.py")] },
      { role: "tool", tool_call_id: "call_b", content: JSON.stringify({ returncode: 0, output: "def add(a, b): return a - b\n" }) },
      { role: "tool", tool_call_id: "call_a", content: '{\n  "returncode": 0,\n  "output": "calc.py\\n"\n}' },
      { role: "assistant", content: [{ type: "text", text: "Nothing to call." }], tool_calls: [] },
      { role: "user", content: "No tool calls found in the response.", extra: { interrupt_type: "FormatError" } },
      { role: "assistant", content: "Editing.", tool_calls: [{ id: "call_c", function: { name: "str_replace_editor", arguments: "{}" } }] },
      { role: "user", content: "Unknown tool 'str_replace_editor'.", extra: { interrupt_type: "FormatError" } },
      { role: "assistant", content: "Done.", tool_calls: [call("call_d", `echo ${MARKER}`)] },
      { role: "exit", content: PATCH, extra: { exit_status: "Submitted", submission: PATCH } },
    ],
    trajectory_format: "mini-swe-agent-1.1",
  };

  test("tool calls become molt's ToolCalls, and every call of a reply runs in its step", () => {
    const events = convert(trajectory);
    expect(ofType(events, "run_started")[0]).toMatchObject({ spec: { issue: "add() subtracts\n[image_url]", model: { name: "gpt-5", actionFormat: "tools" } } });
    expect(ofType(events, "prompt")[0]?.task).toBe("Please solve this issue: add() subtracts\n[image_url]");
    expect(ofType(events, "model_response")[0]).toMatchObject({
      step: 1,
      content: "",
      toolCalls: [
        { id: "call_a", name: "bash", arguments: '{"command":"ls"}' },
        { id: "call_b", name: "bash", arguments: '{"command":"cat calc.py"}' },
      ],
    });
    const finished = ofType(events, "command_finished").filter((event) => event.step === 1);
    // Each call is matched with its own observation by id, not by order.
    expect(finished.map((event) => event.output)).toEqual(["calc.py\n", "def add(a, b): return a - b\n"]);
  });

  test("no call and an unknown tool are format errors", () => {
    const errors = ofType(convert(trajectory), "format_error");
    expect(errors.map((event) => [event.step, event.inARow])).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(errors[0]!.reason).toMatch(/^No tool calls found/);
    expect(errors[1]!.reason).toContain("str_replace_editor");
  });

  test("the submission comes from the exit message", () => {
    const events = convert(trajectory);
    expect(ofType(events, "command_finished").at(-1)).toMatchObject({ step: 4, exitCode: 0, output: `${MARKER}\n${PATCH}` });
    expect(ofType(events, "run_finished")[0]).toMatchObject({ exitStatus: "Submitted", patch: PATCH });
  });

  test("arguments given as an object are kept as JSON", () => {
    const events = convert({
      messages: [SYSTEM, TASK, { role: "assistant", content: "", tool_calls: [{ id: "x", function: { name: "bash", arguments: { command: "pwd" } } }] }, { role: "tool", tool_call_id: "x", content: observation(0, "/repo\n") }],
    });
    expect(ofType(events, "command_started")[0]?.command).toBe("pwd");
  });
});

describe("molt's own words in a trajectory", () => {
  test("a command the user turned down is a command_rejected with their message; one that never finished only started", () => {
    const events = convert({
      messages: [
        SYSTEM,
        TASK,
        { role: "assistant", content: `${fence}bash\nrm -rf build\n${fence}` },
        { role: "user", content: "The user did not let this command run. They said:\nkeep the build folder\nTake that into account and choose another action." },
        { role: "assistant", content: `${fence}bash\nnpm test\n${fence}` },
      ],
    });
    expect(ofType(events, "command_rejected")).toEqual([expect.objectContaining({ step: 1, command: "rm -rf build", message: "keep the build folder" })]);
    expect(events.slice(-2).map((event) => event.type)).toEqual(["model_response", "command_started"]);
  });
});

describe("observations", () => {
  test("a long output's head, tail and elided count are read back, with the warning before them", () => {
    const head = "1\n2\n3\n";
    const tail = "99999\n100000\n";
    const text =
      "<returncode>0</returncode>\n<warning>\nThe output of your last command was too long.\nPlease try a different command.\n</warning>" +
      `<output_head>\n${head}\n</output_head>\n<elided_chars>\n578,893 characters elided\n</elided_chars>\n<output_tail>\n${tail}\n</output_tail>`;
    expect(parseObservation(text)).toEqual({ exitCode: 0, output: head, outputTail: tail, elidedChars: 578893, timedOut: false, notes: [] });
  });

  test("mini-SWE-agent 2's JSON head and tail are read back", () => {
    const text = JSON.stringify({ returncode: 2, output_head: "a", output_tail: "z", elided_chars: 12, warning: "Output too long." });
    expect(parseObservation(text)).toMatchObject({ exitCode: 2, output: "a", outputTail: "z", elidedChars: 12 });
  });

  test("molt's notes after the output are kept as one note, and a timeout warning sets timedOut", () => {
    const text =
      "<returncode>137</returncode>\n<warning>\nThe command timed out after 60 s and was killed.\n</warning>\n<output>\npartial\n</output>\n[molt] tool x v1 loaded\n[molt] Reflect: would a tool help?";
    expect(parseObservation(text)).toEqual({
      exitCode: 137,
      output: "partial\n",
      outputTail: "",
      elidedChars: 0,
      timedOut: true,
      notes: ["[molt] tool x v1 loaded\n[molt] Reflect: would a tool help?"],
    });
  });

  test("an output that itself holds </output> is read to the last one", () => {
    const output = "echo '<output>x</output>'\n";
    expect(parseObservation(observation(0, output)).output).toBe(output);
  });

  test("mini-SWE-agent's timeout message: timed out, exit code unknown", () => {
    const text = "The last command <command>sleep 100</command> timed out and has been killed.\nThe output of the command was:\n <output>\nstarting\n</output>\nPlease try another command and make sure to avoid those requiring interactive input.";
    expect(parseObservation(text)).toMatchObject({ exitCode: UNKNOWN_EXIT_CODE, output: "starting", timedOut: true });
  });

  test("text in no known layout is the output, with the exit code unknown", () => {
    const text = "Observation: total 0\ndrwxr-xr-x 2 root root 40 .";
    expect(parseObservation(text)).toEqual({ exitCode: UNKNOWN_EXIT_CODE, output: text, outputTail: "", elidedChars: 0, timedOut: false, notes: [] });
  });

  test("text before the return code is kept as a note", () => {
    expect(parseObservation(`Note: tests are slow.\n${observation(0, "ok\n")}`)).toMatchObject({ exitCode: 0, output: "ok\n", notes: ["Note: tests are slow."] });
  });
});

describe("exit statuses", () => {
  test.each([
    ["Submitted", "Submitted"],
    ["LimitsExceeded", "LimitsExceeded"],
    ["CostLimitExceeded", "LimitsExceeded"],
    ["ContextWindowExceededError", "ModelError"],
    ["APIError", "ModelError"],
    ["TimeoutError", "TimeExceeded"],
    ["KeyboardInterrupt", "Interrupted"],
    ["FormatError", "FormatError"],
    ["RuntimeError", "EnvironmentError"],
  ])("%s maps to %s", (status, expected) => {
    const mapped = mapExitStatus(status);
    expect(mapped.exitStatus).toBe(expected);
    if (status !== expected) expect(mapped.reason).toContain(`"${status}"`);
  });
});

describe("input that is not a trajectory", () => {
  test.each([
    ["a number", 42, /expected object/i],
    ["an object without messages", { info: {} }, /^messages:/],
    ["a message without a role", { messages: [SYSTEM, { content: "hi" }] }, /^messages\[1\]\.role:/],
    ["a bare list with a bad message", [SYSTEM, { role: 3 }], /^\[1\]\.role:/],
    ["no task message", { messages: [SYSTEM] }, /no user message/],
  ])("%s is one clear error", (_label, data, message) => {
    expect(() => miniTrajectoryEvents(data, OPTIONS)).toThrow(MiniTrajectoryError);
    expect(() => miniTrajectoryEvents(data, OPTIONS)).toThrow(message);
  });

  test("info fields of unexpected types are ignored, not errors", () => {
    const events = convert({ info: { exit_status: 3, model_stats: "n/a", config: { model: "gpt" } }, messages: [SYSTEM, TASK] });
    expect(events.map((event) => event.type)).toEqual(["run_started", "prompt"]);
  });
});
