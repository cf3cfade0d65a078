import { afterEach, expect, test } from "vitest";
import { z } from "zod";
import { startScriptedServer, type ScriptedServer, type ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { freePort, molt } from "../helpers.ts";

// molt doctor against endpoints served for real over HTTP: what a good endpoint reports, and each
// way one can fail, with the exit code and the advice a user gets.

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: ScriptReply[], apiKey?: string): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script, ...(apiKey ? { apiKey } : {}) });
  servers.push(server);
  return server;
}

async function doctor(server: ScriptedServer | string, args: string[] = [], env: Record<string, string | undefined> = {}) {
  const url = typeof server === "string" ? server : server.url;
  return molt(["doctor", "--base-url", url, ...args], { env });
}

test("a good endpoint: every check passes, with what it reported, and exit 0", async () => {
  const server = await serve([
    { content: "ready", reasoning: "One word, as asked.", usage: { prompt: 31, completion: 2, cached: 0 } },
    { command: "echo molt", usage: { prompt: 180, completion: 12, cached: 0 } },
  ]);
  const result = await doctor(server, ["--model", "deepseek-reasoner", "--model-kwargs", '{"temperature": 0.1}', "--header", "X-Title:molt"]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.trimEnd().split("\n");
  expect(lines[0]).toBe(`molt doctor: deepseek-reasoner at ${server.url}`);
  expect(lines.slice(1, -1)).toEqual([
    expect.stringMatching(/^ {2}✓ reachable +answered in \d+ ms \(first chunk after \d+ ms\)$/),
    expect.stringMatching(/^ {2}✓ key accepted +yes$/),
    expect.stringMatching(/^ {2}✓ model +answered: ready$/),
    expect.stringMatching(/^ {2}✓ streaming +\d+ chunks, finish reason stop$/),
    expect.stringMatching(/^ {2}✓ tool calls +bash: echo molt$/),
    expect.stringMatching(/^ {2}✓ usage +180 tokens in, 12 out$/),
    expect.stringMatching(/^ {2}✓ cached tokens +reported \(prompt_tokens_details\.cached_tokens\)$/),
    expect.stringMatching(/^ {2}✓ reasoning +streamed \(19 characters\), shown live and recorded$/),
    expect.stringMatching(/^ {2}✓ cache marks +none/),
  ]);
  expect(lines.at(-1)).toBe("molt can run with this endpoint.");
  // Asked as a run asks: the bash tool offered, the parameters, the headers and the key.
  expect(server.requests.map((request) => [request.tools, request.parameters.temperature, request.headers["x-title"], request.authorization])).toEqual([
    [true, 0.1, "molt", "Bearer test-key"],
    [true, 0.1, "molt", "Bearer test-key"],
  ]);
});

test("--json gives the same findings to a script", async () => {
  const server = await serve([{ content: "ready", usage: { prompt: 10, completion: 1, cacheRead: 0 } }, { command: "echo molt" }]);
  const result = await doctor(server, ["--model", "claude-sonnet-4-5", "--json"]);
  expect(result.exitCode).toBe(0);
  const report = z
    .object({ ok: z.boolean(), endpoint: z.string(), model: z.string(), cacheControl: z.string(), cachedField: z.string(), action: z.object({ ok: z.boolean(), command: z.string() }) })
    .parse(JSON.parse(result.stdout));
  expect(report).toEqual({ ok: true, endpoint: server.url, model: "claude-sonnet-4-5", cacheControl: "default_end", cachedField: "cache_read_input_tokens", action: { ok: true, command: "echo molt" } });
});

test("a model that answers without calling the tool: exit 1, and the advice to use the text format, which then passes", async () => {
  const server = await serve([{ content: "ready" }, { content: "I would run echo molt." }, { content: "ready" }, { content: "```bash\necho molt\n```" }]);
  const tools = await doctor(server, ["--model", "small-local"]);
  expect(tools.exitCode).toBe(1);
  expect(tools.stdout).toMatch(/✗ tool calls +asked for a command, the model sent I would run echo molt\./);
  expect(tools.stdout).toContain("molt cannot run with this endpoint as it is:\n  - the model does not call the bash tool here: run with --action-format text");

  const text = await doctor(server, ["--model", "small-local", "--action-format", "text"]);
  expect(text.exitCode).toBe(0);
  expect(text.stdout).toMatch(/✓ bash blocks +bash: echo molt/);
  expect(server.requests[3]!.tools).toBe(false);
});

test("nothing listening: reachable fails, nothing else is asked, and the advice is about the URL", async () => {
  const port = await freePort();
  const result = await doctor(`http://127.0.0.1:${port}/v1`, ["--model", "m"]);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toMatch(new RegExp(`✗ reachable +http://127\\.0\\.0\\.1:${port}/v1 \\(model m\\) kept failing: connection refused`));
  expect(result.stdout).toMatch(/· tool calls +not asked/);
  expect(result.stdout).toContain("  - check --base-url (or OPENAI_BASE_URL): is the server running");
});

test("a key the endpoint refuses: reachable, key failed, and the advice is about the key", async () => {
  const server = await serve([{ content: "ready" }], "the-right-key");
  const result = await doctor(server, ["--model", "m"], { OPENAI_API_KEY: "a-wrong-key" });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toMatch(/✓ reachable +answered HTTP 401/);
  expect(result.stdout).toMatch(/✗ key accepted +.*refused the API key \(HTTP 401\)/);
  expect(result.stdout).toContain("  - set OPENAI_API_KEY to a key this endpoint accepts");
});

test("an unknown model and a refused parameter each say what to change", async () => {
  const missing = await serve([{ error: { status: 404, message: "model 'qwen9' not found" } }]);
  const unknown = await doctor(missing, ["--model", "qwen9"]);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stdout).toMatch(/✗ model +.*answered 404/);
  expect(unknown.stdout).toContain("  - check --model (a name the endpoint lists at /models)");

  const strict = await serve([{ error: { status: 400, message: "Unsupported parameter: 'temperature'", param: "temperature" } }]);
  const refused = await doctor(strict, ["--model", "o3", "--model-kwargs", '{"temperature": 0}']);
  expect(refused.exitCode).toBe(1);
  expect(refused.stdout).toContain('  - leave "temperature" out of --model-kwargs (or model.model_kwargs), or add "drop_params": true');

  // With drop_params the parameter is dropped, said, and the endpoint passes.
  const lenient = await serve([{ error: { status: 400, message: "Unsupported parameter: 'temperature'", param: "temperature" } }, { content: "ready" }, { command: "echo molt" }]);
  const dropped = await doctor(lenient, ["--model", "o3", "--model-kwargs", '{"temperature": 0, "drop_params": true}']);
  expect(dropped.exitCode).toBe(0);
  expect(dropped.stdout).toMatch(/! parameters +the endpoint does not take "temperature": dropped \(drop_params\)/);
});

test("an endpoint without token counts passes, with a warning about cost limits", async () => {
  const server = await serve([{ content: "ready", usage: false }, { command: "echo molt", usage: false }]);
  const result = await doctor(server, ["--model", "local"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/! usage +the endpoint reports no token counts/);
  expect(result.stdout).toMatch(/! cached tokens +not reported/);
  expect(result.stdout).toContain("--cost-limit cannot stop a run");
});

test("bad input is one line and exit 2, before anything is sent", async () => {
  const noModel = await molt(["doctor", "--base-url", "http://127.0.0.1:8000/v1"], { env: { MOLT_MODEL: undefined } });
  expect(noModel.exitCode).toBe(2);
  expect(noModel.stderr.trim()).toBe("molt: no model: pass --model NAME, set model.model_name in a configuration, or set MOLT_MODEL");
  const badUrl = await molt(["doctor", "--model", "m", "--base-url", "127.0.0.1:8000/v1"]);
  expect(badUrl.exitCode).toBe(2);
  expect(badUrl.stderr.trim().split("\n")).toHaveLength(1);
});

