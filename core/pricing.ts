import { z } from "zod";

/** USD per million tokens, input and output, as the providers list them. */
export const Price = z.object({ inPerMTok: z.number().nonnegative(), outPerMTok: z.number().nonnegative() });
export type Price = z.infer<typeof Price>;

const PRICES: Record<string, Price> = {
  "gpt-4o": { inPerMTok: 2.5, outPerMTok: 10 },
  "gpt-4o-mini": { inPerMTok: 0.15, outPerMTok: 0.6 },
  "gpt-4.1": { inPerMTok: 2, outPerMTok: 8 },
  "gpt-4.1-mini": { inPerMTok: 0.4, outPerMTok: 1.6 },
  "gpt-4.1-nano": { inPerMTok: 0.1, outPerMTok: 0.4 },
  "gpt-5": { inPerMTok: 1.25, outPerMTok: 10 },
  "gpt-5-mini": { inPerMTok: 0.25, outPerMTok: 2 },
  "gpt-5-nano": { inPerMTok: 0.05, outPerMTok: 0.4 },
  o3: { inPerMTok: 2, outPerMTok: 8 },
  "o3-mini": { inPerMTok: 1.1, outPerMTok: 4.4 },
  "o4-mini": { inPerMTok: 1.1, outPerMTok: 4.4 },
  "claude-sonnet-4": { inPerMTok: 3, outPerMTok: 15 },
  "claude-sonnet-4-5": { inPerMTok: 3, outPerMTok: 15 },
  "claude-opus-4-1": { inPerMTok: 15, outPerMTok: 75 },
  "claude-haiku-4-5": { inPerMTok: 1, outPerMTok: 5 },
  // OpenRouter spells Claude versions with a dot.
  "claude-sonnet-4.5": { inPerMTok: 3, outPerMTok: 15 },
  "claude-opus-4.1": { inPerMTok: 15, outPerMTok: 75 },
  "claude-haiku-4.5": { inPerMTok: 1, outPerMTok: 5 },
  "gemini-2.5-pro": { inPerMTok: 1.25, outPerMTok: 10 },
  "gemini-2.5-flash": { inPerMTok: 0.3, outPerMTok: 2.5 },
  "deepseek-chat": { inPerMTok: 0.27, outPerMTok: 1.1 },
  "deepseek-reasoner": { inPerMTok: 0.55, outPerMTok: 2.19 },
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

export function costOf(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.inPerMTok + completionTokens * price.outPerMTok) / 1_000_000;
}
