import type { InstanceStatus, InstanceSummary } from "../../runtime/batch/batch-files.ts";
import type { EventSink } from "../../../core/events/event-bus.ts";
import type { BatchEvent, BatchEventOf } from "../../runtime/batch/batch-events.ts";
import { Redraws } from "../live/redraws.ts";

/** What one worker is doing: nothing, or an instance since `startedAt`, at its latest step. */
export interface WorkerView {
  id: string;
  startedAt: number;
  step: number;
  /** The command in flight; undefined while the model is asked or before the first step. */
  command: string | undefined;
  cost: number;
}

export type BatchEnd = BatchEventOf<"batch_finished">;

/**
 * The batch as its progress events tell it, for the live view: the workers, the counts, the
 * time per instance so far, and the finished instances waiting to be printed into the scrollback.
 * Redraws are coalesced to one per 50 ms, however fast the workers report.
 */
export class BatchStore extends Redraws implements EventSink<BatchEvent> {
  startedAt: number;
  total = 0;
  skipped = 0;
  toRun = 0;
  workerCount = 0;
  /** By worker number (1 to workerCount); a missing entry is an idle worker. */
  readonly workers = new Map<number, WorkerView>();
  done = 0;
  readonly statuses = new Map<InstanceStatus, number>();
  finishedCost = 0;
  finishedMs = 0;
  end: BatchEnd | undefined;
  interrupted = false;
  /** Finished instances, drawn as text, not printed yet. */
  committed: string[] = [];
  readonly #draw: (summary: InstanceSummary, done: number, toRun: number) => string;
  readonly #now: () => number;

  constructor(options: { draw(summary: InstanceSummary, done: number, toRun: number): string; now?: () => number }) {
    super();
    this.#draw = options.draw;
    this.#now = options.now ?? Date.now;
    this.startedAt = this.#now();
  }

  onEvent(event: BatchEvent): void {
    switch (event.type) {
      case "batch_started":
        Object.assign(this, { total: event.total, skipped: event.skipped, toRun: event.toRun, workerCount: event.workers });
        this.startedAt = this.#now();
        this.schedule();
        break;
      case "instance_started":
        this.workers.set(event.worker, { id: event.id, startedAt: this.#now(), step: 0, command: undefined, cost: 0 });
        this.schedule();
        break;
      case "instance_event":
        this.#follow(event);
        break;
      case "instance_finished": {
        const { worker, done, toRun, summary } = event;
        if (this.workers.get(worker)?.id === summary.instance_id) this.workers.delete(worker);
        this.done = done;
        this.statuses.set(summary.exit_status, (this.statuses.get(summary.exit_status) ?? 0) + 1);
        this.finishedCost += summary.cost;
        this.finishedMs += summary.ms;
        this.committed.push(this.#draw(summary, done, toRun));
        this.schedule();
        break;
      }
      case "batch_finished":
        this.end = event;
        this.workers.clear();
        this.changed();
        break;
    }
  }

  /** A running instance's step: asking the model (no command), a reply's cost, or a command started. */
  #follow({ id, worker, event }: BatchEventOf<"instance_event">): void {
    const view = this.workers.get(worker);
    if (view?.id !== id) return;
    if (event.type === "model_request") Object.assign(view, { step: event.step, command: undefined });
    else if (event.type === "model_response") view.cost += event.cost;
    else if (event.type === "command_started") Object.assign(view, { step: event.step, command: event.command });
    else return;
    this.schedule();
  }

  /** What the batch has cost so far: the finished instances and what the running ones have spent. */
  get cost(): number {
    let running = 0;
    for (const view of this.workers.values()) running += view.cost;
    return this.finishedCost + running;
  }

  /**
   * The time left, from the mean time of a finished instance: what the running instances still
   * need on average plus the queued ones, shared among the workers. Undefined before the first
   * instance finishes.
   */
  etaMs(now: number): number | undefined {
    if (this.done === 0) return undefined;
    const mean = this.finishedMs / this.done;
    const queued = Math.max(this.toRun - this.done - this.workers.size, 0);
    let work = queued * mean;
    for (const view of this.workers.values()) work += Math.max(mean - (now - view.startedAt), 0);
    const busy = Math.min(this.workerCount, this.toRun - this.done);
    return busy > 0 ? work / busy : 0;
  }

  takeCommitted(): string[] {
    const taken = this.committed;
    this.committed = [];
    return taken;
  }
}
