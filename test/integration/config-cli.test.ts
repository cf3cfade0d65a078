import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import type { ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir } from "../helpers.ts";

// -c/--config through the real command line, and replies with several tool calls read back by
// replay and re-run by replay --exec.

const FIXTURES = fileURLToPath(new URL("../fixtures/mini-swe-agent/", import.meta.url));
const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const serve = scriptedServers();
afterEach(cleanUp);

async function events(dir: string): Promise<MoltEvent[]> {
  return (await readFile(join(dir, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

const call = (command: string) => ({ name: "bash", arguments: JSON.stringify({ command }) });

describe("molt config show", () => {
  test("prints molt's own configuration, and a file's with -c settings and flags over it", async () => {
    const own = await molt(["config", "show"]);
    expect(own.exitCode).toBe(0);
    const tree = parseYaml(own.stdout) as { agent: Record<string, unknown>; environment: Record<string, unknown> };
    expect(tree.agent).toMatchObject({ step_limit: 250, cost_limit: 3, max_consecutive_format_errors: 3, mode: "yolo" });
    expect(tree.environment.timeout).toBe(60);

    const theirs = await molt(["config", "show", "-c", join(FIXTURES, "swebench.yaml"), "-c", "agent.step_limit=12", "--format-error-limit", "0"]);
    expect(theirs.exitCode).toBe(0);
    const merged = parseYaml(theirs.stdout) as { agent: Record<string, unknown>; model: Record<string, unknown> };
    expect(merged.agent).toMatchObject({ step_limit: 12, max_consecutive_format_errors: 0 });
    expect(merged.model).toMatchObject({ model_name: "anthropic/claude-sonnet-4-5-20250929", model_kwargs: { drop_params: true, parallel_tool_calls: true } });
    expect(String(merged.agent.instance_template)).toContain("<pr_description>");
    // What molt takes differently is said once, on stderr.
    expect(theirs.stderr.split("\n").filter(Boolean)).toEqual([
      "molt: config: environment.cwd: commands run in molt's workspace (a private checkout of the repository)",
      "molt: config: environment.interpreter: commands run with bash in molt's sandbox",
      "molt: config: environment.environment_class: commands run in molt's workspace and sandbox",
    ]);
  });

  test("-c default names molt's own configuration, for a file that only adds to it", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "model.yaml"), "model:\n  model_kwargs:\n    temperature: 0.3\n");
    const own = parseYaml((await molt(["config", "show"])).stdout) as { agent: Record<string, unknown> };
    const result = await molt(["config", "show", "-c", "default", "-c", join(dir, "model.yaml")]);
    expect(result.exitCode).toBe(0);
    const tree = parseYaml(result.stdout) as { agent: Record<string, unknown>; model: Record<string, unknown> };
    expect(tree.agent).toEqual(own.agent);
    expect(tree.model.model_kwargs).toEqual({ temperature: 0.3 });
  });
});

describe("a configuration that cannot be used is one line and exit 2, before anything is made", () => {
  test.each([
    ["not YAML", "agent: [unclosed\n", /not valid YAML/],
    ["an unknown template variable", "agent:\n  system_template: hi\n  instance_template: 'Fix: {{ tsak }}'\n", /agent\.instance_template: 'tsak' is undefined/],
    ["a template that does not parse", "agent:\n  system_template: '{% if %}'\n  instance_template: '{{task}}'\n", /agent\.system_template: /],
    ["only model settings, in place of molt's own", "model:\n  model_kwargs:\n    temperature: 0\n", /^molt: the configuration has no agent\.system_template; a file given with -c replaces molt's own configuration: name it first \(-c default -c yours\.yaml\)/],
  ])("%s", async (_label, text, message) => {
    const repo = await makeRepo({ "a.txt": "a\n" });
    const dir = await tempDir();
    const config = join(dir, "bad.yaml");
    await writeFile(config, text);
    const out = join(dir, "run");
    const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "script:/nonexistent.json", "-c", config, "--output", out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  test("mode: confirm needs a terminal to ask on, as --confirm does", async () => {
    const repo = await makeRepo({ "a.txt": "a\n" });
    const server = await serve([{ command: SUBMIT }]);
    const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "-c", join(FIXTURES, "mini.yaml")]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe("molt: --confirm needs a terminal to ask on (standard input and output are not one)");
    expect(server.served()).toBe(0);
  });
});

describe("replies with several tool calls", () => {
  const SCRIPT: ScriptReply[] = [
    { content: "Two looks.", toolCalls: [call("echo first"), call("echo second")] },
    { content: "Fix, check and submit.", toolCalls: [call("echo fixed > fix.txt"), call(SUBMIT), call("echo never-run > never.txt")] },
  ];

  test("each call runs in order, its own command in the record; the submission ends the reply; replay prints them all and --exec reproduces them", async () => {
    const repo = await makeRepo({ "a.txt": "a\n" });
    const server = await serve(SCRIPT);
    const out = join(await tempDir(), "run");
    const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", out]);
    expect(result.exitCode).toBe(0);
    const recorded = await events(out);
    const started = recorded.filter((event): event is EventOf<"command_started"> => event.type === "command_started");
    expect(started.map((event) => [event.step, event.call, event.command])).toEqual([
      [1, 0, "echo first"],
      [1, 1, "echo second"],
      [2, 0, "echo fixed > fix.txt"],
      [2, 1, SUBMIT],
    ]);
    // The second request answered both calls of the first reply, each by its id.
    const answers = server.requests[1]!.messages.filter((message) => message.role === "tool");
    expect(answers.map((message) => [message.tool_call_id, String(message.content).includes(message.tool_call_id === "call_1" ? "first" : "second")])).toEqual([
      ["call_1", true],
      ["call_2", true],
    ]);
    const patch = await readFile(join(out, "patch.diff"), "utf8");
    expect(patch).toContain("fix.txt");
    expect(patch).not.toContain("never.txt");

    const printed = await molt(["replay", out, "--print"]);
    expect(printed.exitCode).toBe(0);
    for (const command of ["echo first", "echo second", "echo fixed > fix.txt", SUBMIT]) expect(printed.stdout).toContain(`$ ${command}`);
    expect(printed.stdout.indexOf("$ echo first")).toBeLessThan(printed.stdout.indexOf("$ echo second"));

    const rerun = await molt(["replay", out, "--exec"]);
    expect(rerun.stdout).toContain("patch  identical");
    expect(rerun.stdout).toContain("2 of 2 observations match");
    expect(rerun.exitCode).toBe(0);

    // A different configuration for the re-run: its step limit ends it before the fix.
    const limited = await molt(["replay", out, "--exec", "-c", "agent.step_limit=1"]);
    expect(limited.exitCode).toBe(1);
    expect(limited.stdout).toContain("re-run LimitsExceeded after 1 steps");
  });
});
