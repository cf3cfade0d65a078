import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { cleanUp, gitOut, makeRepo, molt, tempDir } from "../helpers.ts";
import { startScriptedServer, type ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { closeTerminals, openTerminal, stopTmux } from "../terminal.ts";
import { COUNT_WORDS, COUNT_WORDS_TYPE_ERROR, writeTool } from "../tool-sources.ts";

// molt replay on a run recorded here with the scripted model: a tool rejected, fixed, loaded and
// called; files changed at steps 3 and 4 and not at 5; then submitted. The run's workspace is gone
// by the time replay reads it (molt removes it at the end), so every diff comes from the snapshots.

const SCRIPT = [
  { thought: "A tool to count words.", command: writeTool("count_words", COUNT_WORDS_TYPE_ERROR) },
  { thought: "Fix the type error.", command: writeTool("count_words", COUNT_WORDS) },
  { thought: "Count, then fix the operator.", command: "count_words --path notes.txt && sed -i 's/a - b/a + b/' calc.js" },
  { thought: "Add a changelog.", command: "echo 'fixed add' > CHANGES.md" },
  { thought: "Look at the result.", command: "cat calc.js" },
  { thought: "Done.", command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" },
] satisfies ScriptReply[];

let repo: string;
let run: string;
let home: string;

beforeAll(async () => {
  repo = await makeRepo({ "calc.js": "export const add = (a, b) => a - b;\n", "notes.txt": "the cat saw the dog\n" });
  home = await tempDir("molt-keep-");
  run = join(home, "run");
  const server = await startScriptedServer({ script: SCRIPT });
  try {
    const result = await molt(["run", "--repo", repo, "--issue", "add() subtracts", "--model", "m", "--base-url", server.url, "--output", run, "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
  } finally {
    await server.close();
  }
}, 120_000);

afterEach(closeTerminals);
afterAll(async () => {
  await stopTmux();
  await cleanUp();
});

describe("--print", () => {
  test("every step with its number, thought, command, output and exit code; every tool event with its verdict; the end and the evolution summary", async () => {
    const result = await molt(["replay", run, "--print"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/^molt replay · run \S+$/m);
    expect(text).toContain("issue  add() subtracts");
    for (const [index, reply] of SCRIPT.entries()) expect(text).toContain(`● ${index + 1} ${reply.thought}`);
    expect(text).toMatch(/● 1 A tool to count words\.\n {2}\$ cat > "\$MOLT_EVOLVED\/count_words\.ts" <<'MOLT_EOF'/);
    expect(text.replace(/\s+/g, " ")).toMatch(/⚙ tool count_words v1 rejected: evolved\/count_words\.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'/);
    expect(text).toMatch(/⚙ tool count_words v2 loaded in \d+ ms: count_words --path <string>/);
    expect(text).toMatch(/● 3 Count, then fix the operator\.\n {2}\$ count_words --path notes\.txt && sed -i 's\/a - b\/a \+ b\/' calc\.js\n {4}5 words\n {2}✓ exit 0 · \d+ ms\n {2}⚙ count_words --path notes\.txt → exit 0/);
    expect(text).toMatch(/● 5 Look at the result\.\n {2}\$ cat calc\.js\n {4}export const add = \(a, b\) => a \+ b;\n {2}✓ exit 0/);
    expect(text).toMatch(/^Submitted$/m);
    expect(text).toMatch(/^6 steps · \d+ tokens in, \d+ out · \$0\.0000 · .* · 1 tool created$/m);
    expect(text).toContain("+export const add = (a, b) => a + b;");
    expect(text).toContain("+fixed add");
    expect(text).toMatch(/^2 tool versions written · 1 accepted · 1 rejected \(1 at validate\) · 1 new tool$/m);
    expect(text).toMatch(/^1 tool call · 1 of 6 steps used an evolved tool \(17%\)$/m);
    // Piped: no colour.
    expect(text).not.toContain("\u001b[");
  });

  test("the run's folder, its events.jsonl and its traj.json print the same timeline", async () => {
    const byFolder = await molt(["replay", run, "--print"]);
    const byEvents = await molt(["replay", join(run, "events.jsonl"), "--print"]);
    const trajectory = (await readdir(run)).find((name) => name.endsWith(".traj.json"))!;
    const byTrajectory = await molt(["replay", join(run, trajectory), "--print"]);
    expect(byEvents.stdout).toBe(byFolder.stdout);
    expect(byTrajectory.stdout).toBe(byFolder.stdout);
  });

  test("without a terminal, molt replay prints", async () => {
    const result = await molt(["replay", run]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe((await molt(["replay", run, "--print"])).stdout);
  });

  test("--json writes the recorded events, one JSON line each", async () => {
    const result = await molt(["replay", run, "--json"]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n");
    const recorded = (await readFile(join(run, "events.jsonl"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(recorded.length);
    const events = lines.map((line) => MoltEvent.parse(JSON.parse(line)));
    expect(events[0]?.type).toBe("run_started");
    expect(events.at(-1)?.type).toBe("run_finished");
  });
});

describe("--checkout", () => {
  test("the repository after a middle step, after the last, and at the base", async () => {
    const at3 = join(await tempDir(), "at3");
    const result = await molt(["replay", run, "--checkout", "3", at3]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("the repository after step 3");
    expect(await readFile(join(at3, "calc.js"), "utf8")).toBe("export const add = (a, b) => a + b;\n");
    expect(existsSync(join(at3, "CHANGES.md"))).toBe(false);

    const at5 = join(await tempDir(), "at5");
    expect((await molt(["replay", run, "--checkout", "5", at5])).exitCode).toBe(0);
    expect(await readFile(join(at5, "CHANGES.md"), "utf8")).toBe("fixed add\n");

    const at0 = join(await tempDir(), "at0");
    expect((await molt(["replay", run, "--checkout", "0", at0])).exitCode).toBe(0);
    expect(await readFile(join(at0, "calc.js"), "utf8")).toBe("export const add = (a, b) => a - b;\n");
    expect((await readdir(at0)).sort()).toEqual(["calc.js", "notes.txt"]);
    // The user's repository is as it was: no branch, no stray refs, a clean status.
    expect(await gitOut(repo, "for-each-ref", "--format=%(refname)")).toMatch(/^refs\/heads\/\w+$/);
    expect(await gitOut(repo, "status", "--porcelain")).toBe("");
  });

  test("bad input: a step past the end, a step that is not a number, a folder that is not empty", async () => {
    const beyond = await molt(["replay", run, "--checkout", "9", join(await tempDir(), "x")]);
    expect(beyond.exitCode).toBe(2);
    expect(beyond.stderr.trim()).toBe("molt: the run has 6 steps; --checkout takes 0 (the base commit) to 6");
    const word = await molt(["replay", run, "--checkout", "last", join(await tempDir(), "x")]);
    expect(word.exitCode).toBe(2);
    expect(word.stderr.trim().split("\n")).toHaveLength(1);
    const full = await tempDir();
    await mkdir(join(full, "dir"));
    await writeFile(join(full, "dir", "mine.txt"), "keep me\n");
    const refused = await molt(["replay", run, "--checkout", "3", join(full, "dir")]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(await readFile(join(full, "dir", "mine.txt"), "utf8")).toBe("keep me\n");
  });
});

test("bad input: no run, a folder that holds no run", async () => {
  const none = await molt(["replay"]);
  expect(none.exitCode).toBe(2);
  expect(none.stderr.trim().split("\n")).toHaveLength(1);
  const empty = await molt(["replay", await tempDir()]);
  expect(empty.exitCode).toBe(2);
  expect(empty.stderr.trim().split("\n")).toHaveLength(1);
  expect(empty.stderr).not.toMatch(/\bat \w+ \(/);
});

describe("the replay view, in a terminal", () => {
  test("steps, evolution jumps, tools as they stood, the repository's diff at a step, full output; q leaves with exit 0", async () => {
    const terminal = await openTerminal(["replay", run], { width: 100, height: 45 });
    const first = await terminal.waitFor("Step 1/6", { history: false });
    expect(first).toContain("A tool to count words.");
    expect(first).toContain("⚙ tools changed");
    expect(first.replace(/\s+/g, " ")).toContain("rejected: evolved/count_words.ts:11:11 TS2322");

    await terminal.press("Right");
    const second = await terminal.waitFor("Step 2/6", { history: false });
    expect(second).toMatch(/tool count_words v2 loaded in \d+ ms/);

    // The tools as they stood at step 1 and at step 2.
    await terminal.press("Left");
    await terminal.waitFor("Step 1/6", { history: false });
    await terminal.press("t");
    const toolsAt1 = await terminal.waitFor("the tools at this step", { history: false });
    expect(toolsAt1).toMatch(/▸ count_words\s+v1\s+rejected\s+0 calls/);
    await terminal.press("Right");
    const toolsAt2 = await terminal.waitFor(/Step 2\/6 · the tools at this step/, { history: false });
    expect(toolsAt2).toMatch(/▸ count_words\s+v2\s+loaded\s+0 calls/);
    expect(toolsAt2).toContain("Changes from the version before");
    expect(toolsAt2).toContain("-    const count: number = words.join(' ');");
    expect(toolsAt2).toContain("+    return `${words.length} words`;");
    await terminal.press("Escape");

    // n jumps over steps that did not change the tools; from step 2 there is none ahead.
    await terminal.press("Home");
    await terminal.waitFor("Step 1/6", { history: false });
    await terminal.press("n");
    await terminal.waitFor("Step 2/6", { history: false });
    await terminal.press("n");
    await terminal.press("Right");
    await terminal.waitFor("Step 3/6", { history: false });

    // The repository: what step 3 changed, and all changes after step 4 (the workspace is long gone).
    await terminal.press("d");
    const change3 = await terminal.waitFor("+export const add = (a, b) => a + b;", { history: false });
    expect(change3).toContain("what this step changed in the repository");
    expect(change3).not.toContain("CHANGES.md");
    await terminal.press("Right");
    await terminal.waitFor("+fixed add", { history: false });
    await terminal.press("Right");
    await terminal.waitFor("This step changed no file.", { history: false });
    await terminal.press("D");
    const all5 = await terminal.waitFor(/the repository's changes so far[^]*\+fixed add/, { history: false });
    expect(all5).toContain("+export const add = (a, b) => a + b;");

    // The full output of a step, and the end of the run on the last step.
    await terminal.press("Escape", "o");
    const output5 = await terminal.waitFor("its full output", { history: false });
    expect(output5).toContain("$ cat calc.js");
    expect(output5).toContain("export const add = (a, b) => a + b;");
    await terminal.press("End");
    const end = await terminal.waitFor("Step 6/6", { history: false });
    expect(end).toMatch(/Step 6\/6 · its full output/);
    await terminal.press("o");
    const last = await terminal.waitFor("Submitted", { history: false });
    expect(last).toContain("Evolution");

    await terminal.press("q");
    const after = await terminal.waitFor("EXIT=");
    expect(after).toContain("EXIT=0");
    // The view was on the alternate screen: it leaves the terminal as it found it.
    expect(after).not.toContain("Step 6/6");
  });
});

describe("mini-SWE-agent trajectories", () => {
  const messages = [
    { role: "system", content: "You are a helpful assistant that can interact with a computer." },
    { role: "user", content: "Please solve this issue: add() subtracts instead of adding" },
    { role: "assistant", content: "THOUGHT: Let me look at the file.\n\n```bash\ncat calc.js\n```" },
    { role: "user", content: "<returncode>0</returncode>\n<output>\nexport const add = (a, b) => a - b;\n</output>" },
    { role: "assistant", content: "THOUGHT: Two ways to go.\n\n```bash\nls\n```\n\n```bash\npwd\n```" },
    { role: "user", content: "Please always provide EXACTLY ONE action in triple backticks, found 2 actions." },
    { role: "assistant", content: "THOUGHT: Fix the operator.\n\n```mswea_bash_command\nsed -i 's/a - b/a + b/' calc.js\n```" },
    { role: "user", content: "<returncode>0</returncode>\n<output>\n</output>" },
    { role: "assistant", content: "THOUGHT: Done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff\n```" },
  ];
  const info = { exit_status: "Submitted", submission: "diff --git a/calc.js b/calc.js\n-export const add = (a, b) => a - b;\n+export const add = (a, b) => a + b;\n", model_stats: { instance_cost: 0.02, api_calls: 4 } };

  test.each([
    ["the current layout", { info, messages, trajectory_format: "mini-swe-agent-1" }],
    ["the older bare list of messages", messages],
  ])("%s prints step by step, with its format error", async (_layout, content) => {
    const file = join(await tempDir(), "django__django-1234.traj.json");
    await writeFile(file, JSON.stringify(content));
    const result = await molt(["replay", file, "--print"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toContain("molt replay · a mini-SWE-agent trajectory");
    expect(text).toMatch(/● 1 THOUGHT: Let me look at the file\.[^]*\n {2}\$ cat calc\.js\n {4}export const add = \(a, b\) => a - b;\n {2}✓ exit 0/);
    expect(text).toMatch(/● 2 THOUGHT: Two ways to go\.[^]*! format error/);
    expect(text).toMatch(/● 3 THOUGHT: Fix the operator\.[^]*\n {2}\$ sed -i 's\/a - b\/a \+ b\/' calc\.js/);
    expect(text).toMatch(/\$ echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff/);
    // The action blocks show as commands, not twice inside the thought.
    expect(text).not.toContain("```mswea_bash_command");
    expect(text).toMatch(/● 1 THOUGHT: Let me look at the file\.\n {2}\$ cat calc\.js/);
  });
});
