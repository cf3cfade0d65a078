import { z } from "zod";

/** Where a running instance is: its step, the command in flight (none while the model is asked), what it has cost. */
export interface ChildStep {
  step: number;
  command: string | undefined;
  cost: number;
}

const Watched = z.discriminatedUnion("type", [
  z.object({ type: z.literal("model_request"), step: z.number() }),
  z.object({ type: z.literal("model_response"), step: z.number(), cost: z.number() }),
  z.object({ type: z.literal("command_started"), step: z.number(), command: z.string() }),
]);
const WATCHED_TYPE = /"type":"(model_request|model_response|command_started)"/;

/**
 * Follows the event lines a `molt run --json` prints and reports its step as it changes. Only the
 * three event types it needs are parsed (a command's output line can be long); a line it cannot
 * read is passed over, never fatal: these reports only feed a view.
 */
export function childStepReader(report: (step: ChildStep) => void): (line: string) => void {
  const current: ChildStep = { step: 0, command: undefined, cost: 0 };
  return (line) => {
    if (!WATCHED_TYPE.test(line)) return;
    let parsed;
    try {
      parsed = Watched.safeParse(JSON.parse(line));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.type === "model_request") Object.assign(current, { step: event.step, command: undefined });
    else if (event.type === "model_response") current.cost += event.cost;
    else Object.assign(current, { step: event.step, command: event.command });
    report({ ...current });
  };
}
