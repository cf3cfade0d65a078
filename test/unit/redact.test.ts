import { describe, expect, test } from "vitest";
import { urlSecrets } from "../../core/endpoint/url-secrets.ts";
import type { MoltEvent } from "../../core/events/events.ts";
import { RedactedEvents } from "../../core/events/redacted-events.ts";
import { Redactor } from "../../core/events/redact.ts";

const KEY = "sk-test-0123456789abcdefghijklmnopqrstuv";

describe("Redactor", () => {
  const redactor = new Redactor([KEY, "short", undefined]);

  test("hides a secret whole, and any 8 characters of it in a row, wherever they stand", () => {
    expect(redactor.text(`key=${KEY}.`)).toBe("key=[REDACTED].");
    expect(redactor.text(`head ${KEY.slice(0, 12)}\n[elided]\n${KEY.slice(30)} tail`)).toBe("head [REDACTED]\n[elided]\n[REDACTED] tail");
    expect(redactor.text(`${KEY.slice(0, 20)} ${KEY.slice(20)}`)).toBe("[REDACTED] [REDACTED]");
  });

  test("leaves fewer than 8 characters of a secret, and secrets shorter than 8, alone", () => {
    expect(redactor.text(`sk-test and ${KEY.slice(10, 17)}`)).toBe(`sk-test and ${KEY.slice(10, 17)}`);
    expect(redactor.text("a short story")).toBe("a short story");
  });

  test("walks every string of a value", () => {
    expect(redactor.value({ a: [KEY, 1, { b: `x${KEY}` }], c: null })).toEqual({ a: ["[REDACTED]", 1, { b: "x[REDACTED]" }], c: null });
  });

  test("replaces exact texts, such as a URL shown without its password", () => {
    const url = new Redactor([], [["http://me:pw@host/v1", "http://[REDACTED]@host/v1"]]);
    expect(url.text("at http://me:pw@host/v1 now")).toBe("at http://[REDACTED]@host/v1 now");
  });

  test("holds back the end of a growing text that could still be part of a secret", () => {
    expect(redactor.pendingTail(`the key is ${KEY.slice(0, 5)}`)).toBeGreaterThanOrEqual(5);
    expect(redactor.pendingTail("the key is !")).toBe(0);
  });
});

describe("RedactedEvents", () => {
  const delta = (text: string): MoltEvent => ({ type: "model_delta", step: 1, text, ts: 0 });

  test("a secret streamed in 3-character pieces never shows, in part or whole; the rest of the text does, in order", () => {
    const screen = new RedactedEvents(new Redactor([KEY])).screen;
    const text = `The key ${KEY} is secret.`;
    const shown: string[] = [];
    for (const piece of text.match(/[\s\S]{1,3}/g)!) for (const event of screen(delta(piece))) if (event.type === "model_delta") shown.push(event.text);
    for (const event of screen({ type: "model_request", step: 2, messages: 3, ts: 1 })) if (event.type === "model_delta") shown.push(event.text);
    // Not even 4 characters of the key in a row, in any piece.
    for (const piece of shown) for (let at = 0; at + 4 <= piece.length; at++) expect(KEY).not.toContain(piece.slice(at, at + 4));
    expect(shown.join("")).toBe("The key [REDACTED] is secret.");
  });
});

describe("urlSecrets", () => {
  test("the user information and secret-looking query values, hidden in a URL that can still be read", () => {
    expect(urlSecrets("https://me:pa55@example.com/v1?api-version=2024&api-key=abc%2B1&sig=xyz#frag")).toEqual({
      shown: "https://[REDACTED]@example.com/v1?api-version=2024&api-key=[REDACTED]&sig=[REDACTED]#frag",
      secrets: ["me", "pa55", "abc%2B1", "abc+1", "xyz"],
    });
    expect(urlSecrets("https://api.openai.com/v1")).toBeUndefined();
    expect(urlSecrets("not a url")).toBeUndefined();
  });
});
