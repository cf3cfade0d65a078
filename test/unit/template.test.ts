import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { readConfigFile } from "../../core/config/config.ts";
import { compileTemplate, TemplateError, type TemplateShape } from "../../core/config/template.ts";

// molt renders mini-SWE-agent's Jinja2 templates on @huggingface/jinja. Python's Jinja2 (with
// StrictUndefined, as mini-SWE-agent renders them) is the oracle: every template of the real
// configuration files in shared/fixtures is rendered by both, with outputs that reach every branch.

const FIXTURES = fileURLToPath(new URL("../fixtures/mini-swe-agent/", import.meta.url));
const hasJinja = spawnSync("python3", ["-c", "import jinja2"]).status === 0;

interface Case {
  src: string;
  vars: Record<string, unknown>;
  shape?: TemplateShape;
}

/** Python's renders of the cases, or the error each raised. */
function pythonRenders(cases: Case[]): ({ ok: string } | { err: string })[] {
  const script = `
import json, sys, jinja2
env = jinja2.Environment(undefined=jinja2.StrictUndefined)
out = []
for case in json.load(sys.stdin):
    try: out.append({"ok": env.from_string(case["src"]).render(**case["vars"])})
    except Exception as e: out.append({"err": type(e).__name__})
json.dump(out, sys.stdout)
`;
  const run = spawnSync("python3", ["-c", script], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as ({ ok: string } | { err: string })[];
}

function moltRender(item: Case): { ok: string } | { err: string } {
  try {
    const shape = item.shape ?? Object.fromEntries(Object.keys(item.vars).map((name) => [name, "value" as const]));
    return { ok: compileTemplate(item.src, shape).render(item.vars) };
  } catch (error) {
    return { err: error instanceof TemplateError ? "UndefinedError" : String(error) };
  }
}

const OUTPUTS = [
  "",
  "hello\nworld\n",
  "no newline at the end",
  "x".repeat(9_999),
  "x".repeat(10_000),
  "line\n".repeat(3_000),
  `a<b>&'c"é中😀\t\\`.repeat(700),
  "😀".repeat(6_000),
];
const OUTPUT_SHAPE: TemplateShape = { output: { returncode: "value", output: "value", exception_info: "value" } };
const PROBLEM_SHAPE: TemplateShape = { error: "value", actions: "value", has_tool_calls: "value", finish_reason: "value" };

function fixtureCases(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(FIXTURES).filter((name) => name.endsWith(".yaml")).sort()) {
    const config = readConfigFile(join(FIXTURES, file));
    const agent = config.agent as Record<string, string>;
    const model = config.model as Record<string, string>;
    for (const output of OUTPUTS) {
      for (const [returncode, exception] of [[0, ""], [-1, "An error occurred while executing the command: Command 'sleep 9' timed out after 5 seconds"]] as const) {
        cases.push({ src: model.observation_template!, vars: { output: { returncode, output, exception_info: exception } }, shape: OUTPUT_SHAPE });
      }
    }
    for (const finishReason of [undefined, "length", "tool_calls", "stop", null]) {
      for (const hasToolCalls of [true, false]) {
        const vars: Record<string, unknown> = { error: "No tool calls found in the response.", actions: hasToolCalls ? [] : ["ls", "pwd"], has_tool_calls: hasToolCalls };
        if (finishReason !== undefined) vars.finish_reason = finishReason;
        cases.push({ src: model.format_error_template!, vars, shape: PROBLEM_SHAPE });
      }
    }
    for (const system of ["Linux", "Darwin"]) {
      const vars = { task: "Fix <it> & more\n\n  indented\n", system, release: "6.1.0", version: "#1 SMP", machine: "x86_64" };
      cases.push({ src: agent.instance_template!, vars }, { src: agent.system_template!, vars });
    }
  }
  return cases;
}

describe.skipIf(!hasJinja)("templates render as Python's Jinja2 renders them", () => {
  test("every template of mini-SWE-agent's own configuration files, on outputs that reach every branch", () => {
    const cases = fixtureCases();
    expect(cases.length).toBeGreaterThan(100);
    const expected = pythonRenders(cases);
    const differing = cases.flatMap((item, index) => (JSON.stringify(moltRender(item)) === JSON.stringify(expected[index]) ? [] : [index]));
    expect(differing).toEqual([]);
  });

  test("the language beyond them: printing values, tojson, slices, loops, set, tests and whitespace control", () => {
    const cases: Case[] = [
      { src: "{{ x }} {{ y }} {{ z }} {{ n }} {{ l }} {{ d }}", vars: { x: true, y: false, z: null, n: 3, l: [1, "a", null], d: { b: 1, a: "x" } } },
      { src: "{{ d | tojson }} {{ l | tojson }} {{ s | tojson }}", vars: { d: { b: 1, a: "<x>" }, l: [1, 2.5, null, true], s: "é'&\u2028" } },
      { src: "{% set a = s[2:-2] %}[{{ a }}] {{ s[::-1] }} {{ s[::2] }} {{ s[-3:] }} {{ s | length }}", vars: { s: "ab😀cd😀ef" } },
      { src: "{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}", vars: {} },
      { src: "  {%- if a %}\n  yes\n  {% else %}no{% endif -%}  \n end\n", vars: { a: 1 } },
      { src: "{% if missing is defined %}d{% else %}u{% endif %}{% if missing is not defined %}!{% endif %}", vars: {} },
      { src: "{{ a ~ b }} {{ 'x' in s }} {{ s | upper }} {{ s | trim }}|{{ x if x else 'none' }}", vars: { a: 1, b: "2", s: " hey ", x: "" } },
      { src: "{{ missing }}", vars: {} },
    ];
    const expected = pythonRenders(cases);
    expect(cases.map(moltRender)).toEqual(expected);
  });
});

describe("StrictUndefined, before anything renders", () => {
  test("an unknown variable is an error that names it, found when the template is compiled", () => {
    expect(() => compileTemplate("Hello {{ taks }}", { task: "value" }, "agent.instance_template")).toThrow(new TemplateError("agent.instance_template: 'taks' is undefined"));
  });

  test("an unknown field of a known object is an error that names both", () => {
    expect(() => compileTemplate("{{ output.stdout }}", OUTPUT_SHAPE, "observation_template")).toThrow(/'output' has no attribute 'stdout'/);
  });

  test("names a template sets itself, loop variables and `is defined` probes are not errors", () => {
    expect(compileTemplate("{% set n = 2 %}{% for i in [1] %}{{ n + i }}{% endfor %}{% if later is defined %}{{ later }}{% endif %}", {}).render({})).toBe("3");
  });

  test("a syntax error is one line naming the template", () => {
    expect(() => compileTemplate("{% if x %}never closed", { x: "value" }, "agent.system_template")).toThrow(/^agent\.system_template: /);
  });

  test("an elided output measures and slices as the whole of it", () => {
    const template = compileTemplate("{{ o | length }}|{{ o[:3] }}|{{ o[-3:] }}|{{ o[2:8] }}", { o: "value" });
    expect(template.render({ o: "abcdefXYZ" }, [{ text: "abcdefXYZ", head: 6, elided: 100 }])).toBe("109|abc|XYZ|cdef");
  });
});
