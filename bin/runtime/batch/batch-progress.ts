import { EventEmitter } from "node:events";
import type { InstanceSummary } from "./batch-files.ts";
import type { ChildStep } from "./child-steps.ts";

/** What a batch tells whoever watches it: the plain printer or the live view. */
export interface BatchProgressEvents {
  batch_started: [{ total: number; skipped: number; toRun: number; workers: number }];
  instance_started: [{ id: string; worker: number }];
  /** A running instance's step, read from its run's --json lines: asked the model, or started a command. */
  instance_step: [{ id: string; worker: number } & ChildStep];
  instance_finished: [{ worker: number; done: number; toRun: number; summary: InstanceSummary }];
  batch_finished: [{ ran: number; skipped: number; finished: number; unfinished: number; instances: InstanceSummary[] }];
}

export class BatchProgress extends EventEmitter<BatchProgressEvents> {}
