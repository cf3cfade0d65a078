import { z } from "zod";

/** USD per million tokens, as the providers list them: fresh input, output, and input read from or written to the prompt cache. */
export const Price = z.object({
  inPerMTok: z.number().nonnegative(),
  outPerMTok: z.number().nonnegative(),
  /** Input read from the cache; the fresh price when the model's is not known. */
  cachedInPerMTok: z.number().nonnegative().optional(),
  /** Input written to the cache (Claude); the fresh price when not known. */
  cacheWritePerMTok: z.number().nonnegative().optional(),
});
export type Price = z.infer<typeof Price>;

const claude = (inPerMTok: number, outPerMTok: number): Price => ({ inPerMTok, outPerMTok, cachedInPerMTok: inPerMTok / 10, cacheWritePerMTok: inPerMTok * 1.25 });

const PRICES: Record<string, Price> = {
  "gpt-4o": { inPerMTok: 2.5, outPerMTok: 10, cachedInPerMTok: 1.25 },
  "gpt-4o-mini": { inPerMTok: 0.15, outPerMTok: 0.6, cachedInPerMTok: 0.075 },
  "gpt-4.1": { inPerMTok: 2, outPerMTok: 8, cachedInPerMTok: 0.5 },
  "gpt-4.1-mini": { inPerMTok: 0.4, outPerMTok: 1.6, cachedInPerMTok: 0.1 },
  "gpt-4.1-nano": { inPerMTok: 0.1, outPerMTok: 0.4, cachedInPerMTok: 0.025 },
  "gpt-5": { inPerMTok: 1.25, outPerMTok: 10, cachedInPerMTok: 0.125 },
  "gpt-5-mini": { inPerMTok: 0.25, outPerMTok: 2, cachedInPerMTok: 0.025 },
  "gpt-5-nano": { inPerMTok: 0.05, outPerMTok: 0.4, cachedInPerMTok: 0.005 },
  o3: { inPerMTok: 2, outPerMTok: 8, cachedInPerMTok: 0.5 },
  "o3-mini": { inPerMTok: 1.1, outPerMTok: 4.4, cachedInPerMTok: 0.55 },
  "o4-mini": { inPerMTok: 1.1, outPerMTok: 4.4, cachedInPerMTok: 0.275 },
  "claude-sonnet-4": claude(3, 15),
  "claude-sonnet-4-5": claude(3, 15),
  "claude-opus-4-1": claude(15, 75),
  "claude-haiku-4-5": claude(1, 5),
  // OpenRouter spells Claude versions with a dot.
  "claude-sonnet-4.5": claude(3, 15),
  "claude-opus-4.1": claude(15, 75),
  "claude-haiku-4.5": claude(1, 5),
  "gemini-2.5-pro": { inPerMTok: 1.25, outPerMTok: 10, cachedInPerMTok: 0.31 },
  "gemini-2.5-flash": { inPerMTok: 0.3, outPerMTok: 2.5, cachedInPerMTok: 0.075 },
  "deepseek-chat": { inPerMTok: 0.27, outPerMTok: 1.1, cachedInPerMTok: 0.07 },
  "deepseek-reasoner": { inPerMTok: 0.55, outPerMTok: 2.19, cachedInPerMTok: 0.14 },
};

const FREE: Price = { inPerMTok: 0, outPerMTok: 0 };

/**
 * The price of a model by name. Router prefixes ("openai/gpt-4o") and dated suffixes
 * ("gpt-4o-2024-08-06") are ignored; the longest known name that starts the model's name wins.
 * An unknown model is free: the step limit still bounds the run.
 */
export function priceOf(model: string): Price {
  const name = model.toLowerCase().split("/").at(-1) ?? "";
  let best: string | undefined;
  for (const known of Object.keys(PRICES)) {
    const matches = name === known || name.startsWith(`${known}-`) || name.startsWith(`${known}:`);
    if (matches && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined ? FREE : PRICES[best]!;
}

/** What a reply cost: fresh input, cached input and cache writes each at their own price, and the output. */
export function costOf(price: Price, usage: { promptTokens: number; completionTokens: number; cachedTokens?: number; cacheWriteTokens?: number }): number {
  const cached = usage.cachedTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const fresh = Math.max(usage.promptTokens - cached - written, 0);
  return (
    fresh * price.inPerMTok +
    cached * (price.cachedInPerMTok ?? price.inPerMTok) +
    written * (price.cacheWritePerMTok ?? price.inPerMTok) +
    usage.completionTokens * price.outPerMTok
  ) / 1_000_000;
}
