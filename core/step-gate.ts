/**
 * What the user decided about a command the agent wants to run (`--confirm`). `stop`: the run was
 * stopped while it asked; nothing is recorded of the command, so a resumed run asks again.
 */
export type CommandDecision = { kind: "run"; command: string } | { kind: "reject"; message: string } | { kind: "stop" };

/**
 * A way for whoever watches a run to hold it: before each step (pause), and before each command
 * (confirm, edit or reject it). The loop asks; it knows nothing of terminals or keys.
 */
export interface StepGate {
  /** Resolves when the next step may start. */
  beforeStep?(step: number): Promise<void>;
  /** Decides about the `call`-th command of the step's reply before it runs. */
  confirm?(step: number, command: string, call: number): Promise<CommandDecision>;
}
