import { spawnSync } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import type { ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir } from "../helpers.ts";

// mini-SWE-agent's own configuration files, run unchanged with `molt run --no-evolve -c FILE`
// against scripted replies. With evolution off, molt must send what mini-SWE-agent 2.4 would send
// for the same replies and outputs, byte for byte: the oracle below builds those messages in
// Python, with Jinja2 and PyYAML, as mini-SWE-agent does (platform.uname() for the machine).

const FIXTURES = fileURLToPath(new URL("../fixtures/mini-swe-agent/", import.meta.url));
const hasJinja = spawnSync("python3", ["-c", "import jinja2, yaml"]).status === 0;
const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const fence = "```";
const serve = scriptedServers();
afterEach(cleanUp);

interface Sent {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/**
 * The messages mini-SWE-agent 2.4 sends after the steps of a record: the system and instance
 * templates, then each reply and what it is told, in mini-SWE-agent's own way (a reply without a
 * command is dropped and answered with the format-error template).
 */
function miniMessages(config: string, task: string, format: "tools" | "text", events: MoltEvent[], overrides: Record<string, unknown>): Sent[] {
  const script = String.raw`
import json, re, sys, platform, yaml
from jinja2 import StrictUndefined, Template
d = json.load(sys.stdin)
cfg = yaml.safe_load(open(d["config"], encoding="utf-8"))
for key, value in d["overrides"].items():
    *path, name = key.split(".")
    at = cfg
    for part in path: at = at.setdefault(part, {})
    at[name] = value
agent, model, env = cfg["agent"], cfg.get("model", {}), cfg.get("environment", {})
base = {**agent, **env, **platform.uname()._asdict(), **model, "n_model_calls": 0, "model_cost": 0, "elapsed_seconds": 0, "task": d["task"]}
render = lambda src, **kw: Template(src, undefined=StrictUndefined).render(**kw)
messages = [{"role": "system", "content": render(agent["system_template"], **base)}, {"role": "user", "content": render(agent["instance_template"], **base)}]
for step in d["steps"]:
    # mini-SWE-agent's parsing: every tool call, or exactly one ${"```"}mswea_bash_command block.
    if d["format"] == "tools":
        error = None if step["tool_calls"] else "No tool calls found in the response. Every response MUST include at least one tool call."
        kw = {"actions": [], "has_tool_calls": bool(step["tool_calls"])}
    else:
        actions = [a.strip() for a in re.findall(r"${"```"}mswea_bash_command\s*\n(.*?)\n${"```"}", step["content"], re.DOTALL)]
        error = None if len(actions) == 1 else f"Expected exactly 1 action, found {len(actions)}."
        kw = {"actions": actions}
    if error is not None:
        messages.append({"role": "user", "content": render(model["format_error_template"], error=error, finish_reason=step["finish_reason"], **kw)})
        continue
    messages.append({"role": "assistant", "content": step["content"], "tool_calls": step["tool_calls"] or None})
    for i, out in enumerate(step["outputs"]):
        content = render(model["observation_template"], output={"output": out["output"], "returncode": out["returncode"], "exception_info": ""}, **base)
        if d["format"] == "tools": messages.append({"content": content, "tool_call_id": step["tool_calls"][i]["id"], "role": "tool"})
        else: messages.append({"role": "user", "content": content})
json.dump(messages, sys.stdout)
`;
  const steps = events
    .filter((event): event is EventOf<"model_response"> => event.type === "model_response")
    .map((reply) => {
      const outputs = events.filter((event): event is EventOf<"command_finished"> => event.type === "command_finished" && event.step === reply.step);
      return {
        content: reply.content,
        tool_calls: reply.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
        finish_reason: reply.finishReason ?? null,
        // The whole output stands in for the one molt kept the ends of: the templates read only its ends and its length.
        outputs: outputs.map((output) => ({ output: output.output + "\u0000".repeat(output.elidedChars) + output.outputTail, returncode: output.exitCode })),
      };
    });
  const run = spawnSync("python3", ["-c", script], { input: JSON.stringify({ config, task, format, steps, overrides }), encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as Sent[];
}

/** What a message sent to the endpoint holds that mini-SWE-agent's would: role, content, tool calls and the call answered. */
function comparable(messages: Sent[]): Sent[] {
  return messages.map((message) => ({
    role: message.role,
    content: message.content,
    ...(message.tool_call_id !== undefined ? { tool_call_id: message.tool_call_id } : {}),
    ...(message.tool_calls ? { tool_calls: message.tool_calls.map((call) => ({ id: call.id, function: { name: call.function.name, arguments: call.function.arguments } })) } : {}),
  }));
}

const TOOLS_SCRIPT: ScriptReply[] = [
  { content: "Two looks at once.", toolCalls: [{ name: "bash", arguments: JSON.stringify({ command: "echo one" }) }, { name: "bash", arguments: JSON.stringify({ command: "printf 'two, no newline'" }) }] },
  "I am thinking without a command.",
  { content: "Cut off", finishReason: "length" },
  { content: "Long output.", toolCalls: [{ name: "bash", arguments: JSON.stringify({ command: "seq 1 5000" }) }] },
  { content: "Done.", toolCalls: [{ name: "bash", arguments: JSON.stringify({ command: SUBMIT }) }] },
];

const textScript = (tag: string): ScriptReply[] => [
  `THOUGHT: look.\n\n${fence}${tag}\necho one\n${fence}`,
  "I am thinking without a command.",
  `Two at once.\n\n${fence}${tag}\nls\n${fence}\n\n${fence}${tag}\npwd\n${fence}`,
  `THOUGHT: long.\n\n${fence}${tag}\nseq 1 5000\n${fence}`,
  `THOUGHT: done.\n\n${fence}${tag}\n${SUBMIT}\n${fence}`,
];

// The SWE-bench files point BASH_ENV at the benchmark image's /root/.bashrc; here the commands run on this machine.
const NO_BASH_ENV = "environment.env.BASH_ENV=";
const CASES: [string, "tools" | "text", ScriptReply[], string[]][] = [
  ["swebench.yaml", "tools", TOOLS_SCRIPT, [NO_BASH_ENV]],
  ["mini.yaml", "tools", TOOLS_SCRIPT, ["agent.mode=yolo"]],
  ["default.yaml", "text", textScript("mswea_bash_command"), []],
  ["mini_textbased.yaml", "text", textScript("mswea_bash_command"), ["agent.mode=yolo"]],
  ["swebench_backticks.yaml", "text", textScript("mswea_bash_command"), [NO_BASH_ENV]],
];

describe.skipIf(!hasJinja)("mini-SWE-agent's configuration files, run unchanged", () => {
  test.each(CASES)("%s (%s format): molt --no-evolve sends what mini-SWE-agent would, byte for byte", async (name, format, script, settings) => {
    const repo = await makeRepo({ "README.md": "# calc\n" });
    const server = await serve(script);
    const out = join(await tempDir(), "run");
    const task = "Make <calc> & friends add.\n\nDetails follow.";
    const args = ["run", "--repo", repo, "--issue", task, "--model", "m", "--base-url", server.url, "--no-evolve", "--action-format", format, "--output", out, "-c", join(FIXTURES, name), ...settings.flatMap((setting) => ["-c", setting])];
    const result = await molt(args);
    expect(result.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("molt: config:"))).toEqual([]);
    expect(result.exitCode).toBe(0);
    const events = (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
    const overrides = Object.fromEntries(settings.map((setting) => [setting.slice(0, setting.indexOf("=")), setting.slice(setting.indexOf("=") + 1)]));
    // The last request holds every message before the submission.
    const expected = miniMessages(join(FIXTURES, name), task, format, events.filter((event) => !("step" in event) || event.step < 5), overrides);
    expect(comparable(server.requests.at(-1)!.messages as Sent[])).toEqual(comparable(expected));
    // And the run went as mini-SWE-agent's would: format errors for the replies without one command, the rest run.
    expect(events.filter((event) => event.type === "format_error").map((event) => event.type === "format_error" && event.step)).toEqual(format === "tools" ? [2, 3] : [2, 3]);
    const traj = JSON.parse(await readFile(join(out, (await readdir(out)).find((file) => file.endsWith(".traj.json"))!), "utf8")) as { info: { exit_status: string } };
    expect(traj.info.exit_status).toBe("Submitted");
  });
});
