import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, freePort, makeRepo, molt, tempDir } from "../helpers.ts";

// Faults of the model endpoint, served for real over HTTP by the scripted server: which are
// retried (and after how long), and how a run ends when they do not stop.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n" };
const servers: ScriptedServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanUp();
});

interface FaultRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  out: string;
  server: ScriptedServer;
  events: MoltEvent[];
  retries: EventOf<"model_retry">[];
}

async function runAgainst(script: ScriptReply[], args: string[] = []): Promise<FaultRun> {
  const repo = await makeRepo(FILES);
  const server = await startScriptedServer({ script });
  servers.push(server);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve", ...args]);
  const events = existsSync(join(out, "events.jsonl"))
    ? (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)))
    : [];
  // Whatever happened, molt never shows the user a stack trace.
  expect(result.stderr).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return { ...result, out, server, events, retries: events.filter((event): event is EventOf<"model_retry"> => event.type === "model_retry") };
}

const finished = (run: FaultRun) => run.events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
const responses = (run: FaultRun) => run.events.filter((event): event is EventOf<"model_response"> => event.type === "model_response");

test("a 429 with Retry-After: 1 is retried after about a second", async () => {
  const run = await runAgainst([{ error: { status: 429, message: "slow down", retryAfterSec: 1 } }, { command: SUBMIT }]);
  expect(run.exitCode).toBe(0);
  expect(run.stderr).toBe("");
  expect(run.retries).toHaveLength(1);
  const [retry] = run.retries;
  expect(retry!.reason).toBe("HTTP 429: slow down");
  expect(retry!.delayMs).toBe(1000);
  // It really waited: the reply came a second after the refusal, not at once.
  const reply = responses(run)[0]!;
  expect(reply.ts - retry!.ts).toBeGreaterThanOrEqual(950);
  expect(reply.ts - retry!.ts).toBeLessThan(5000);
  expect(run.stdout).toMatch(/↻ retrying \(1 of 4\) in 1\.0 s: HTTP 429: slow down/);
  expect(run.server.served()).toBe(2);
});

test("502 and 503 are retried with backoff, and the run goes on", async () => {
  const run = await runAgainst([{ error: { status: 502 } }, { error: { status: 503 } }, { command: "echo after-the-faults" }, { command: SUBMIT }]);
  expect(run.exitCode).toBe(0);
  expect(run.retries.map((retry) => [retry.reason, retry.attempt, retry.of])).toEqual([[expect.stringMatching(/^HTTP 502\b/), 1, 4], [expect.stringMatching(/^HTTP 503\b/), 2, 4]]);
  // Backoff, without Retry-After: about 0.5 s, then about twice that.
  expect(run.retries[0]!.delayMs).toBeGreaterThanOrEqual(300);
  expect(run.retries[1]!.delayMs).toBeGreaterThan(run.retries[0]!.delayMs);
  // The failed calls were not steps: step 1 is the command, step 2 the submission.
  expect(responses(run).map((event) => event.step)).toEqual([1, 2]);
  expect(String(run.server.requests[3]?.messages.at(-1)?.content)).toContain("after-the-faults");
  expect(finished(run)?.exitStatus).toBe("Submitted");
});

test("a stream cut short is asked for again; tool-call arguments that are not JSON are a format error the model is told about", async () => {
  const run = await runAgainst([
    { thought: "Let me look at the code first, carefully.", command: "cat calc.js", cutStream: true },
    { toolCalls: [{ name: "bash", arguments: '{"command": "cat calc.js' }] },
    { command: "cat calc.js" },
    { command: SUBMIT },
  ]);
  expect(run.exitCode).toBe(0);
  // The server hangs up mid-reply: that reply never became a step.
  expect(run.retries.map((retry) => retry.reason)).toEqual([expect.stringMatching(/other side closed|ended before the reply was complete/)]);
  expect(responses(run)).toHaveLength(3);
  // The reply with broken arguments is answered as mini-SWE-agent answers it, and not kept.
  const errors = run.events.filter((event) => event.type === "format_error");
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ step: 1, reason: expect.stringMatching(/^Error parsing tool call arguments: .*Missing 'command' argument in bash tool call\.$/) });
  expect(String(run.server.requests[3]?.messages.at(-1)?.content)).toContain("a - b");
  expect(run.server.requests[3]?.messages.map((message) => message.role)).toEqual(["system", "user", "user", "assistant", "tool"]);
});

test("a reply slower than --request-timeout is abandoned and asked for again", async () => {
  const run = await runAgainst([{ delayMs: 3000, command: "echo too-late" }, { command: "echo in-time" }, { command: SUBMIT }], ["--request-timeout", "1"]);
  expect(run.exitCode).toBe(0);
  expect(run.retries).toHaveLength(1);
  expect(run.retries[0]!.reason).toMatch(/timed out/);
  const observations = run.server.requests.slice(1).map((request) => String(request.messages.at(-1)?.content));
  expect(observations.join("\n")).toContain("in-time");
  expect(observations.join("\n")).not.toContain("too-late");
  // The abandoned reply is nowhere in the record.
  expect(await readFile(join(run.out, "events.jsonl"), "utf8")).not.toContain("echo too-late");
});

test("when every retry fails the run ends with ModelError, exit 1, one line, and its files", async () => {
  const run = await runAgainst([{ command: "echo step-one" }, { error: { status: 500 } }, { error: { status: 500 } }, { command: SUBMIT }], ["--retries", "1"]);
  expect(run.exitCode).toBe(1);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  // It names the endpoint (scheme, host, port, path) and the model.
  expect(lines[0]).toBe(`molt: ModelError: ${run.server.url} (model m) kept failing: HTTP 500: scripted HTTP 500; gave up after 2 attempts`);
  // One retry, then no more calls: the last reply of the script was never asked for.
  expect(run.retries).toHaveLength(1);
  expect(run.server.served()).toBe(3);
  expect(finished(run)?.exitStatus).toBe("ModelError");
  expect(run.stdout).toContain("ModelError after 2 steps");
  const files = await readdir(run.out);
  const traj = files.find((name) => name.endsWith(".traj.json"));
  expect(traj).toBeDefined();
  const trajectory = JSON.parse(await readFile(join(run.out, traj!), "utf8")) as { info: { exit_status: string }; messages: { role: string; content: string }[] };
  expect(trajectory.info.exit_status).toBe("ModelError");
  // The step that did run is in the trajectory.
  expect(JSON.stringify(trajectory.messages)).toContain("step-one");
  expect(files).toContain("patch.diff");
});

test("a 401 ends the run at once with the message about the API key, and is not retried", async () => {
  const run = await runAgainst([{ error: { status: 401, message: "Incorrect API key provided." } }, { command: SUBMIT }]);
  expect(run.exitCode).toBe(1);
  expect(run.stderr.trim().split("\n")).toEqual([`molt: ModelError: ${run.server.url} (model m) refused the API key (HTTP 401); check OPENAI_API_KEY`]);
  expect(run.retries).toHaveLength(0);
  expect(run.server.served()).toBe(1);
  expect(finished(run)?.exitStatus).toBe("ModelError");
});

test("an endpoint nobody listens on is retried, then ends with one line naming the endpoint, the model and the cause", async () => {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  const port = await freePort();
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", `http://127.0.0.1:${port}/v1`, "--output", out, "--no-evolve", "--retries", "1"]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr.trim().split("\n")).toEqual([`molt: ModelError: http://127.0.0.1:${port}/v1 (model m) kept failing: connection refused: nothing answers there; gave up after 2 attempts`]);
  // The live view's plain printer said it was retrying, and why, instead of "thinking".
  expect(result.stdout).toMatch(/↻ retrying \(1 of 1\) in \d+ ms: connection refused: nothing answers there/);
});

test.each([
  ["a port HTTP clients refuse", "http://127.0.0.1:9/v1", 'molt: --base-url cannot be used: port 9 is one that HTTP clients refuse to use ("bad port"); use another port (got "http://127.0.0.1:9/v1")'],
  ["a scheme molt does not speak", "ftp://models.example/v1", 'molt: --base-url cannot be used: molt speaks http and https, not ftp (got "ftp://models.example/v1")'],
  ["no scheme", "localhost:8000/v1", 'molt: --base-url cannot be used: it has no scheme: write http://localhost:8000/v1 (or https://) (got "localhost:8000/v1")'],
])("a base URL with %s is bad input: one line, exit 2, nothing asked", async (_what, url, message) => {
  const repo = await makeRepo(FILES);
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", url, "--no-evolve"]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr.trim().split("\n")).toEqual([message]);
});

