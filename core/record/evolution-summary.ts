import type { MoltEvent } from "../events/events.ts";

/**
 * A run's self-evolution in numbers, as the Live-SWE-agent paper measures it: how many tools the
 * agent wrote, how many survived, how often it used them. Only the agent's own work counts (step 1
 * on): loading the library before the first step (step 0) is not evolution. Helpers (files whose
 * names start with "_") are not tools and are left out.
 */
export interface EvolutionSummary {
  /** Versions of tools the agent wrote. */
  toolVersionsWritten: number;
  /** Of those, the versions that passed every check and were loaded. */
  accepted: number;
  rejected: { validate: number; load: number; examples: number };
  rejectedTotal: number;
  /** Calls of evolved tools, from the library or written in the run. */
  toolCalls: number;
  stepsWithToolCall: number;
  steps: number;
  /** stepsWithToolCall / steps; 0 for a run without steps. */
  shareOfStepsUsingTools: number;
  /** Times to validate, and to validate and load, a version: undefined when there were none. */
  validationMs: Timing | undefined;
  loadMs: Timing | undefined;
  /** How many tools the run added: names the library did not have at the start, loaded at least once. */
  toolsCreated: number;
  newTools: string[];
  /** Every tool written or called in the run, the most called first. */
  perTool: { name: string; versions: number; calls: number }[];
}

export interface Timing {
  p50: number;
  max: number;
}

const isHelper = (name: string) => name.startsWith("_");

export function evolutionSummary(events: readonly MoltEvent[]): EvolutionSummary {
  const atStart = new Set<string>();
  const written = new Map<string, Set<number>>();
  const loadedNames = new Set<string>();
  const calls = new Map<string, number>();
  const rejected = { validate: 0, load: 0, examples: 0 };
  const validationMs: number[] = [];
  const loadMs: number[] = [];
  const steps = new Set<number>();
  const stepsWithToolCall = new Set<number>();
  let toolVersionsWritten = 0;
  let accepted = 0;
  let toolCalls = 0;

  for (const event of events) {
    switch (event.type) {
      case "tool_library":
        for (const tool of event.tools) atStart.add(tool.name);
        break;
      case "model_response":
        steps.add(event.step);
        break;
      case "tool_called":
        toolCalls++;
        calls.set(event.name, (calls.get(event.name) ?? 0) + 1);
        if (event.step > 0) stepsWithToolCall.add(event.step);
        break;
      case "tool_written":
        if (event.step === 0 || event.kind !== "tool") break;
        toolVersionsWritten++;
        written.set(event.name, (written.get(event.name) ?? new Set()).add(event.version));
        break;
      case "tool_validated":
        if (event.step > 0 && !isHelper(event.name)) validationMs.push(event.ms);
        break;
      case "tool_loaded":
        if (event.step === 0 || isHelper(event.name)) break;
        accepted++;
        loadedNames.add(event.name);
        loadMs.push(event.ms);
        break;
      case "tool_rejected":
        if (event.step === 0 || isHelper(event.name)) break;
        rejected[event.stage]++;
        break;
    }
  }

  const newTools = [...written.keys()].filter((name) => !atStart.has(name) && loadedNames.has(name)).sort();
  const names = new Set([...written.keys(), ...calls.keys()]);
  const perTool = [...names]
    .map((name) => ({ name, versions: written.get(name)?.size ?? 0, calls: calls.get(name) ?? 0 }))
    .sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  return {
    toolVersionsWritten,
    accepted,
    rejected,
    rejectedTotal: rejected.validate + rejected.load + rejected.examples,
    toolCalls,
    stepsWithToolCall: stepsWithToolCall.size,
    steps: steps.size,
    shareOfStepsUsingTools: steps.size > 0 ? stepsWithToolCall.size / steps.size : 0,
    validationMs: timing(validationMs),
    loadMs: timing(loadMs),
    toolsCreated: newTools.length,
    newTools,
    perTool,
  };
}

/** The median by nearest rank (a time that happened), and the slowest. */
function timing(values: number[]): Timing | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.ceil(sorted.length / 2) - 1]!, max: sorted.at(-1)! };
}
