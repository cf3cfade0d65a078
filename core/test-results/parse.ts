import { stripVTControlCharacters } from "node:util";
import { parseJest } from "./jest.ts";
import { parseMocha } from "./mocha.ts";
import { parseMochaJson } from "./mocha-json.ts";
import { parseNodeSpec } from "./node-spec.ts";
import { parsePytest } from "./pytest.ts";
import { parseTap } from "./tap.ts";
import type { TestResults } from "./verdicts.ts";
import { parseVitest } from "./vitest.ts";

export type Runner = "tap" | "node-spec" | "mocha" | "mocha-json" | "jest" | "vitest" | "pytest";

/**
 * How each runner's output is recognised: by its summary or its header, never by a test line,
 * since the markers (✔, ✓, ×) are shared. Only the runners recognised read the output, so one
 * runner's lines are never misread as another's.
 */
const SIGNATURES: Record<Runner, RegExp[]> = {
  tap: [/^TAP version \d+$/m, /^\s*1\.\.\d+\s*$/m],
  "node-spec": [/^ℹ (?:tests|pass|fail) \d+$/m],
  mocha: [/^\s*\d+ passing \(\d+m?s\)$/m, /^\s*\d+ failing$/m],
  "mocha-json": [/"stats": \{[^}]*"passes": \d+/],
  jest: [/^Test Suites: .*\d+ total$/m],
  vitest: [/^\s*Test Files\s+.*\(\d+\)$/m, /^\s*RUN\s+v\d+\.\d+/m],
  pytest: [/^=+ test session starts =+$/m, /^(?:PASSED|FAILED|ERROR) \S+::/m],
};

const PARSERS: Record<Runner, (lines: readonly string[], results: TestResults, text: string) => void> = {
  tap: parseTap,
  "node-spec": parseNodeSpec,
  mocha: parseMocha,
  "mocha-json": (_lines, results, text) => parseMochaJson(text, results),
  jest: parseJest,
  vitest: parseVitest,
  pytest: parsePytest,
};

export interface ParsedRun {
  /** The runners whose output was recognised; empty when none was. */
  runners: Runner[];
  results: TestResults;
}

/** The per-test verdicts in a test command's output (colours and carriage returns allowed). */
export function parseTestOutput(output: string): ParsedRun {
  const text = stripVTControlCharacters(output).replace(/\r\n?/g, "\n");
  const runners = (Object.keys(SIGNATURES) as Runner[]).filter((runner) => SIGNATURES[runner].some((signature) => signature.test(text)));
  const lines = text.split("\n");
  const results: TestResults = new Map();
  for (const runner of runners) PARSERS[runner](lines, results, text);
  return { runners, results };
}
