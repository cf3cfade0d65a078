import { z } from "zod";

export const EvalStatus = z.enum(["resolved", "unresolved", "error", "untested"]);
export type EvalStatus = z.infer<typeof EvalStatus>;

const ListVerdict = z.object({ passed: z.array(z.string()), failed: z.array(z.string()), skipped: z.array(z.string()) });
const SuccessFailure = z.object({ success: z.array(z.string()), failure: z.array(z.string()) });
const NamedTestVerdict = z.object({ name: z.string(), status: z.enum(["passed", "failed", "skipped", "missing"]), matched: z.array(z.string()) });

/** How the verdicts were read: the runners' per-test results (parser), the exit code, or nothing. */
export const VerdictsFrom = z.object({
  method: z.enum(["parser", "exit code", "none"]),
  parsers: z.array(z.string()),
  results: z.number().int(),
  why: z.string(),
});

/** One instance's evaluation, as `molt eval` writes it into report.json. */
export const InstanceEval = z.object({
  resolved: z.boolean(),
  status: EvalStatus,
  reason: z.string(),
  /** Set when the model's patch was empty (such instances are unresolved, their tests not run). */
  emptyPatch: z.boolean(),
  tests: z.object({ FAIL_TO_PASS: ListVerdict, PASS_TO_PASS: ListVerdict }).nullable(),
  /** What decided: the per-test verdicts or the test command's exit code; null when the tests did not run or nothing could decide. */
  decidedBy: z.enum(["tests", "exit code"]).nullable(),
  /** SWE-bench's tests_status: each list's tests that passed (success) and that failed or were missing (failure). */
  tests_status: z.object({ FAIL_TO_PASS: SuccessFailure, PASS_TO_PASS: SuccessFailure }).nullable(),
  /** Each named test: passed, failed, skipped or missing, and the output's tests it was found as. */
  namedTests: z.object({ FAIL_TO_PASS: z.array(NamedTestVerdict), PASS_TO_PASS: z.array(NamedTestVerdict) }).nullable(),
  /** How the verdicts were read; null when the tests did not run. */
  verdictsFrom: VerdictsFrom.nullable(),
  /** Names that stood for several tests of the output, and whose verdict was taken. */
  ambiguous: z.array(z.object({ name: z.string(), list: z.enum(["FAIL_TO_PASS", "PASS_TO_PASS"]), matched: z.array(z.string()), took: z.string(), status: z.enum(["passed", "failed", "skipped"]) })),
  /** The test runners recognised in the output. */
  runners: z.array(z.string()),
  testCmd: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  ms: z.number(),
  /** SWE-RL's reward against the gold patch: the patches' similarity, −1 for a malformed patch; null without a gold patch. */
  reward: z.number().nullable(),
});
export type InstanceEval = z.infer<typeof InstanceEval>;

/** report.json: SWE-bench's report keys, then molt's per-instance details. */
export const EvalReport = z.object({
  total_instances: z.number().int(),
  submitted_instances: z.number().int(),
  completed_instances: z.number().int(),
  resolved_instances: z.number().int(),
  unresolved_instances: z.number().int(),
  error_instances: z.number().int(),
  empty_patch_instances: z.number().int(),
  resolved_ids: z.array(z.string()),
  unresolved_ids: z.array(z.string()),
  error_ids: z.array(z.string()),
  empty_patch_ids: z.array(z.string()),
  /** Submitted instances with neither a test_patch nor a test_cmd: only their reward is known. */
  untested_ids: z.array(z.string()),
  /** Submitted instances not evaluated: the evaluation was stopped first. */
  incomplete_ids: z.array(z.string()),
  mean_reward: z.number().nullable(),
  instances: z.record(z.string(), InstanceEval),
});
export type EvalReport = z.infer<typeof EvalReport>;

/**
 * The report of an evaluation: `totalInstances` counts the task file's instances, `submitted` names
 * those with a prediction, `evaluated` holds those whose evaluation ended.
 */
export function buildReport(totalInstances: number, submitted: readonly string[], evaluated: ReadonlyMap<string, InstanceEval>): EvalReport {
  const entries = [...evaluated.entries()].sort(([a], [b]) => a.localeCompare(b));
  const ids = (status: EvalStatus) => entries.filter(([, entry]) => entry.status === status).map(([id]) => id);
  const rewards = entries.map(([, entry]) => entry.reward).filter((reward): reward is number => reward !== null);
  const resolved = ids("resolved");
  const unresolved = ids("unresolved");
  const errors = ids("error");
  const empty = entries.filter(([, entry]) => entry.emptyPatch).map(([id]) => id);
  return {
    total_instances: totalInstances,
    submitted_instances: submitted.length,
    completed_instances: resolved.length + unresolved.length,
    resolved_instances: resolved.length,
    unresolved_instances: unresolved.length,
    error_instances: errors.length,
    empty_patch_instances: empty.length,
    resolved_ids: resolved,
    unresolved_ids: unresolved,
    error_ids: errors,
    empty_patch_ids: empty,
    untested_ids: ids("untested"),
    incomplete_ids: submitted.filter((id) => !evaluated.has(id)).sort((a, b) => a.localeCompare(b)),
    mean_reward: rewards.length > 0 ? rewards.reduce((sum, value) => sum + value, 0) / rewards.length : null,
    instances: Object.fromEntries(entries),
  };
}
