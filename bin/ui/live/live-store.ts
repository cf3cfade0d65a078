import type { MoltEvent } from "../../../core/events/events.ts";
import type { CommandDecision, StepGate } from "../../../core/step-gate.ts";
import { setupLine } from "../setup-line.ts";
import { applyEvent, emptyView, type RunView, type StepView } from "./view-state.ts";
import { Redraws } from "./redraws.ts";

export interface PendingConfirm {
  step: number;
  command: string;
  resolve(decision: CommandDecision): void;
}

/** How often the view may redraw while tokens stream in and commands print. */
/**
 * The live view's state: the run as the events tell it, what the user asked for (pause, panel,
 * decisions), and the finished steps waiting to be printed into the scrollback. The view redraws
 * at most every 50 ms, however fast events come.
 */
export class LiveStore extends Redraws implements StepGate {
  readonly view: RunView = emptyView();
  readonly confirmEach: boolean;
  /** Finished steps, drawn as text, not yet printed; the view prints them once and forgets them. */
  committed: string[] = [];
  paused = false;
  toolsOpen = false;
  selectedTool = 0;
  confirming: PendingConfirm | undefined;
  interrupted = false;
  dismissed = false;
  #resume: (() => void) | undefined;
  #onDismiss: (() => void) | undefined;
  readonly #onInterrupt: () => void;

  readonly #draw: (step: StepView) => string;

  /** `draw` turns a finished step into text; it runs here, as the event arrives, never inside a redraw. */
  constructor(options: { confirm: boolean; onInterrupt(): void; draw(step: StepView): string }) {
    super();
    this.confirmEach = options.confirm;
    this.#onInterrupt = options.onInterrupt;
    this.#draw = options.draw;
  }

  apply(event: MoltEvent): void {
    const finished = applyEvent(this.view, event);
    if (finished) this.committed.push(this.#draw(finished));
    // The setup has no step: its one line goes to the scrollback before step 1.
    if (event.type === "setup_finished" && this.view.setup) this.committed.push(setupLine(this.view.setup));
    // Events coalesce into one redraw per frame; what the user does shows at once (changed()).
    if (event.type === "run_finished") this.changed();
    else this.schedule();
  }

  takeCommitted(): string[] {
    const taken = this.committed;
    this.committed = [];
    return taken;
  }

  // The gate the agent asks before each step and each command.

  beforeStep(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => (this.#resume = resolve));
  }

  confirm(step: number, command: string): Promise<CommandDecision> {
    if (!this.confirmEach) return Promise.resolve({ kind: "run", command });
    return new Promise((resolve) => {
      this.confirming = {
        step,
        command,
        resolve: (decision) => {
          this.confirming = undefined;
          resolve(decision);
          this.changed();
        },
      };
      this.changed();
    });
  }

  togglePause(): void {
    this.paused = !this.paused;
    if (!this.paused) {
      this.#resume?.();
      this.#resume = undefined;
    }
    this.changed();
  }

  /** Stops the run cleanly: the command in flight is killed and the run ends as Interrupted. */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.#resume?.();
    this.confirming?.resolve({ kind: "stop" });
    this.#onInterrupt();
    this.changed();
  }

  dismiss(): void {
    this.dismissed = true;
    this.#onDismiss?.();
  }

  whenDismissed(): Promise<void> {
    if (this.dismissed) return Promise.resolve();
    return new Promise((resolve) => (this.#onDismiss = resolve));
  }
}
