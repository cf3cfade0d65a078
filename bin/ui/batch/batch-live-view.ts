import { render, type Instance } from "ink";
import { createElement as h } from "react";
import { batchLeftovers, formatCost, formatMs } from "../format.ts";
import { themeFor, type ThemeName } from "../live/theme.ts";
import type { EventSink } from "../../../core/events/event-bus.ts";
import type { BatchEvent } from "../../runtime/batch/batch-events.ts";
import { summaryTable } from "./batch-printer.ts";
import { BatchApp } from "./batch-app.ts";
import { BatchStore } from "./batch-store.ts";
import { finishedLine } from "./finished-line.ts";

export interface BatchLiveViewOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  theme: ThemeName;
  /** Stops the batch cleanly (as SIGINT does). */
  onInterrupt(): void;
}

/** The batch, live in the terminal (ink), until it ends; then a summary that stays: the counts and the table. */
export class BatchLiveView implements EventSink<BatchEvent> {
  readonly store: BatchStore;
  readonly #instance: Instance;
  readonly #stdout: NodeJS.WriteStream;

  constructor(options: BatchLiveViewOptions) {
    this.#stdout = options.stdout;
    const theme = themeFor(options.theme, process.env);
    this.store = new BatchStore({ draw: (summary, done, toRun) => finishedLine(summary, done, toRun, theme, false) });
    const onInterrupt = (force: boolean) => {
      if (!force) return options.onInterrupt();
      // The runs still going were told to stop; they are killed as molt exits, their records up to date.
      options.stdin.setRawMode?.(false);
      process.exit(130);
    };
    this.#instance = render(h(BatchApp, { store: this.store, theme, onInterrupt }), {
      stdout: options.stdout,
      stdin: options.stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 10,
      incrementalRendering: true,
    });
  }

  onEvent(event: BatchEvent): void {
    this.store.onEvent(event);
  }

  /** Takes the live region away and prints what stays: any finished line not printed yet, the counts and the table. */
  async close(): Promise<void> {
    this.#instance.clear();
    this.#instance.unmount();
    await this.#instance.waitUntilExit().catch(() => undefined);
    const { store } = this;
    for (const text of store.takeCommitted()) this.#stdout.write(`${text}\n`);
    const end = store.end;
    if (!end) return;
    if (end.instances.length > 0) this.#stdout.write(`\n${summaryTable(end.instances)}`);
    const statuses = [...store.statuses].map(([status, count]) => `${status} ${count}`);
    const notFinished = batchLeftovers(end).map((part) => ` · ${part}`).join("");
    this.#stdout.write(
      `done ${store.done}/${store.toRun}${statuses.length > 0 ? ` · ${statuses.join(", ")}` : ""} · ${formatCost(store.finishedCost)} · ${formatMs(Date.now() - store.startedAt)}${notFinished}\n`,
    );
  }
}
