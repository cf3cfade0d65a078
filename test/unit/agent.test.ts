/**
 * The Agent loop, driven with fakes: `ScriptedModel` stands in for the HTTP model client
 * (core/model.ts OpenAIModel) and `FakeEnvironment` for the real shell (sandbox/local-executor.ts).
 * Integration tests cover those two against a scripted OpenAI-compatible server and real bash;
 * here only the loop's own decisions are under test.
 */
import { describe, expect, test } from "vitest";
import { SUBMIT_MARKER } from "../../core/actions.ts";
import { Agent, type AgentOptions } from "../../core/agent.ts";
import type { CommandResult, Environment } from "../../core/environment.ts";
import { EventBus } from "../../core/events/event-bus.ts";
import type { MoltEvent, ToolCall } from "../../core/events/events.ts";
import type { ActionFormat, Limits } from "../../core/run-spec.ts";
import type { Message } from "../../core/messages.ts";
import { loadConfiguration } from "../../core/config/configuration.ts";
import type { CompletionHooks, Model, ModelReply } from "../../core/model.ts";
import { ModelAborted, ModelError } from "../../core/endpoint/errors.ts";
import { Prompts } from "../../core/prompts.ts";

const fence = "```";
const SUBMIT = `echo ${SUBMIT_MARKER}`;

type Step = Partial<ModelReply> | ((messages: readonly Message[], hooks: CompletionHooks) => Partial<ModelReply> | Promise<Partial<ModelReply>>);

/** Answers with scripted replies, one per call; the last one repeats when the script runs out. */
class ScriptedModel implements Model {
  readonly name = "scripted";
  readonly seen: Message[][] = [];
  readonly #steps: Step[];

  constructor(steps: Step[]) {
    this.#steps = steps;
  }

  get calls(): number {
    return this.seen.length;
  }

  async complete(messages: readonly Message[], hooks: CompletionHooks): Promise<ModelReply> {
    this.seen.push(structuredClone([...messages]));
    const step = this.#steps[Math.min(this.seen.length - 1, this.#steps.length - 1)]!;
    const partial = typeof step === "function" ? await step(messages, hooks) : step;
    return { content: "", toolCalls: [], usage: { promptTokens: 10, completionTokens: 5 }, cost: 0, ms: 1, ...partial };
  }
}

/** Runs nothing: echoes the submission marker for the submit command, else a canned line per command. */
class FakeEnvironment implements Environment {
  readonly commands: string[] = [];
  readonly #handler: ((command: string, signal: AbortSignal | undefined) => Partial<CommandResult> | Promise<Partial<CommandResult>>) | undefined;

  constructor(handler?: (command: string, signal: AbortSignal | undefined) => Partial<CommandResult> | Promise<Partial<CommandResult>>) {
    this.#handler = handler;
  }

  async execute(command: string, options: { signal?: AbortSignal }): Promise<CommandResult> {
    this.commands.push(command);
    const base: CommandResult = {
      exitCode: 0,
      output: command === SUBMIT ? `${SUBMIT_MARKER}\n` : `output of ${command}\n`,
      outputTail: "",
      elidedChars: 0,
      timedOut: false,
      ms: 1,
    };
    return { ...base, ...(await this.#handler?.(command, options.signal)) };
  }
}

function textReply(command: string): Partial<ModelReply> {
  return { content: `I will run this.\n\n${fence}bash\n${command}\n${fence}\n` };
}

function toolReply(command: string, id: string): Partial<ModelReply> {
  return { content: "Thinking.", toolCalls: [{ id, name: "bash", arguments: JSON.stringify({ command }) }] };
}

const noBlock: Partial<ModelReply> = { content: "I am not sure what to do." };

const limits: Limits = { stepLimit: 50, costLimit: 0, timeLimitSec: 0, commandTimeoutSec: 60 };

/** molt's own configuration: its templates and rules, as a run without -c has them. */
const MOLT_AGENT = loadConfiguration([]).agent;

function setup(format: ActionFormat, model: ScriptedModel, environment = new FakeEnvironment(), extra: Partial<AgentOptions> = {}) {
  const bus = new EventBus();
  const events: MoltEvent[] = [];
  bus.subscribe({ onEvent: (event) => events.push(event) });
  const prompts = new Prompts(MOLT_AGENT, format, {});
  const agent = new Agent({ model, environment, bus, actionFormat: format, limits, agent: MOLT_AGENT, prompts, ...extra });
  return { agent, bus, events, environment };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Agent: how a run ends", () => {
  test("running the submit command ends the run with Submitted", async () => {
    const model = new ScriptedModel([textReply("ls"), textReply(SUBMIT)]);
    const { agent, environment } = setup("text", model);
    const outcome = await agent.run("Fix the bug.");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(environment.commands).toEqual(["ls", SUBMIT]);
    expect(model.calls).toBe(2);
    expect(outcome.totals.steps).toBe(2);
    expect(outcome.totals.apiCalls).toBe(2);
    expect(outcome.totals.promptTokens).toBe(20);
    expect(outcome.totals.completionTokens).toBe(10);
  });

  test("the submit command failing is not a submission", async () => {
    const model = new ScriptedModel([textReply(SUBMIT), textReply(SUBMIT)]);
    let first = true;
    const environment = new FakeEnvironment(() => {
      if (!first) return {};
      first = false;
      return { exitCode: 1 };
    });
    const outcome = await setup("text", model, environment).agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(model.calls).toBe(2);
  });

  test("the issue reaches the model in the first user message", async () => {
    const model = new ScriptedModel([textReply(SUBMIT)]);
    await setup("text", model).agent.run("The parser rejects 1h30m.");
    expect(model.seen[0]!.some((message) => message.role === "user" && message.content.includes("The parser rejects 1h30m."))).toBe(true);
  });

  test("the step limit ends the run with LimitsExceeded after exactly N model calls", async () => {
    const model = new ScriptedModel([textReply("ls")]);
    const { agent, environment } = setup("text", model, new FakeEnvironment(), { limits: { ...limits, stepLimit: 3 } });
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("LimitsExceeded");
    expect(outcome.reason).toMatch(/step limit/);
    expect(model.calls).toBe(3);
    expect(environment.commands).toHaveLength(3);
  });

  test("format errors count as steps toward the step limit", async () => {
    const model = new ScriptedModel([noBlock, textReply("ls")]);
    const outcome = await setup("text", model, new FakeEnvironment(), { limits: { ...limits, stepLimit: 2 } }).agent.run("issue");
    expect(outcome.exitStatus).toBe("LimitsExceeded");
    expect(model.calls).toBe(2);
  });

  test("the cost limit ends the run with LimitsExceeded once the spent cost reaches it", async () => {
    const model = new ScriptedModel([{ ...textReply("ls"), cost: 0.4 }]);
    const outcome = await setup("text", model, new FakeEnvironment(), { limits: { ...limits, costLimit: 1 } }).agent.run("issue");
    expect(outcome.exitStatus).toBe("LimitsExceeded");
    expect(outcome.reason).toMatch(/cost limit/);
    // 0.4 and 0.8 are under $1, so a third call is made; 1.2 is not, so no fourth.
    expect(model.calls).toBe(3);
    expect(outcome.totals.cost).toBeCloseTo(1.2, 10);
  });

  test("a limit of 0 means no limit", async () => {
    const model = new ScriptedModel([...Array.from({ length: 5 }, () => ({ ...textReply("ls"), cost: 10 })), textReply(SUBMIT)]);
    const outcome = await setup("text", model, new FakeEnvironment(), { limits: { ...limits, stepLimit: 0, costLimit: 0 } }).agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(model.calls).toBe(6);
  });

  test("the time limit ends the run with TimeExceeded", async () => {
    const model = new ScriptedModel([textReply("sleep 0.04")]);
    const environment = new FakeEnvironment(async () => {
      await sleep(40);
      return {};
    });
    const outcome = await setup("text", model, environment, { limits: { ...limits, stepLimit: 1000, timeLimitSec: 0.1 } }).agent.run("issue");
    expect(outcome.exitStatus).toBe("TimeExceeded");
    expect(outcome.reason).toMatch(/time limit/);
    // Each step takes at least 40 ms, so a 0.1 s limit stops the run long before the step limit.
    expect(model.calls).toBeGreaterThanOrEqual(1);
    expect(model.calls).toBeLessThan(20);
    expect(outcome.totals.elapsedMs).toBeGreaterThanOrEqual(100);
  });

  test("three format errors in a row end the run with RepeatedFormatError, as mini-SWE-agent records it", async () => {
    const model = new ScriptedModel([noBlock]);
    const { agent, environment, events } = setup("text", model);
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("RepeatedFormatError");
    expect(model.calls).toBe(3);
    expect(environment.commands).toEqual([]);
    expect(events.filter((event) => event.type === "format_error").map((event) => event.type === "format_error" && event.inARow)).toEqual([1, 2, 3]);
  });

  test("two format errors followed by a good reply reset the count", async () => {
    const model = new ScriptedModel([noBlock, noBlock, textReply("ls"), noBlock, noBlock, textReply(SUBMIT)]);
    const { agent, environment, events } = setup("text", model);
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(model.calls).toBe(6);
    expect(environment.commands).toEqual(["ls", SUBMIT]);
    expect(events.flatMap((event) => (event.type === "format_error" ? [event.inARow] : []))).toEqual([1, 2, 1, 2]);
  });

  test("a reply without a command is not kept: the model is told why instead, so it can correct itself", async () => {
    const model = new ScriptedModel([noBlock, textReply(SUBMIT)]);
    await setup("text", model).agent.run("issue");
    const second = model.seen[1]!;
    expect(second.some((message) => message.role === "assistant")).toBe(false);
    expect(second.map((message) => message.role)).toEqual(["system", "user", "user"]);
    expect(second.at(-1)!.content).toBe("Your reply could not be run: Expected exactly 1 action, found 0.\nEnd your reply with exactly one ```bash block holding one command.\nIf you are done, submit with `echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT`.");
  });

  test("with a format-error limit of 0 a long run of replies without a command goes on, and the agent can still submit", async () => {
    const model = new ScriptedModel([noBlock, noBlock, noBlock, noBlock, noBlock, textReply("ls"), textReply(SUBMIT)]);
    const { agent, environment, events } = setup("text", model, new FakeEnvironment(), { agent: { ...MOLT_AGENT, formatErrorLimit: 0 } });
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(environment.commands).toEqual(["ls", SUBMIT]);
    expect(events.flatMap((event) => (event.type === "format_error" ? [event.inARow] : []))).toEqual([1, 2, 3, 4, 5]);
  });

  test("a reply cut off at the token limit is told so: the format-error template gets finish_reason", async () => {
    const model = new ScriptedModel([{ ...noBlock, finishReason: "length" }, textReply(SUBMIT)]);
    const { agent, events } = setup("text", model);
    await agent.run("issue");
    expect(model.seen[1]!.at(-1)!.content).toMatch(/^Your reply was cut off at the output token limit/);
    expect(events.find((event) => event.type === "model_response")).toMatchObject({ finishReason: "length" });
  });

  test("an aborted signal ends the run with Interrupted before calling the model", async () => {
    const controller = new AbortController();
    controller.abort();
    const model = new ScriptedModel([textReply("ls")]);
    const outcome = await setup("text", model, new FakeEnvironment(), { signal: controller.signal }).agent.run("issue");
    expect(outcome.exitStatus).toBe("Interrupted");
    expect(model.calls).toBe(0);
  });

  test("an abort while the model is answering ends the run with Interrupted", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel([
      textReply("ls"),
      () => {
        controller.abort();
        throw new ModelAborted("interrupted");
      },
    ]);
    const { agent, environment } = setup("text", model, new FakeEnvironment(), { signal: controller.signal });
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("Interrupted");
    expect(environment.commands).toEqual(["ls"]);
  });

  test("an abort while a command runs ends the run with Interrupted, without another model call", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel([textReply("sleep 100")]);
    const environment = new FakeEnvironment((_command, signal) => {
      expect(signal).toBe(controller.signal);
      controller.abort();
      return { exitCode: 130 };
    });
    const outcome = await setup("text", model, environment, { signal: controller.signal }).agent.run("issue");
    expect(outcome.exitStatus).toBe("Interrupted");
    expect(model.calls).toBe(1);
  });

  test("a ModelError ends the run with ModelError and its message", async () => {
    const model = new ScriptedModel([
      textReply("ls"),
      () => {
        throw new ModelError("the model endpoint refused the API key (HTTP 401)");
      },
    ]);
    const outcome = await setup("text", model).agent.run("issue");
    expect(outcome.exitStatus).toBe("ModelError");
    expect(outcome.reason).toBe("the model endpoint refused the API key (HTTP 401)");
    expect(outcome.totals.apiCalls).toBe(1);
  });

  test("an environment that throws ends the run with EnvironmentError and its message", async () => {
    const model = new ScriptedModel([textReply("ls")]);
    const environment = new FakeEnvironment(() => {
      throw new Error("the workspace disappeared");
    });
    const outcome = await setup("text", model, environment).agent.run("issue");
    expect(outcome.exitStatus).toBe("EnvironmentError");
    expect(outcome.reason).toContain("the workspace disappeared");
  });
});

describe("Agent: the messages it sends back", () => {
  test("in text format an observation goes back as a user message with the exit code and output", async () => {
    const model = new ScriptedModel([textReply("cat missing.txt"), textReply(SUBMIT)]);
    const environment = new FakeEnvironment((command) => (command === SUBMIT ? {} : { exitCode: 1, output: "cat: missing.txt: No such file\n" }));
    await setup("text", model, environment).agent.run("issue");
    const observation = model.seen[1]!.at(-1)!;
    expect(observation.role).toBe("user");
    expect(observation.content).toContain("<returncode>1</returncode>");
    expect(observation.content).toContain("cat: missing.txt: No such file");
    expect(model.seen[1]!.at(-2)).toEqual({ role: "assistant", content: textReply("cat missing.txt").content });
  });

  test("in tools format an observation goes back as a tool message answering the call's id", async () => {
    const model = new ScriptedModel([toolReply("ls", "call_abc"), toolReply(SUBMIT, "call_def")]);
    await setup("tools", model).agent.run("issue");
    const history = model.seen[1]!;
    expect(history.at(-2)).toEqual({
      role: "assistant",
      content: "Thinking.",
      tool_calls: [{ id: "call_abc", type: "function", function: { name: "bash", arguments: JSON.stringify({ command: "ls" }) } }],
    });
    const observation = history.at(-1)!;
    expect(observation).toMatchObject({ role: "tool", tool_call_id: "call_abc" });
    expect(observation.content).toContain("<returncode>0</returncode>");
    expect(observation.content).toContain("output of ls");
  });

  test("in tools format a reply with three tool calls runs them in order, each answered by its own tool message", async () => {
    const calls: ToolCall[] = [
      { id: "call_1", name: "bash", arguments: JSON.stringify({ command: "ls" }) },
      { id: "call_2", name: "bash", arguments: JSON.stringify({ command: "pwd" }) },
      { id: "call_3", name: "bash", arguments: JSON.stringify({ command: "id" }) },
    ];
    const model = new ScriptedModel([{ content: "", toolCalls: calls }, toolReply(SUBMIT, "call_4")]);
    const { agent, environment, events } = setup("tools", model);
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(environment.commands).toEqual(["ls", "pwd", "id", SUBMIT]);
    const history = model.seen[1]!;
    const assistantAt = history.findLastIndex((message) => message.role === "assistant");
    const answers = history.slice(assistantAt + 1);
    expect(answers.map((message) => (message.role === "tool" ? [message.tool_call_id, message.content.includes(`output of ${["ls", "pwd", "id"][answers.indexOf(message)]}`)] : undefined))).toEqual([
      ["call_1", true],
      ["call_2", true],
      ["call_3", true],
    ]);
    expect(events.filter((event) => event.type === "command_started").map((event) => event.type === "command_started" && [event.step, event.call, event.command])).toEqual([
      [1, 0, "ls"],
      [1, 1, "pwd"],
      [1, 2, "id"],
      [2, 0, SUBMIT],
    ]);
  });

  test("a submission among several calls ends the run there: the calls after it are answered as not run", async () => {
    const calls: ToolCall[] = [
      { id: "a", name: "bash", arguments: JSON.stringify({ command: "ls" }) },
      { id: "b", name: "bash", arguments: JSON.stringify({ command: SUBMIT }) },
      { id: "c", name: "bash", arguments: JSON.stringify({ command: "rm -rf src" }) },
    ];
    const model = new ScriptedModel([{ toolCalls: calls }]);
    const { agent, environment } = setup("tools", model);
    const outcome = await agent.run("issue");
    expect(outcome.exitStatus).toBe("Submitted");
    expect(environment.commands).toEqual(["ls", SUBMIT]);
    const answers = outcome.messages.filter((message) => message.role === "tool");
    expect(answers.map((message) => message.role === "tool" && message.tool_call_id)).toEqual(["a", "b", "c"]);
    expect(answers[2]!.content).toContain("action was not executed");
  });

  test("one bad call rejects the whole reply: nothing runs, and the reply is not kept", async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ id: "x1", name: "bash", arguments: JSON.stringify({ command: "ls" }) }, { id: "x2", name: "python", arguments: "{}" }] },
      toolReply("pwd", "x3"),
      { toolCalls: [{ id: "x4", name: "bash", arguments: "{not json" }] },
      toolReply(SUBMIT, "x5"),
    ]);
    const { agent, environment } = setup("tools", model);
    await agent.run("issue");
    expect(environment.commands).toEqual(["pwd", SUBMIT]);
    const history = model.seen[3]!;
    const asked = history.flatMap((message) => (message.role === "assistant" ? (message.tool_calls ?? []).map((call) => call.id) : []));
    const answered = history.flatMap((message) => (message.role === "tool" ? [message.tool_call_id] : []));
    expect(asked).toEqual(["x3"]);
    expect(answered).toEqual(["x3"]);
    expect(history.filter((message) => message.role === "user").map((message) => message.content.split("\n", 1)[0])).toEqual([
      "<issue>",
      "Your reply could not be run: Unknown tool 'python'.Missing 'command' argument in bash tool call.",
      expect.stringMatching(/^Your reply could not be run: Error parsing tool call arguments: /),
    ]);
  });

  test("in tools format a reply with no tool call is answered with a user message", async () => {
    const model = new ScriptedModel([{ content: "Done, I think." }, toolReply(SUBMIT, "c")]);
    await setup("tools", model).agent.run("issue");
    expect(model.seen[1]!.at(-1)!.role).toBe("user");
  });

  test("the history is linear: each request holds the previous one plus the reply and its answer (a format error: the answer alone)", async () => {
    const model = new ScriptedModel([textReply("ls"), noBlock, textReply("pwd"), textReply(SUBMIT)]);
    const outcome = await setup("text", model).agent.run("issue");
    const grew = [2, 1, 2];
    for (let i = 1; i < model.seen.length; i++) {
      expect(model.seen[i]!.slice(0, model.seen[i - 1]!.length)).toEqual(model.seen[i - 1]);
      expect(model.seen[i]!.length).toBe(model.seen[i - 1]!.length + grew[i - 1]!);
    }
    expect(outcome.messages.slice(0, model.seen.at(-1)!.length)).toEqual(model.seen.at(-1));
  });
});

describe("Agent: events", () => {
  test("each step emits model_request, model_response, command_started, command_finished in that order", async () => {
    const model = new ScriptedModel([
      (_messages, hooks) => {
        hooks.onDelta?.("I will ");
        hooks.onDelta?.("look.");
        return textReply("ls");
      },
      textReply("cat README.md"),
      textReply(SUBMIT),
    ]);
    const { agent, events } = setup("text", model);
    await agent.run("issue");
    const recorded = events.filter((event) => event.type !== "model_delta" && event.type !== "prompt");
    const perStep = ["model_request", "model_response", "command_started", "command_finished"];
    expect(recorded.map((event) => event.type)).toEqual([...perStep, ...perStep, ...perStep]);
    expect(recorded.map((event) => ("step" in event ? event.step : 0))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    // Streamed text arrives between the request and the response of its step.
    const types = events.filter((event) => event.type !== "prompt").map((event) => event.type);
    expect(types.slice(0, 4)).toEqual(["model_request", "model_delta", "model_delta", "model_response"]);
  });

  test("the events carry what happened: the command, the exit code, the output, usage and cost", async () => {
    const model = new ScriptedModel([{ ...textReply("false"), usage: { promptTokens: 100, completionTokens: 20 }, cost: 0.25 }, textReply(SUBMIT)]);
    const environment = new FakeEnvironment((command) => (command === "false" ? { exitCode: 1, output: "" } : {}));
    const { agent, events } = setup("text", model, environment);
    await agent.run("issue");
    expect(events.find((event) => event.type === "model_response")).toMatchObject({ step: 1, usage: { promptTokens: 100, completionTokens: 20 }, cost: 0.25 });
    expect(events.find((event) => event.type === "command_started")).toMatchObject({ step: 1, command: "false" });
    expect(events.find((event) => event.type === "command_finished")).toMatchObject({ step: 1, exitCode: 1, output: "", timedOut: false });
  });

  test("a format error step emits model_request, model_response, format_error and no command events", async () => {
    const model = new ScriptedModel([noBlock, textReply(SUBMIT)]);
    const { agent, events } = setup("text", model);
    await agent.run("issue");
    expect(events.filter((event) => "step" in event && event.step === 1).map((event) => event.type)).toEqual(["model_request", "model_response", "format_error"]);
  });
});
