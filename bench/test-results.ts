// What reading a large test output costs `molt eval`: real runners' output (the captured fixtures),
// made large by repeating its test files under new names, then parsed and searched for names.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findTest, parseTestOutput } from "../core/test-results/index.ts";
import { round } from "./step-overhead.ts";

const FIXTURES = fileURLToPath(new URL("../test/fixtures/test-output/", import.meta.url));

/** `copies` copies of a captured output, each with its tests renamed by `rename` (as a big suite has many). */
function enlarged(fixture: string, copies: number, rename: (text: string, index: number) => string): string {
  const text = readFileSync(FIXTURES + fixture, "utf8");
  return Array.from({ length: copies }, (_, index) => rename(text, index)).join("\n");
}

function measure(fixture: string, copies: number, rename: (text: string, index: number) => string) {
  const output = enlarged(fixture, copies, rename);
  const started = performance.now();
  const parsed = parseTestOutput(output);
  const parseMs = performance.now() - started;
  const names = [...parsed.results.keys()];
  const wanted = names.filter((_, index) => index % Math.max(1, Math.floor(names.length / 500)) === 0);
  const matchStarted = performance.now();
  const found = wanted.filter((name) => findTest(name, parsed.results) !== undefined).length;
  return {
    fixture,
    outputMb: round(Buffer.byteLength(output) / 1024 ** 2),
    tests: names.length,
    parseMs: round(parseMs),
    namesLooked: wanted.length,
    namesFound: found,
    matchMsPerName: round((performance.now() - matchStarted) / Math.max(1, wanted.length)),
  };
}

export function measureTestResults() {
  const before = process.memoryUsage().rss;
  const runs = [
    measure("jest-24-chained-coverage.txt", 2000, (text, index) => text.replaceAll(".test.", `.${index}.test.`)),
    measure("mocha-10-json-npm.txt", 2000, (text, index) => text.replaceAll('"fullTitle": "', `"fullTitle": "s${index} `)),
    measure("pytest-9-rA.txt", 2000, (text, index) => text.replaceAll("test_calc.py", `test_calc_${index}.py`)),
  ];
  return { runs, rssGrowthMb: round((process.memoryUsage().rss - before) / 1024 ** 2) };
}
