import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { costOf, priceOf } from "../../core/pricing.ts";
import type { RecordedRequest, ScriptedServer, ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir, writeFiles } from "../helpers.ts";
import { COUNT_WORDS, writeTool } from "../tool-sources.ts";

// What molt sends to a real endpoint and what it reads back, over real HTTP with the real openai
// client: request parameters and headers, reasoning streams, prompt-cache marks, cached-token usage
// in both providers' shapes, and what they cost.

const SUBMIT: ScriptReply = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
const serve = scriptedServers();
afterEach(cleanUp);

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  out: string;
  server: ScriptedServer;
  events: MoltEvent[];
}

async function runWith(model: string, script: ScriptReply[], args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const repo = await makeRepo({ "notes.txt": "the cat saw the dog\n" });
  const server = await serve(script);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "Count the words in notes.txt", "--model", model, "--base-url", server.url, "--output", out, "--plain", ...args], { env });
  const events = existsSync(join(out, "events.jsonl")) ? (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line))) : [];
  return { ...result, out, server, events };
}

const ofType = <T extends MoltEvent["type"]>(run: Run, type: T) => run.events.filter((event): event is EventOf<T> => event.type === type);
const totals = (run: Run) => ofType(run, "run_finished").at(-1)!.totals;

/** The messages of a request with the cache marks taken off, as the endpoint reads their content. */
function unmarked(request: RecordedRequest): unknown[] {
  return request.messages.map((message) => {
    const { cache_control: _mark, ...rest } = message;
    const content = Array.isArray(rest.content) ? (rest.content as { text: string }[]).map((part) => part.text).join("") : rest.content;
    return { ...rest, content };
  });
}

test("--model-kwargs and the configuration's model_kwargs reach every request, key by key; drop_params is never sent", async () => {
  const dir = await tempDir();
  await writeFiles(dir, { "model.yaml": "model:\n  model_kwargs:\n    temperature: 0.0\n    seed: 7\n    drop_params: true\n" });
  const config = join(dir, "model.yaml");
  const run = await runWith("gpt-4.1", [{ command: "cat notes.txt" }, SUBMIT], [
    "-c", "default", "-c", config,
    "--model-kwargs", '{"temperature": 0.2, "max_completion_tokens": 4096, "reasoning_effort": "high", "parallel_tool_calls": false, "provider": {"order": ["openai"]}}',
  ]);
  expect(run.exitCode).toBe(0);
  expect(run.server.requests).toHaveLength(2);
  for (const request of run.server.requests) {
    expect(request.parameters).toEqual({
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      seed: 7,
      max_completion_tokens: 4096,
      reasoning_effort: "high",
      parallel_tool_calls: false,
      provider: { order: ["openai"] },
    });
  }
  // The run's record keeps them, so that a resumed run sends the same.
  expect(ofType(run, "run_started")[0]!.spec.model.kwargs).toMatchObject({ temperature: 0.2, seed: 7, drop_params: true });
});

test("with drop_params, a parameter the endpoint refuses is dropped once, said, and never sent again", async () => {
  const refusal = { status: 400, message: "Unsupported parameter: 'temperature' is not supported with this model.", param: "temperature", code: "unsupported_parameter" };
  const run = await runWith("o3", [{ error: refusal }, { command: "cat notes.txt" }, SUBMIT], ["--model-kwargs", '{"temperature": 0, "seed": 1, "drop_params": true}']);
  expect(run.exitCode).toBe(0);
  expect(run.server.requests.map((request) => "temperature" in request.parameters)).toEqual([true, false, false]);
  expect(run.server.requests.map((request) => request.parameters.seed)).toEqual([1, 1, 1]);
  expect(ofType(run, "model_retry").map((retry) => [retry.reason, retry.delayMs])).toEqual([['the endpoint does not take "temperature": dropped it (drop_params)', 0]]);
  expect(run.stdout).toContain('retrying (1 of 4): the endpoint does not take "temperature": dropped it (drop_params)');
});

test("LiteLLM's way of refusing, the parameter named only in the message, is understood too", async () => {
  const refusal = { status: 400, message: "litellm.UnsupportedParamsError: deepseek does not support parameters: ['reasoning_effort'], for model=deepseek-chat. To drop these, set `litellm.drop_params=True`." };
  const dropped = await runWith("deepseek-chat", [{ error: refusal }, SUBMIT], ["--model-kwargs", '{"reasoning_effort": "low", "temperature": 0.5, "drop_params": true}']);
  expect(dropped.exitCode).toBe(0);
  expect(dropped.server.requests[1]!.parameters).not.toHaveProperty("reasoning_effort");
  expect(dropped.server.requests[1]!.parameters).toHaveProperty("temperature", 0.5);

  // Without drop_params the run ends at once, naming the parameter and what to do; nothing is retried.
  const ended = await runWith("deepseek-chat", [{ error: refusal }, SUBMIT], ["--model-kwargs", '{"reasoning_effort": "low"}']);
  expect(ended.exitCode).toBe(1);
  expect(ended.server.served()).toBe(1);
  expect(ended.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(/^molt: ModelError: http:\/\/127\.0\.0\.1:\d+\/v1 \(model deepseek-chat\) does not take the parameter "reasoning_effort" \(HTTP 400\): .*; remove it from model_kwargs, or set model\.model_kwargs\.drop_params: true$/),
  ]);
  expect(ofType(ended, "run_finished")[0]!.exitStatus).toBe("ModelError");
});

test("--header is sent with every request and kept out of the record", async () => {
  const run = await runWith("gpt-4.1", [{ command: "cat notes.txt" }, SUBMIT], ["--header", "HTTP-Referer: https://example.com/molt", "--header", "X-Title:molt test", "--header", "X-Secret-Token:s3cr3t-value"]);
  expect(run.exitCode).toBe(0);
  for (const request of run.server.requests) {
    expect(request.headers).toMatchObject({ "http-referer": "https://example.com/molt", "x-title": "molt test", "x-secret-token": "s3cr3t-value" });
  }
  for (const file of await readdir(run.out)) {
    if (file.endsWith(".json") || file.endsWith(".jsonl")) expect(await readFile(join(run.out, file), "utf8")).not.toContain("s3cr3t-value");
  }
});

test("a reasoning model's thinking is recorded, shown in replay, kept in the trajectory, and never sent back", async () => {
  const run = await runWith("deepseek-reasoner", [
    { reasoning: "The issue wants a count of words. I should read notes.txt first.", command: "cat notes.txt" },
    { reasoning: "Five words. Nothing to change, so I submit.", reasoningField: "reasoning", thought: "Done.", ...SUBMIT },
  ]);
  expect(run.exitCode).toBe(0);
  expect(ofType(run, "model_response").map((reply) => reply.reasoning)).toEqual(["The issue wants a count of words. I should read notes.txt first.", "Five words. Nothing to change, so I submit."]);
  // The reply itself is apart from the thinking.
  expect(ofType(run, "model_response")[1]!.content).toBe("Done.");
  expect(JSON.stringify(run.server.requests[1]!.messages)).not.toContain("read notes.txt first");
  expect(run.server.requests[1]!.messages.filter((message) => "reasoning_content" in message || "reasoning" in message)).toEqual([]);

  const trajectoryFile = (await readdir(run.out)).find((file) => file.endsWith(".traj.json"))!;
  const trajectory = JSON.parse(await readFile(join(run.out, trajectoryFile), "utf8")) as { messages: { role: string; reasoning_content?: string }[] };
  expect(trajectory.messages.filter((message) => message.role === "assistant").map((message) => message.reasoning_content)).toEqual([
    "The issue wants a count of words. I should read notes.txt first.",
    "Five words. Nothing to change, so I submit.",
  ]);

  const replay = await molt(["replay", run.out, "--print"]);
  expect(replay.exitCode).toBe(0);
  expect(replay.stdout).toMatch(/thinking[\s\S]*The issue wants a count of words\. I should read notes\.txt first\.[\s\S]*cat notes\.txt/i);
});

test("Claude models get mini-SWE-agent's cache breakpoint on the last message; others get none unless asked", async () => {
  const script = (): ScriptReply[] => [{ command: "cat notes.txt" }, { command: "wc -w notes.txt" }, SUBMIT];
  const marks = (request: RecordedRequest) =>
    request.messages.flatMap((message, index) => {
      const onParts = Array.isArray(message.content) && (message.content as { cache_control?: unknown }[]).some((part) => part.cache_control !== undefined);
      return message.cache_control !== undefined || onParts ? [index] : [];
    });

  const claude = await runWith("anthropic/claude-sonnet-4-5", script());
  expect(claude.exitCode).toBe(0);
  // One breakpoint, on the last message of each request, as {type: "ephemeral"}.
  expect(claude.server.requests.map(marks)).toEqual(claude.server.requests.map((request) => [request.messages.length - 1]));
  const last = claude.server.requests[2]!.messages.at(-1)!;
  expect(last.role).toBe("tool");
  expect(last.cache_control).toEqual({ type: "ephemeral" });
  expect(claude.server.requests[0]!.messages.at(-1)!.content).toEqual([{ type: "text", text: expect.stringContaining("Count the words"), cache_control: { type: "ephemeral" } }]);

  const gpt = await runWith("gpt-4.1", script());
  expect(gpt.server.requests.map(marks)).toEqual([[], [], []]);
  const off = await runWith("claude-haiku-4-5", script(), ["--cache-control", "none"]);
  expect(off.server.requests.map(marks)).toEqual([[], [], []]);
  const on = await runWith("qwen3-coder", script(), ["-c", "model.set_cache_control=default_end"]);
  expect(on.server.requests.map(marks)).toEqual(on.server.requests.map((request) => [request.messages.length - 1]));
});

test("the history is a pure prefix from request to request, through a tool written and loaded, two calls in one reply and a reply without a command", async () => {
  const claude = await runWith("claude-sonnet-4-5", [
    { thought: "A tool for this.", command: writeTool("count_words", COUNT_WORDS) },
    { command: "count_words --path notes.txt" },
    { toolCalls: [{ name: "bash", arguments: '{"command": "ls"}' }, { name: "bash", arguments: '{"command": "cat notes.txt"}' }] },
    { thought: "No command here." },
    SUBMIT,
  ]);
  expect(claude.exitCode).toBe(0);
  expect(ofType(claude, "tool_loaded").map((event) => event.name)).toEqual(["count_words"]);
  const requests = claude.server.requests;
  expect(requests).toHaveLength(5);
  for (let i = 1; i < requests.length; i++) {
    const before = unmarked(requests[i - 1]!);
    const after = unmarked(requests[i]!);
    expect(after.length).toBeGreaterThan(before.length);
    // Every message sent before is sent again exactly as it was, in the same place.
    expect(after.slice(0, before.length)).toEqual(before);
  }
  // Without marks, the bytes themselves are a prefix (what automatic prefix caching keys on).
  const gpt = await runWith("gpt-4.1", [{ command: "cat notes.txt" }, { command: "wc -w notes.txt" }, SUBMIT]);
  const bodies = gpt.server.requests.map((request) => JSON.stringify(request.messages));
  for (let i = 1; i < bodies.length; i++) expect(bodies[i]!.startsWith(bodies[i - 1]!.slice(0, -1))).toBe(true);
});

test("cached input in OpenAI's shape is priced at the cached price, in totals, the summary line and molt runs", async () => {
  const usage = { prompt: 100_000, completion: 500, cached: 80_000 };
  const run = await runWith("gpt-4.1", [{ command: "cat notes.txt", usage }, { ...SUBMIT, usage }]);
  expect(run.exitCode).toBe(0);
  const price = priceOf("gpt-4.1");
  const perStep = (20_000 * price.inPerMTok + 80_000 * price.cachedInPerMTok! + 500 * price.outPerMTok) / 1e6;
  expect(ofType(run, "model_response").map((reply) => reply.usage)).toEqual([
    { promptTokens: 100_000, completionTokens: 500, cachedTokens: 80_000, cacheWriteTokens: 0 },
    { promptTokens: 100_000, completionTokens: 500, cachedTokens: 80_000, cacheWriteTokens: 0 },
  ]);
  expect(totals(run)).toMatchObject({ promptTokens: 200_000, cachedTokens: 160_000, completionTokens: 1000 });
  expect(totals(run).cost).toBeCloseTo(2 * perStep, 10);
  // Well under what the same tokens cost fresh.
  expect(totals(run).cost).toBeLessThan(0.5 * costOf(price, { promptTokens: 200_000, completionTokens: 1000 }));
  expect(run.stdout).toMatch(/Submitted after 2 steps · 200\.0k tokens in \(80% cached\), 1000 out · \$0\.\d{4}/);

  const listed = await molt(["runs", join(run.out, ".."), "--json"]);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ promptTokens: 200_000, cachedTokens: 160_000, cost: totals(run).cost })]);
});

test("Anthropic's cache reads and writes passed through are priced at their own prices", async () => {
  // Anthropic counts input apart from the cache: 2,000 fresh, 30,000 read, 5,000 written.
  const run = await runWith("claude-sonnet-4-5", [{ command: "cat notes.txt", usage: { prompt: 2000, completion: 300, cacheRead: 30_000, cacheWrite: 5000 } }, SUBMIT]);
  expect(run.exitCode).toBe(0);
  const first = ofType(run, "model_response")[0]!;
  expect(first.usage).toEqual({ promptTokens: 37_000, completionTokens: 300, cachedTokens: 30_000, cacheWriteTokens: 5000 });
  const price = priceOf("claude-sonnet-4-5");
  expect(first.cost).toBeCloseTo((2000 * price.inPerMTok + 30_000 * price.cachedInPerMTok! + 5000 * price.cacheWritePerMTok! + 300 * price.outPerMTok) / 1e6, 10);
  expect(price.cachedInPerMTok).toBeLessThan(price.inPerMTok);
  expect(price.cacheWritePerMTok).toBeGreaterThan(price.inPerMTok);
});

test("--cost-limit holds to the true cost: cached input lets a run go on that fresh prices would stop", async () => {
  const script = (cached: number | undefined): ScriptReply[] => {
    const usage = { prompt: 1_000_000, completion: 0, ...(cached === undefined ? {} : { cached }) };
    return [{ command: "cat notes.txt", usage }, { command: "wc -w notes.txt", usage }, { ...SUBMIT, usage }];
  };
  const prices = ["--price-in", "1", "--price-out", "1", "--price-cached", "0.1", "--cost-limit", "0.5"];
  // $0.19 a step with 90% read from the cache: three steps fit under $0.50.
  const cached = await runWith("local-model", script(900_000), prices);
  expect(ofType(cached, "run_finished")[0]).toMatchObject({ exitStatus: "Submitted", totals: { steps: 3 } });
  expect(totals(cached).cost).toBeCloseTo(0.57, 10);
  // $1 a step without: the first step is already over the limit.
  const fresh = await runWith("local-model", script(undefined), prices);
  expect(ofType(fresh, "run_finished")[0]).toMatchObject({ exitStatus: "LimitsExceeded", totals: { steps: 1 } });
});
