import { ExitStatus } from "../events/events.ts";

/**
 * mini-SWE-agent's exit status is the name of whatever ended the run (an exception class, often
 * one of LiteLLM's): molt's status nearest to it, and a reason that keeps the original.
 */
export function mapExitStatus(status: string): { exitStatus: ExitStatus; reason: string } {
  const exact = ExitStatus.safeParse(status);
  if (exact.success) return { exitStatus: exact.data, reason: exact.data === "Submitted" ? "the agent submitted" : `the run ended with ${status}` };
  return { exitStatus: nearest(status), reason: `the run ended with "${status}"` };
}

function nearest(status: string): ExitStatus {
  if (/submit/i.test(status)) return "Submitted";
  if (/limit|exceeded|budget/i.test(status) && !/context/i.test(status)) return "LimitsExceeded";
  if (/interrupt|keyboard|cancel|abort|not ?approved|reject/i.test(status)) return "Interrupted";
  if (/format/i.test(status)) return "RepeatedFormatError";
  if (/time ?out|time ?(limit|exceeded)/i.test(status)) return "TimeExceeded";
  if (/model|api|rate|auth|request|context|provider|litellm|openai|anthropic|service|connection|content ?policy|token/i.test(status)) return "ModelError";
  // Anything else broke in the harness or where the commands ran.
  return "EnvironmentError";
}
