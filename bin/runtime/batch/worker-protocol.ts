import { z } from "zod";
import { MoltEvent } from "../../../core/events/events.ts";
import { RunSpec } from "../../../core/run-spec.ts";

/** One run a batch gives a worker: its spec, where its files go, and the workspace made ahead for it. */
export const WorkerJob = z.object({
  spec: RunSpec,
  output: z.string(),
  workspace: z.string().optional(),
  /** Headers for every request (--header). */
  headers: z.record(z.string(), z.string()).optional(),
});
export type WorkerJob = z.infer<typeof WorkerJob>;

/** What the batch asks a worker: run a job, or end the run in flight as an interrupt would. */
export const WorkerRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run"), job: WorkerJob }),
  z.object({ type: z.literal("cancel") }),
]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

/** What a worker answers: that it is ready, each event of the run in flight, then that the run is over. */
export const WorkerReply = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("event"), event: MoltEvent }),
  /** `error`: why the run could not start or failed outside the agent, in one line. */
  z.object({ type: z.literal("done"), error: z.string().optional() }),
]);
export type WorkerReply = z.infer<typeof WorkerReply>;
