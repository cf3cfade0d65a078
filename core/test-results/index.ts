export { findTest, verdictFor, type FoundTest, type MatchRule } from "./match.ts";
export { parseTestOutput, type ParsedRun, type Runner } from "./parse.ts";
export type { TestResult, TestResults, TestStatus } from "./verdicts.ts";
