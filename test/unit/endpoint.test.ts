import { expect, test } from "vitest";
import { baseUrlProblem, endpointName } from "../../core/endpoint/endpoint-name.ts";
import { usageOf } from "../../core/endpoint/usage.ts";

// The usage objects below are shaped as each provider documents its chat-completions usage.

test.each([
  ["OpenAI: cached tokens are part of prompt_tokens", { prompt_tokens: 2006, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1920 } }, { promptTokens: 2006, cachedTokens: 1920, cacheWriteTokens: 0 }],
  ["DeepSeek: hits and misses add up to prompt_tokens", { prompt_tokens: 1500, completion_tokens: 20, prompt_cache_hit_tokens: 1280, prompt_cache_miss_tokens: 220 }, { promptTokens: 1500, cachedTokens: 1280, cacheWriteTokens: 0 }],
  ["Anthropic passed through: input_tokens leave the cache out", { prompt_tokens: 12, completion_tokens: 40, cache_read_input_tokens: 9000, cache_creation_input_tokens: 1100 }, { promptTokens: 10_112, cachedTokens: 9000, cacheWriteTokens: 1100 }],
  ["LiteLLM's Anthropic: prompt_tokens already hold the cache", { prompt_tokens: 10_112, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 9000 }, cache_read_input_tokens: 9000, cache_creation_input_tokens: 1100 }, { promptTokens: 10_112, cachedTokens: 9000, cacheWriteTokens: 1100 }],
  ["a local server: no cache fields", { prompt_tokens: 812, completion_tokens: 64, total_tokens: 876 }, { promptTokens: 812, cachedTokens: 0, cacheWriteTokens: 0 }],
  ["nonsense: nothing counted", { prompt_tokens: "many", completion_tokens: -3, prompt_tokens_details: null }, { promptTokens: 0, cachedTokens: 0, cacheWriteTokens: 0 }],
])("%s", (_shape, reported, expected) => {
  expect(usageOf(reported)).toMatchObject(expected);
});

test("an endpoint is named with its scheme, host, port and path", () => {
  expect(endpointName(undefined)).toBe("https://api.openai.com:443/v1");
  expect(endpointName("http://localhost:11434/v1/")).toBe("http://localhost:11434/v1");
  expect(endpointName("https://openrouter.ai/api/v1")).toBe("https://openrouter.ai:443/api/v1");
});

test.each([
  ["http://localhost:8000/v1", undefined],
  ["https://api.deepseek.com", undefined],
  ["localhost:8000/v1", "it has no scheme: write http://localhost:8000/v1 (or https://)"],
  ["ws://localhost:8000/v1", "molt speaks http and https, not ws"],
  ["http://127.0.0.1:6000/v1", 'port 6000 is one that HTTP clients refuse to use ("bad port"); use another port'],
  ["http://exa mple.com/v1", "it is not a URL"],
])("base URL %s", (url, problem) => {
  expect(baseUrlProblem(url)).toBe(problem);
});
