import { describe, expect, test } from "vitest";
import { OutputCapture } from "../../sandbox/output-capture.ts";

/** Deterministic ASCII text in which every position differs from its neighbours. */
function asciiText(length: number, seed = 0): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(33 + ((i * 7 + seed) % 90));
  return out;
}

function capture(chunks: Iterable<Buffer>): ReturnType<OutputCapture["finish"]> {
  const capture = new OutputCapture();
  for (const chunk of chunks) capture.write(chunk);
  return capture.finish();
}

describe("OutputCapture", () => {
  test("nothing written gives empty output", () => {
    expect(capture([])).toEqual({ output: "", outputTail: "", elidedChars: 0 });
  });

  test("output under 10,000 characters is kept whole", () => {
    const text = asciiText(7_321);
    expect(capture([Buffer.from(text)])).toEqual({ output: text, outputTail: "", elidedChars: 0 });
  });

  test("output under 10,000 characters written in many small chunks is kept whole", () => {
    const text = asciiText(9_000);
    const chunks = [];
    for (let i = 0; i < text.length; i += 37) chunks.push(Buffer.from(text.slice(i, i + 37)));
    expect(capture(chunks)).toEqual({ output: text, outputTail: "", elidedChars: 0 });
  });

  test("exactly 10,000 characters are kept whole", () => {
    const text = asciiText(10_000);
    expect(capture([Buffer.from(text)])).toEqual({ output: text, outputTail: "", elidedChars: 0 });
  });

  test("10,001 characters elide exactly one, in the middle", () => {
    const text = asciiText(10_001);
    const result = capture([Buffer.from(text)]);
    expect(result.elidedChars).toBe(1);
    expect(result.output).toBe(text.slice(0, 5000));
    expect(result.outputTail).toBe(text.slice(-5000));
  });

  test("a 30 MB stream in 64 KiB chunks keeps the exact head and tail and counts the rest", () => {
    const total = 30 * 1024 * 1024;
    const all = Buffer.alloc(total);
    // Varying bytes, so a head or tail taken from the wrong place cannot compare equal.
    for (let i = 0; i < total; i++) all[i] = 33 + ((i * 31 + Math.floor(i / 977)) % 90);
    const chunk = 64 * 1024;
    const capturer = new OutputCapture();
    for (let offset = 0; offset < total; offset += chunk) capturer.write(all.subarray(offset, offset + chunk));
    const result = capturer.finish();
    expect(result.output).toBe(all.subarray(0, 5000).toString("latin1"));
    expect(result.outputTail).toBe(all.subarray(total - 5000).toString("latin1"));
    expect(result.elidedChars).toBe(total - 10_000);
  });

  test("the head and tail sizes can be chosen", () => {
    const capturer = new OutputCapture(3, 4);
    capturer.write(Buffer.from("abcdefghijkl"));
    expect(capturer.finish()).toEqual({ output: "abc", outputTail: "ijkl", elidedChars: 5 });
  });

  test.each([
    ["é (2 bytes)", "é"],
    ["€ (3 bytes)", "€"],
    ["😀 (4 bytes)", "😀"],
  ])("%s split across chunks at every byte is decoded whole", (_label, char) => {
    const text = `a${char}b${char}${char}c`;
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const result = capture([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(result.output).toBe(text);
      expect(result.output).not.toContain("\uFFFD");
    }
  });

  test("multi-byte characters fed one byte per chunk are decoded whole", () => {
    const text = "naïve café — 日本語 😀 ok";
    const bytes = Buffer.from(text, "utf8");
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(capture(chunks).output).toBe(text);
  });

  test("multi-byte characters split across chunks in the tail of a long output are decoded whole", () => {
    const head = asciiText(6_000);
    const tailText = "→ résumé 😀 ".repeat(600);
    const bytes = Buffer.from(head + tailText, "utf8");
    const chunks = [];
    // 4099 is odd and prime: the cuts land in the middle of many multi-byte characters.
    for (let offset = 0; offset < bytes.length; offset += 4099) chunks.push(bytes.subarray(offset, offset + 4099));
    const result = capture(chunks);
    const whole = head + tailText;
    expect(result.output).toBe(whole.slice(0, 5000));
    expect(result.outputTail).toBe(whole.slice(-5000));
    expect(result.outputTail).not.toContain("\uFFFD");
    expect(result.elidedChars).toBe(whole.length - 10_000);
  });
});
