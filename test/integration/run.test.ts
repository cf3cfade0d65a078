import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, gitOut, makeRepo, molt, tempDir, writeFiles } from "../helpers.ts";

// molt runs as a real subprocess against the scripted server over real HTTP, on real git repositories.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const servers: ScriptedServer[] = [];

async function serve(script: ScriptReply[], apiKey?: string): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script, apiKey });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanUp();
});

async function readRun(dir: string) {
  const files = await readdir(dir);
  const trajFile = files.find((name) => name.endsWith(".traj.json"));
  const lines = (await readFile(join(dir, "events.jsonl"), "utf8")).trimEnd().split("\n");
  return {
    files,
    patch: await readFile(join(dir, "patch.diff"), "utf8"),
    events: lines.map((line) => MoltEvent.parse(JSON.parse(line))),
    traj: JSON.parse(await readFile(join(dir, trajFile ?? "missing"), "utf8")) as {
      info: { exit_status: string; submission: string; model_stats: { instance_cost: number; api_calls: number } };
      messages: { role: string; content: string; tool_calls?: unknown[]; tool_call_id?: string }[];
      trajectory_format: string;
    },
  };
}

const BUGGY = { "calc.js": "export const add = (a, b) => a - b;\n", ".gitignore": "*.log\n" };
const FIX = [
  { thought: "Let me read the code.", command: "cat calc.js" },
  { thought: "The sign is wrong; fixing it.", command: "sed -i 's/a - b/a + b/' calc.js && echo '# notes' > NOTES.md && echo junk > debug.log" },
  { thought: "Done.", command: SUBMIT },
];

describe.each(["tools", "text"] as const)("a submitted run in %s format", (format) => {
  test("yields the patch, the record and the trajectory, and leaves the user's checkout alone", async () => {
    const repo = await makeRepo(BUGGY);
    const headBefore = await gitOut(repo, "rev-parse", "HEAD");
    const server = await serve(FIX);
    const out = join(await tempDir(), "run");
    const result = await molt(["run", "--repo", repo, "--issue", "add() subtracts", "--model", "m", "--base-url", server.url, "--action-format", format, "--output", out]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Submitted after 3 steps");

    const run = await readRun(out);
    expect(run.patch).toContain("+export const add = (a, b) => a + b;");
    expect(run.patch).toContain("+++ b/NOTES.md");
    expect(run.patch).not.toContain("debug.log");

    const types = run.events.map((event) => event.type);
    expect(types[0]).toBe("run_started");
    expect(types.at(-1)).toBe("run_finished");
    expect(types.filter((type) => type === "command_finished")).toHaveLength(3);
    const finished = run.events.at(-1);
    expect(finished?.type === "run_finished" && finished.exitStatus).toBe("Submitted");
    expect(finished?.type === "run_finished" && finished.patch).toBe(run.patch);

    expect(run.traj.info.exit_status).toBe("Submitted");
    expect(run.traj.info.submission).toBe(run.patch);
    expect(run.traj.info.model_stats.api_calls).toBe(3);
    expect(run.traj.trajectory_format).toBe(format === "tools" ? "mini-swe-agent-1.1" : "mini-swe-agent-1");
    expect(run.traj.messages.map((message) => message.role).slice(0, 4)).toEqual(["system", "user", "assistant", format === "tools" ? "tool" : "user"]);
    expect(run.traj.messages[3]?.content).toContain("a - b");

    // The model saw the bash tool only in tools format.
    expect(server.requests[0]?.tools).toBe(format === "tools");
    // The user's checkout: same commit, same file, nothing staged or untracked.
    expect(await gitOut(repo, "rev-parse", "HEAD")).toBe(headBefore);
    expect(await readFile(join(repo, "calc.js"), "utf8")).toBe(BUGGY["calc.js"]);
    expect(await gitOut(repo, "status", "--porcelain")).toBe("");
  });
});

test("the agent's commits, branches and stashes stay in its workspace, and the patch still holds its work", async () => {
  const repo = await makeRepo(BUGGY);
  const refsBefore = await gitOut(repo, "for-each-ref");
  const server = await serve([
    { command: "sed -i 's/a - b/a + b/' calc.js && git add -A && git commit -qm fix && git branch agent-branch && echo x > y.txt && git stash -u" },
    { command: SUBMIT },
  ]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);
  expect(await gitOut(repo, "for-each-ref")).toBe(refsBefore);
  const patch = await readFile(join(out, "patch.diff"), "utf8");
  expect(patch).toContain("+export const add = (a, b) => a + b;");
  expect(patch).not.toContain("y.txt");
});

test("three replies in a row without a command end the run with RepeatedFormatError, as mini-SWE-agent records it", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve(["I think I know.", "Let me see.\n```bash\nls\n```\n```bash\npwd\n```", "Hmm."]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--action-format", "text", "--output", out]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toContain("RepeatedFormatError");
  // The model was told what was wrong each time; the replies without a command are not kept.
  expect(JSON.stringify(server.requests[1]?.messages.at(-1))).toContain("Expected exactly 1 action, found 0.");
  expect(JSON.stringify(server.requests[2]?.messages.at(-1))).toContain("Expected exactly 1 action, found 2.");
  expect(server.requests[2]?.messages.map((message) => message.role)).toEqual(["system", "user", "user", "user"]);
  const run = await readRun(out);
  expect(run.events.filter((event) => event.type === "format_error")).toHaveLength(3);
  expect(run.traj.info.exit_status).toBe("RepeatedFormatError");
});

test("with --format-error-limit 0, five replies without a command, then a fix and a submission: Submitted", async () => {
  const repo = await makeRepo(BUGGY);
  const fix = "sed -i 's/a - b/a + b/' calc.js";
  const server = await serve(["Thinking.", "Still thinking.", "Hmm.", "Almost.", "Now I see.", { command: fix }, { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--format-error-limit", "0", "--output", out]);
  expect(result.exitCode).toBe(0);
  const run = await readRun(out);
  expect(run.events.filter((event) => event.type === "format_error").map((event) => event.type === "format_error" && event.inARow)).toEqual([1, 2, 3, 4, 5]);
  expect(run.traj.info.exit_status).toBe("Submitted");
  expect(await readFile(join(out, "patch.diff"), "utf8")).toContain("+export const add = (a, b) => a + b;");
  // The default limit ends the same replies at the third.
  const again = await serve(["Thinking.", "Still thinking.", "Hmm.", "Almost."]);
  const limited = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", again.url]);
  expect(limited.exitCode).toBe(1);
  expect(limited.stderr).toContain("RepeatedFormatError: 3 replies in a row had no command that could run");
  expect(again.served()).toBe(3);
});

test("a command that times out is killed with its background children, and the agent is told", async () => {
  const repo = await makeRepo(BUGGY);
  const marker = `${Date.now() % 100000}.5`;
  const server = await serve([{ command: `sleep 1${marker} & sleep 2${marker}` }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "wait", "--model", "m", "--base-url", server.url, "--timeout", "1", "--output", out]);
  expect(result.exitCode).toBe(0);
  const observation = JSON.stringify(server.requests[1]?.messages.at(-1));
  expect(observation).toContain("timed out after 1 s");
  const { stdout } = await execa("ps", ["-eo", "args"]);
  expect(stdout).not.toContain(`sleep 1${marker}`);
  expect(stdout).not.toContain(`sleep 2${marker}`);
});

test("a long output reaches the model as its head and tail with the elided count", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ command: "seq 1 100000" }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "count", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);
  const observation = String(server.requests[1]?.messages.at(-1)?.content);
  expect(observation).toContain("<output_head>\n1\n2\n3\n");
  expect(observation).toContain("99999\n100000\n\n</output_tail>");
  expect(observation).toMatch(/[\d,]+ characters elided/);
  expect(observation.length).toBeLessThan(11_000);
});

test("a 500 from the endpoint is retried, and the run goes on", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ error: { status: 500, retryAfterSec: 0 } }, { error: { status: 503 } }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("↻ retrying (1 of 4): HTTP 500: scripted HTTP 500");
  const run = await readRun(out);
  expect(run.events.filter((event) => event.type === "model_retry").map((event) => event.type === "model_retry" && event.reason)).toEqual(["HTTP 500: scripted HTTP 500", "HTTP 503: scripted HTTP 503"]);
  expect(server.served()).toBe(3);
});

test("a reply stream cut short is asked for again", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "Let me think about this for a while.", command: "ls", cutStream: true }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);
  const run = await readRun(out);
  const retries = run.events.filter((event) => event.type === "model_retry");
  expect(retries).toHaveLength(1);
  // The cut reply never became a step of its own.
  expect(run.events.filter((event) => event.type === "model_response")).toHaveLength(1);
});

test("a refused API key ends the run with exit 1 and one clear line", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ command: SUBMIT }], "the-right-key");
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out], { env: { OPENAI_API_KEY: "a-wrong-key" } });
  expect(result.exitCode).toBe(1);
  expect(result.stderr.trim().split("\n")).toEqual([`molt: ModelError: ${server.url} (model m) refused the API key (HTTP 401); check OPENAI_API_KEY`]);
  const run = await readRun(out);
  expect(run.traj.info.exit_status).toBe("ModelError");
  // The key is nowhere in the record.
  expect(JSON.stringify(run.events)).not.toContain("a-wrong-key");
});

test("commands do not see molt's API key, other secrets or molt's own settings", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ command: "env" }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "env", "--model", "m", "--base-url", server.url, "--output", out], {
    env: { OPENAI_API_KEY: "sk-very-secret", GITHUB_TOKEN: "ghp-secret", HARMLESS: "visible", MOLT_REPO_CACHE: "/molt-setting" },
  });
  expect(result.exitCode).toBe(0);
  const observation = String(server.requests[1]?.messages.at(-1)?.content);
  expect(observation).toContain("HARMLESS=visible");
  expect(observation).not.toContain("sk-very-secret");
  expect(observation).not.toContain("ghp-secret");
  expect(observation).not.toContain("/molt-setting");
  expect(observation).not.toMatch(/^MOLT_LIBRARY=/m);
  // What molt gives them on purpose: the folder where the agent's tools go.
  expect(observation).toMatch(/^MOLT_EVOLVED=\//m);
});

test("the step limit ends the run with LimitsExceeded", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ command: "true" }, { command: "true" }, { command: "true" }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "loop", "--model", "m", "--base-url", server.url, "--step-limit", "2", "--output", out]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain("LimitsExceeded");
  expect(server.served()).toBe(2);
});

describe("--apply", () => {
  test("applies a submitted patch to the user's checkout", async () => {
    const repo = await makeRepo(BUGGY);
    const server = await serve(FIX);
    const out = join(await tempDir(), "run");
    const result = await molt(["run", "--repo", repo, "--issue", "fix", "--model", "m", "--base-url", server.url, "--apply", "--output", out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("the patch was applied");
    expect(await readFile(join(repo, "calc.js"), "utf8")).toContain("a + b");
    expect(await readFile(join(repo, "NOTES.md"), "utf8")).toBe("# notes\n");
  });

  test("changes nothing when the patch does not apply cleanly, and says so", async () => {
    const repo = await makeRepo(BUGGY);
    const server = await serve(FIX);
    const out = join(await tempDir(), "run");
    await writeFile(join(repo, "calc.js"), "export const add = (a, b) => b - a; // local edit\n");
    const result = await molt(["run", "--repo", repo, "--issue", "fix", "--model", "m", "--base-url", server.url, "--apply", "--output", out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("does not apply cleanly");
    expect(await readFile(join(repo, "calc.js"), "utf8")).toContain("// local edit");
  });
});

describe("bad input exits 2 with one line", () => {
  const cases: [string, (repo: string, plain: string) => string[], RegExp][] = [
    ["a folder that is not a git repository", (_repo, plain) => ["--repo", plain, "--issue", "x", "--model", "m"], /not a git repository/],
    ["a missing folder", (_repo, plain) => ["--repo", join(plain, "nope"), "--issue", "x", "--model", "m"], /no such folder/],
    ["an empty issue", (repo) => ["--repo", repo, "--issue", "  \n", "--model", "m"], /issue is empty/],
    ["an unreadable issue file", (repo, plain) => ["--repo", repo, "--issue-file", join(plain, "missing.md"), "--model", "m"], /no such file/],
    ["an invalid flag value", (repo) => ["--repo", repo, "--issue", "x", "--model", "m", "--step-limit", "many"], /--step-limit must be a whole number/],
    ["an unknown flag", (repo) => ["--repo", repo, "--issue", "x", "--model", "m", "--frobnicate"], /unknown option --frobnicate/],
    ["no model", (repo) => ["--repo", repo, "--issue", "x"], /no model/],
    ["an unknown base commit", (repo) => ["--repo", repo, "--issue", "x", "--model", "m", "--base", "deadbeef"], /no such commit/],
    ["an output folder that already holds a run", (repo) => ["--repo", repo, "--issue", "x", "--model", "m", "--output", join(repo, "..", "old-run")], /already holds a run/],
  ];
  test.each(cases)("%s", async (_name, args, message) => {
    const repo = await makeRepo(BUGGY);
    const plain = await tempDir();
    await writeFiles(join(repo, "..", "old-run"), { "events.jsonl": "{}\n" });
    const result = await molt(["run", ...args(repo, plain)], { env: { MOLT_MODEL: undefined }, cwd: plain });
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // Nothing was written: the current folder is as it was.
    expect(await readdir(plain)).toEqual([]);
  });
});

test("the issue can come on standard input", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--model", "m", "--base-url", server.url, "--output", out], { input: "add() subtracts from stdin" });
  expect(result.exitCode).toBe(0);
  expect(String(server.requests[0]?.messages[1]?.content)).toContain("add() subtracts from stdin");
});

test("a run from inside the user's repository leaves its git status clean; its id, shown first, finds it from anywhere", async () => {
  const repo = await makeRepo(BUGGY);
  const data = await tempDir("molt-data-");
  const server = await serve([{ command: "sed -i 's/a - b/a + b/' calc.js" }, { command: SUBMIT }]);
  const result = await molt(["run", "--issue", "fix add", "--model", "m", "--base-url", server.url, "--plain"], { cwd: repo, env: { XDG_DATA_HOME: data } });
  expect(result.exitCode).toBe(0);
  expect(await gitOut(repo, "status", "--porcelain", "--ignored")).toBe("");
  const runId = /run (\S+)/.exec(result.stdout)?.[1];
  expect(await readdir(join(data, "molt", "runs"))).toEqual([runId]);
  // The id is the folder's name: replay and runs find the run by it.
  const replay = await molt(["replay", runId!, "--print"], { cwd: await tempDir(), env: { XDG_DATA_HOME: data } });
  expect(replay.exitCode).toBe(0);
  expect(replay.stdout).toContain("a + b");
  const listed = await molt(["runs", "--json"], { env: { XDG_DATA_HOME: data } });
  expect((JSON.parse(listed.stdout) as { runId: string }[]).map((run) => run.runId)).toEqual([runId]);
});

test("what is wrong with the repository is said before the missing key", async () => {
  const nowhere = join(await tempDir(), "no-such-repo");
  const result = await molt(["run", "--repo", nowhere, "--issue", "x", "--model", "gpt-4.1"], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
  expect(result.exitCode).toBe(2);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).not.toContain("API key");
  expect(result.stderr).toContain(nowhere);
});
