import type { MoltEvent } from "../../../core/events/events.ts";
import type { InstanceSummary } from "./batch-files.ts";

/** What a batch tells whoever watches it (the plain printer, the live view), on its own event bus. */
export type BatchEvent =
  | { type: "batch_started"; ts: number; total: number; skipped: number; toRun: number; workers: number }
  | { type: "instance_started"; ts: number; id: string; worker: number }
  /** An event of a running instance's run, as its worker sent it. */
  | { type: "instance_event"; ts: number; id: string; worker: number; event: MoltEvent }
  | { type: "instance_finished"; ts: number; worker: number; done: number; toRun: number; summary: InstanceSummary }
  /** `unfinished`: to be run again; `withoutRepository`: their repository could not be had (not counted in `unfinished`). */
  | { type: "batch_finished"; ts: number; ran: number; skipped: number; finished: number; unfinished: number; withoutRepository: number; instances: InstanceSummary[] };

export type BatchEventOf<T extends BatchEvent["type"]> = Extract<BatchEvent, { type: T }>;
