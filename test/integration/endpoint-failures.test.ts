import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import type { ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir } from "../helpers.ts";

// How runs end when real endpoints refuse: each provider's context-length error, a missing model,
// with messages that name the endpoint and the model and say what to do. Served over real HTTP.

const SUBMIT: ScriptReply = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
const serve = scriptedServers();
afterEach(cleanUp);

async function runAgainst(model: string, script: ScriptReply[], args: string[] = []) {
  const repo = await makeRepo({ "notes.txt": "the cat saw the dog\n" });
  const server = await serve(script);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "Count the words", "--model", model, "--base-url", server.url, "--output", out, "--plain", "--no-evolve", ...args]);
  const events = existsSync(join(out, "events.jsonl")) ? (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line))) : [];
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const finished = events.findLast((event): event is EventOf<"run_finished"> => event.type === "run_finished");
  const retries = events.filter((event) => event.type === "model_retry");
  return { ...result, server, finished, retries };
}

// What each provider sends when the conversation no longer fits (status, error body), as they send it.
const CONTEXT_ERRORS: [string, { status: number; message: string; code?: string | number; type?: string; param?: string }][] = [
  [
    "OpenAI",
    {
      status: 400,
      message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      code: "context_length_exceeded",
      type: "invalid_request_error",
      param: "messages",
    },
  ],
  ["Anthropic", { status: 400, message: "prompt is too long: 208310 tokens > 200000 maximum", type: "invalid_request_error" }],
  [
    "vLLM",
    {
      status: 400,
      message: "This model's maximum context length is 32768 tokens. However, you requested 33210 tokens (31210 in the messages, 2000 in the completion). Please reduce the length of the messages or completion.",
      type: "BadRequestError",
      code: 400,
    },
  ],
  ["llama.cpp", { status: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error", code: 400 }],
  ["Ollama", { status: 500, message: "prompt too long; exceeded max context length by 1042 tokens", type: "api_error" }],
  [
    "OpenRouter",
    {
      status: 400,
      message: "This endpoint's maximum context length is 200000 tokens. However, you requested about 251234 tokens (249234 of text input, 2000 in the output). Please reduce the length of either one, or use the \"middle-out\" transform to compress your prompt automatically.",
      code: 400,
    },
  ],
  ["Gemini", { status: 400, message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", type: "invalid_request_error" }],
];

test.each(CONTEXT_ERRORS)("%s's context-length error ends the run at once: ContextWindowExceeded, exit 1, the history's size and what to do", async (_provider, error) => {
  const run = await runAgainst("m", [{ command: "cat notes.txt", usage: { prompt: 127_500, completion: 40 } }, { error }, SUBMIT]);
  expect(run.exitCode).toBe(1);
  // Not retried: asking again with the same history cannot fit it.
  expect(run.retries).toEqual([]);
  expect(run.server.served()).toBe(2);
  expect(run.finished?.exitStatus).toBe("ContextWindowExceeded");
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^molt: ContextWindowExceeded: the conversation no longer fits the context window of m at ${run.server.url.replace(/[./]/g, "\\$&")}: .+; the history was 127500 tokens at the last reply\\. Use a model with a larger context window, or keep the run shorter \\(--step-limit\\) and its outputs smaller`));
});

test("an error that only looks long is still retried: a 500 that says nothing of context", async () => {
  const run = await runAgainst("m", [{ error: { status: 500, message: "upstream connect error or disconnect/reset before headers" } }, SUBMIT]);
  expect(run.exitCode).toBe(0);
  expect(run.retries).toHaveLength(1);
});

test("a model the endpoint does not have (404) is not retried, and the line says what to check", async () => {
  const run = await runAgainst("gpt-9", [{ error: { status: 404, message: "The model `gpt-9` does not exist or you do not have access to it.", code: "model_not_found" } }, SUBMIT]);
  expect(run.exitCode).toBe(1);
  expect(run.server.served()).toBe(1);
  expect(run.stderr.trim()).toBe(
    `molt: ModelError: ${run.server.url} (model gpt-9) answered 404: no such model, or no /chat/completions there; check --model and --base-url: The model \`gpt-9\` does not exist or you do not have access to it.`,
  );
});

test("a 403 and a 400 that names no parameter are not retried either", async () => {
  const denied = await runAgainst("m", [{ error: { status: 403, message: "Project does not have access to model m" } }, SUBMIT]);
  expect(denied.exitCode).toBe(1);
  expect(denied.server.served()).toBe(1);
  expect(denied.stderr.trim()).toBe(`molt: ModelError: ${denied.server.url} (model m) denied access (HTTP 403): Project does not have access to model m`);
  const refused = await runAgainst("m", [{ error: { status: 400, message: "messages: roles must alternate" } }, SUBMIT]);
  expect(refused.server.served()).toBe(1);
  expect(refused.stderr.trim()).toBe(`molt: ModelError: ${refused.server.url} (model m) rejected the request (HTTP 400): messages: roles must alternate`);
});

test("one attempt is one attempt", async () => {
  const run = await runAgainst("m", [{ error: { status: 503, message: "overloaded" } }, SUBMIT], ["--retries", "0"]);
  expect(run.exitCode).toBe(1);
  expect(run.stderr.trim()).toBe(`molt: ModelError: ${run.server.url} (model m) kept failing: HTTP 503: overloaded; gave up after 1 attempt`);
});
