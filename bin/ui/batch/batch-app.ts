import { Box, Text, useInput, useStdin, useStdout } from "ink";
import { createElement as h, useEffect, useState, useSyncExternalStore, type ReactElement } from "react";
import { formatCost, formatMs, oneLine } from "../format.ts";
import type { Theme } from "../live/theme.ts";
import type { BatchStore, WorkerView } from "./batch-store.ts";
import { statusColor } from "./finished-line.ts";

export interface BatchAppProps {
  store: BatchStore;
  theme: Theme;
  /** Ctrl-C: the first stops the batch cleanly, the second forces the exit. */
  onInterrupt(force: boolean): void;
  /** For tests: the clock. */
  now?: () => number;
}

/** The live batch: one line per worker and a status line; finished instances go to the scrollback above. */
export function BatchApp({ store, theme, onInterrupt, now: clock = Date.now }: BatchAppProps): ReactElement {
  useSyncExternalStore(store.subscribe, store.snapshot);
  const { write } = useStdout();
  const { isRawModeSupported } = useStdin();
  const [now, setNow] = useState(clock());
  const ended = store.end !== undefined;

  useEffect(() => {
    if (ended) return;
    const tick = setInterval(() => setNow(clock()), 1000);
    return () => clearInterval(tick);
  }, [ended]);

  // Printed once, above the live region; from then on they belong to the terminal's scrollback.
  useEffect(() => {
    for (const text of store.takeCommitted()) write(`${text}\n`);
  });

  // In raw mode Ctrl-C reaches only molt, not the runs it started: they are stopped by the batch, once.
  useInput(
    (input, key) => {
      if (!key.ctrl || input !== "c") return;
      const force = store.interrupted;
      store.interrupted = true;
      onInterrupt(force);
      store.changed();
    },
    { isActive: isRawModeSupported === true && !ended },
  );

  if (ended) return h(Box, {});
  const at = Math.max(now, clock());
  const lines: ReactElement[] = [];
  for (let worker = 1; worker <= store.workerCount; worker++) lines.push(workerLine(worker, store.workers.get(worker), theme, at));
  lines.push(statusLine(store, theme, at));
  lines.push(
    store.interrupted
      ? h(Text, { key: "keys", color: theme.warn }, "stopping: the running instances end cleanly (Ctrl-C again: force)")
      : h(Text, { key: "keys", dimColor: theme.dim }, "Ctrl-C: stop (finished instances are kept)"),
  );
  return h(Box, { flexDirection: "column" }, ...lines);
}

function workerLine(worker: number, view: WorkerView | undefined, theme: Theme, now: number): ReactElement {
  const number = h(Text, { color: theme.accent }, `${String(worker).padStart(2)}  `);
  if (!view) return h(Text, { key: worker, dimColor: theme.dim, wrap: "truncate-end" }, number, "idle");
  const doing = view.step === 0 ? h(Text, { dimColor: theme.dim }, "starting") : view.command === undefined ? h(Text, { dimColor: theme.dim }, "thinking") : oneLine(view.command, 200);
  return h(
    Text,
    { key: worker, wrap: "truncate-end" },
    number,
    h(Text, { bold: true }, view.id),
    h(Text, { dimColor: theme.dim }, `  ${formatMs(Math.max(now - view.startedAt, 0))}${view.step > 0 ? `  step ${view.step}` : ""}  `),
    doing,
  );
}

function statusLine(store: BatchStore, theme: Theme, now: number): ReactElement {
  const title = h(Text, { bold: true, color: theme.accent }, "molt batch");
  if (store.workerCount === 0) return h(Text, { key: "status" }, title, " · preparing");
  const parts: (string | ReactElement)[] = [title, ` · done ${store.done}/${store.toRun}`];
  if (store.skipped > 0) parts.push(` (${store.skipped} finished earlier)`);
  for (const [status, count] of store.statuses) parts.push(" · ", h(Text, { key: status, color: statusColor(status, theme) }, `${status} ${count}`));
  parts.push(` · ${formatCost(store.cost)} · ${formatMs(Math.max(now - store.startedAt, 0))}`);
  const eta = store.etaMs(now);
  if (eta !== undefined && store.done < store.toRun) parts.push(` · about ${formatMs(eta)} left`);
  return h(Text, { key: "status", wrap: "wrap" }, ...parts);
}
