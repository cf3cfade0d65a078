import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { configurationOf } from "../../bin/cli/run-configuration.ts";
import { parseFlags } from "../../bin/cli/flags.ts";
import { RUN_FLAGS } from "../../bin/cli/run-flags.ts";
import { UsageError } from "../../bin/cli/usage-error.ts";
import { ConfigError, parseConfigArgument } from "../../core/config/config.ts";
import { loadConfiguration, reconfigure } from "../../core/config/configuration.ts";

// mini-SWE-agent's configuration files, read as molt reads them: both layouts, merged in order,
// `key=value` settings, flags over files, and one line for what molt takes differently.

const FIXTURES = fileURLToPath(new URL("../fixtures/mini-swe-agent/", import.meta.url));
const fixture = (name: string) => ({ kind: "file" as const, path: join(FIXTURES, name) });
const dir = mkdtempSync(join(tmpdir(), "molt-config-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** What `molt run ARGS` makes of its configuration, and the lines it says about it. */
function fromCommandLine(args: string[]) {
  const said: string[] = [];
  const configuration = configurationOf(parseFlags(RUN_FLAGS, args).values, { write: (text: string) => said.push(text) });
  return { configuration, said };
}

describe("a mini-SWE-agent 2 configuration file", () => {
  test("swebench.yaml: its templates, limits, environment and model settings", () => {
    const configuration = loadConfiguration([fixture("swebench.yaml")]);
    expect(configuration.agent.systemTemplate).toBe("You are a helpful assistant that can interact with a computer shell to solve programming tasks.\n");
    expect(configuration.agent.instanceTemplate).toContain("<pr_description>");
    expect(configuration.agent.observationTemplate).toContain("<returncode>{{output.returncode}}</returncode>");
    expect(configuration.agent.formatErrorTemplate).toContain("Tool call error:");
    expect(configuration).toMatchObject({ stepLimit: 250, costLimit: 3, commandTimeoutSec: 60, actionFormat: "tools", modelName: "anthropic/claude-sonnet-4-5-20250929" });
    expect(configuration.modelKwargs).toEqual({ drop_params: true, parallel_tool_calls: true });
    expect(configuration.env).toMatchObject({ PAGER: "cat", PIP_PROGRESS_BAR: "off", TQDM_DISABLE: "1", BASH_ENV: "/root/.bashrc" });
    expect(configuration.agent.confirm).toBe(false);
  });

  test("keys that mean something else in molt are each said once; none is unknown", () => {
    const configuration = loadConfiguration([fixture("swebench.yaml")]);
    expect(configuration.notes.map((note) => note.split(":")[0])).toEqual(["environment.cwd", "environment.interpreter", "environment.environment_class"]);
    expect(configuration.unknown).toEqual([]);
  });

  test("mini.yaml asks before every command; -c agent.mode=yolo turns that off", () => {
    expect(loadConfiguration([fixture("mini.yaml")]).agent.confirm).toBe(true);
    expect(loadConfiguration([fixture("mini.yaml"), parseConfigArgument("agent.mode=yolo")]).agent.confirm).toBe(false);
  });

  test("every fixture loads, with no unknown key", () => {
    for (const name of ["default.yaml", "mini.yaml", "mini_textbased.yaml", "swebench.yaml", "swebench_backticks.yaml"]) {
      const configuration = loadConfiguration([fixture(name)]);
      expect(configuration.unknown, name).toEqual([]);
      expect(configuration.agent.instanceTemplate, name).toContain("{{task}}");
    }
  });

  test("model_class litellm_textbased is molt's text format; --action-format wins over it", () => {
    const textbased = [fixture("mini_textbased.yaml"), parseConfigArgument("model.model_class=litellm_textbased")];
    expect(loadConfiguration(textbased).actionFormat).toBe("text");
    expect(loadConfiguration(textbased, "tools").actionFormat).toBe("tools");
  });
});

describe("a mini-SWE-agent 1 configuration file", () => {
  const oneX = file(
    "mini-1.yaml",
    `agent:
  system_template: "You are a helpful assistant."
  instance_template: "Task: {{task}}"
  action_observation_template: "<returncode>{{output.returncode}}</returncode>\\n<output>\\n{{output.output}}</output>"
  format_error_template: "Please always provide EXACTLY ONE action in triple backticks, found {{actions|length}} actions."
  timeout_template: "The last command <command>{{action['action']}}</command> timed out."
  action_regex: "\`\`\`bash\\\\s*\\\\n(.*?)\\\\n\`\`\`"
  step_limit: 10
  cost_limit: 1.5
environment:
  timeout: 45
`,
  );

  test("its templates under agent: are the observation, format-error and timeout templates, and its action_regex the text rule", () => {
    const configuration = loadConfiguration([{ kind: "file", path: oneX }], "text");
    expect(configuration.agent).toMatchObject({
      observationTemplate: "<returncode>{{output.returncode}}</returncode>\n<output>\n{{output.output}}</output>",
      formatErrorTemplate: "Please always provide EXACTLY ONE action in triple backticks, found {{actions|length}} actions.",
      timeoutTemplate: "The last command <command>{{action['action']}}</command> timed out.",
      actionRegex: "```bash\\s*\\n(.*?)\\n```",
    });
    expect(configuration).toMatchObject({ stepLimit: 10, costLimit: 1.5, commandTimeoutSec: 45 });
  });
});

describe("merging", () => {
  test("later files win key by key; key=value settings are JSON, else text", () => {
    const over = file("over.yaml", "agent:\n  step_limit: 7\nmodel:\n  model_kwargs:\n    temperature: 0.2\n");
    const configuration = loadConfiguration([fixture("swebench.yaml"), { kind: "file", path: over }, parseConfigArgument("agent.cost_limit=0.5"), parseConfigArgument("model.model_name=gpt-5")]);
    expect(configuration).toMatchObject({ stepLimit: 7, costLimit: 0.5, modelName: "gpt-5" });
    expect(configuration.modelKwargs).toEqual({ drop_params: true, parallel_tool_calls: true, temperature: 0.2 });
    expect(parseConfigArgument("agent.mode=yolo")).toEqual({ kind: "set", key: "agent.mode", value: "yolo" });
    expect(parseConfigArgument("environment.env={\"A\":\"1\"}")).toEqual({ kind: "set", key: "environment.env", value: { A: "1" } });
  });

  test("without a file, molt's own configuration; with one, the file's in its place", () => {
    expect(loadConfiguration([]).agent.systemTemplate).toContain("You are a software engineer");
    expect(loadConfiguration([parseConfigArgument("agent.step_limit=5")])).toMatchObject({ stepLimit: 5, commandTimeoutSec: 60 });
    // mini-SWE-agent's own default where a file says nothing: environment.timeout 30.
    expect(loadConfiguration([fixture("mini.yaml")]).commandTimeoutSec).toBe(30);
  });

  test("flags win over files: molt run -c swebench.yaml --step-limit 3 --timeout 9 --format-error-limit 0", () => {
    const { configuration } = fromCommandLine(["-c", join(FIXTURES, "swebench.yaml"), "--step-limit", "3", "--timeout", "9", "--format-error-limit", "0", "--confirm"]);
    expect(configuration).toMatchObject({ stepLimit: 3, commandTimeoutSec: 9 });
    expect(configuration.agent).toMatchObject({ formatErrorLimit: 0, confirm: true });
  });

  test("a recorded configuration takes -c settings over it, and a file in its place", () => {
    const { spec } = reconfigure(
      {
        repo: "/r",
        issue: "x",
        agent: loadConfiguration([]).agent,
        model: { name: "m", actionFormat: "tools", retries: 0, requestTimeoutSec: 60, price: { inPerMTok: 0, outPerMTok: 0 }, kwargs: {} },
        limits: { stepLimit: 250, costLimit: 3, timeLimitSec: 0, commandTimeoutSec: 60 },
        sandbox: { kind: "local", network: "all", allowDomains: [], memLimitBytes: 2 ** 30, passEnv: [], env: {} },
        evolution: { enabled: false, fresh: false },
      },
      [parseConfigArgument("agent.step_limit=9")],
    );
    expect(spec.limits.stepLimit).toBe(9);
    expect(spec.agent.systemTemplate).toContain("You are a software engineer");
  });
});

describe("what is wrong with a configuration is said in one line", () => {
  test("unknown keys are named in one warning line, never ignored silently", () => {
    const odd = file("odd.yaml", "agent:\n  system_template: s\n  instance_template: i\n  stpe_limit: 3\nmodel:\n  temprature: 1\nextras: {}\n");
    const { said } = fromCommandLine(["-c", odd]);
    expect(said).toEqual(["molt: config: unknown keys, ignored: agent.stpe_limit, model.temprature, extras\n"]);
  });

  test.each([
    ["not valid YAML", "agent: [unclosed\n", /not valid YAML/],
    ["not a mapping", "- a\n- b\n", /not a configuration/],
    ["no system template", "agent:\n  instance_template: i\n", /no agent\.system_template/],
    ["a limit that is not a number", "agent:\n  system_template: s\n  instance_template: i\n  step_limit: many\n", /agent\.step_limit: must be a whole number/],
    ["a mode molt does not have", "agent:\n  system_template: s\n  instance_template: i\n  mode: human\n", /agent\.mode: molt takes confirm .* or yolo/],
  ])("%s", (_label, text, message) => {
    const path = file("bad.yaml", text);
    expect(() => loadConfiguration([{ kind: "file", path }])).toThrow(ConfigError);
    expect(() => loadConfiguration([{ kind: "file", path }])).toThrow(message);
    expect(() => fromCommandLine(["-c", path])).toThrow(UsageError);
  });

  test("a missing file, and a key with an empty part", () => {
    expect(() => loadConfiguration([{ kind: "file", path: join(dir, "nope.yaml") }])).toThrow(/cannot read the config file .*nope\.yaml: no such file/);
    expect(() => parseConfigArgument("agent..step_limit=3")).toThrow(/dotted path/);
  });
});
