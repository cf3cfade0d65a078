import { describe, expect, test } from "vitest";
import { costOf, priceOf } from "../../core/pricing.ts";

describe("priceOf", () => {
  test("an exact known name has its price", () => {
    expect(priceOf("gpt-4o")).toEqual({ inPerMTok: 2.5, outPerMTok: 10, cachedInPerMTok: 1.25 });
    expect(priceOf("gpt-4o-mini")).toEqual({ inPerMTok: 0.15, outPerMTok: 0.6, cachedInPerMTok: 0.075 });
    expect(priceOf("claude-sonnet-4-5")).toMatchObject({ inPerMTok: 3, outPerMTok: 15 });
  });

  test("names are matched case-insensitively", () => {
    expect(priceOf("GPT-4o")).toEqual(priceOf("gpt-4o"));
  });

  test("a router prefix is ignored", () => {
    expect(priceOf("openai/gpt-4o")).toEqual(priceOf("gpt-4o"));
    expect(priceOf("deepseek/deepseek-chat")).toEqual(priceOf("deepseek-chat"));
  });

  test("a dated suffix is ignored", () => {
    expect(priceOf("gpt-4o-2024-08-06")).toEqual(priceOf("gpt-4o"));
    expect(priceOf("claude-sonnet-4-5-20250929")).toEqual(priceOf("claude-sonnet-4-5"));
  });

  test("a router prefix and a dated suffix together", () => {
    expect(priceOf("openai/gpt-4.1-mini-2025-04-14")).toEqual(priceOf("gpt-4.1-mini"));
  });

  test("the longest known name wins", () => {
    expect(priceOf("gpt-4o-mini-2024-07-18")).toEqual(priceOf("gpt-4o-mini"));
    expect(priceOf("gpt-4o-mini-2024-07-18")).not.toEqual(priceOf("gpt-4o"));
    expect(priceOf("o3-mini-2025-01-31")).toEqual(priceOf("o3-mini"));
    expect(priceOf("claude-sonnet-4-20250514")).toEqual(priceOf("claude-sonnet-4"));
    expect(priceOf("claude-sonnet-4-20250514")).not.toEqual(priceOf("claude-opus-4-1"));
  });

  test("a known name must be a whole word of the model's name", () => {
    // "gpt-4o" must not price "gpt-4oX", nor "o3" price "o3x".
    expect(priceOf("gpt-4ox")).toEqual({ inPerMTok: 0, outPerMTok: 0 });
    expect(priceOf("o3x")).toEqual({ inPerMTok: 0, outPerMTok: 0 });
  });

  test("an unknown model is free", () => {
    expect(priceOf("qwen2.5-coder-32b-instruct")).toEqual({ inPerMTok: 0, outPerMTok: 0 });
    expect(priceOf("")).toEqual({ inPerMTok: 0, outPerMTok: 0 });
    expect(costOf(priceOf("my-local-llama"), { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBe(0);
  });

  // OpenRouter names Claude versions with a dot ("anthropic/claude-sonnet-4.5"); priced as free, --cost-limit would never stop a run.
  test("OpenRouter's dotted Claude version names are priced", () => {
    expect(priceOf("anthropic/claude-sonnet-4.5")).toEqual(priceOf("claude-sonnet-4-5"));
  });
});

describe("costOf", () => {
  test("prices input and output tokens per million", () => {
    const price = { inPerMTok: 2.5, outPerMTok: 10 };
    expect(costOf(price, { promptTokens: 1_000_000, completionTokens: 0 })).toBeCloseTo(2.5, 12);
    expect(costOf(price, { promptTokens: 0, completionTokens: 1_000_000 })).toBeCloseTo(10, 12);
    expect(costOf(price, { promptTokens: 12_000, completionTokens: 800 })).toBeCloseTo(0.03 + 0.008, 12);
  });

  test("no tokens cost nothing", () => {
    expect(costOf({ inPerMTok: 15, outPerMTok: 75 }, { promptTokens: 0, completionTokens: 0 })).toBe(0);
  });

  test("cached input is priced at the cached price, cache writes at theirs, the rest of the input at the fresh price", () => {
    const claude = priceOf("anthropic/claude-sonnet-4-5");
    expect(claude).toEqual({ inPerMTok: 3, outPerMTok: 15, cachedInPerMTok: 0.3, cacheWritePerMTok: 3.75 });
    // 100,000 input tokens of which 90,000 read from the cache and 8,000 written to it: 2,000 fresh.
    const usage = { promptTokens: 100_000, completionTokens: 1_000, cachedTokens: 90_000, cacheWriteTokens: 8_000 };
    expect(costOf(claude, usage)).toBeCloseTo((2_000 * 3 + 90_000 * 0.3 + 8_000 * 3.75 + 1_000 * 15) / 1e6, 12);
    // Without the cache it would have cost several times as much.
    expect(costOf(claude, { promptTokens: 100_000, completionTokens: 1_000 }) / costOf(claude, usage)).toBeGreaterThan(4);
    // A model whose cached price is not known pays the fresh price for cached input.
    expect(costOf({ inPerMTok: 1, outPerMTok: 2 }, { promptTokens: 1_000_000, completionTokens: 0, cachedTokens: 500_000 })).toBeCloseTo(1, 12);
  });

  test("works with a looked-up price", () => {
    expect(costOf(priceOf("gpt-4o-mini"), { promptTokens: 2_000_000, completionTokens: 500_000 })).toBeCloseTo(2 * 0.15 + 0.5 * 0.6, 12);
  });
});
