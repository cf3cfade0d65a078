import { dirname } from "node:path";
import type { EventSink } from "../../../core/events/event-bus.ts";
import { isTransient } from "../../../core/events/events.ts";
import { InputError } from "../input-error.ts";
import { prepareRun } from "../run.ts";
import type { WorkerJob, WorkerReply, WorkerRequest } from "./worker-protocol.ts";

/**
 * A batch worker's side: runs the jobs it is given one after another, in this process, and sends
 * back every recorded event of the run in flight, then that it is done. An interrupted run is not
 * kept for `molt resume` (the batch starts it over), and removing a finished run's workspace waits
 * until its result is out.
 */
export class RunServer {
  readonly #send: (reply: WorkerReply) => void;
  readonly #apiKey: string | undefined;
  #current: AbortController | undefined;
  #running: Promise<void> = Promise.resolve();
  /** Workspaces being removed after their runs' results went out. */
  #cleanup: Promise<unknown> = Promise.resolve();

  constructor(send: (reply: WorkerReply) => void, apiKey: string | undefined) {
    this.#send = send;
    this.#apiKey = apiKey;
  }

  handle(request: WorkerRequest): void {
    if (request.type === "cancel") this.#current?.abort();
    else this.#running = this.#run(request.job);
  }

  /** Ends the run in flight as an interrupt would; resolves once it has ended and every workspace is removed. */
  async stop(): Promise<void> {
    this.#current?.abort();
    await this.#running;
    await this.#cleanup;
  }

  async #run(job: WorkerJob): Promise<void> {
    const interrupt = new AbortController();
    this.#current = interrupt;
    let error: string | undefined;
    try {
      const prepared = await prepareRun(job.spec, {
        output: job.output,
        workspace: job.workspace,
        apiKey: this.#apiKey,
        headers: job.headers,
        // The batch's output folder holds the other instances' records and tool libraries.
        hide: [dirname(job.output)],
        discardInterrupted: true,
        afterwards: (work) => {
          this.#cleanup = this.#cleanup.then(work).catch(() => undefined);
        },
      });
      const channel: EventSink = {
        onEvent: (event) => {
          if (!isTransient(event)) this.#send({ type: "event", event });
        },
      };
      await prepared.start({ sinks: [channel], signal: interrupt.signal });
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      error = caught instanceof InputError ? message : `internal error: ${message.split("\n", 1)[0]}`;
    } finally {
      this.#current = undefined;
    }
    this.#send({ type: "done", ...(error !== undefined ? { error } : {}) });
  }
}
