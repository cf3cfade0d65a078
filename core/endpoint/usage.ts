import type { Usage } from "../events/events.ts";

/**
 * Token counts as endpoints report them: OpenAI's `prompt_tokens_details.cached_tokens`,
 * DeepSeek's `prompt_cache_hit_tokens`, and Anthropic's `cache_read_input_tokens` /
 * `cache_creation_input_tokens` where an endpoint passes them through. `promptTokens` counts
 * every input token, cached or not.
 */
export function usageOf(reported: unknown): Usage {
  const usage = record(reported);
  const details = record(usage.prompt_tokens_details);
  const prompt = count(usage.prompt_tokens);
  const cached = count(details.cached_tokens) || count(usage.prompt_cache_hit_tokens) || count(usage.cache_read_input_tokens);
  const written = count(usage.cache_creation_input_tokens) || count(details.cache_write_tokens);
  // Anthropic's own counts leave the cache out of the input; OpenAI's include it.
  const promptTokens = cached + written > prompt ? prompt + cached + written : prompt;
  return { promptTokens, completionTokens: count(usage.completion_tokens), cachedTokens: cached, cacheWriteTokens: written };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
