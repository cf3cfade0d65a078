import type { ThemeName } from "../live/theme.ts";
import type { SessionIO } from "../../runtime/run.ts";
import { printBatchProgress } from "./batch-printer.ts";
import type { BatchProgress } from "../../runtime/batch/batch-progress.ts";

export interface BatchDisplay {
  /** Leaves what should stay on the screen; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * How a batch shows itself: on a terminal (and not in CI, not with --plain) the live view, else
 * one plain line per finished instance. The view is loaded only when used: ink and React cost
 * a pipe's user nothing.
 */
export async function showBatch(progress: BatchProgress, io: SessionIO, options: { theme: ThemeName; plain: boolean }, onInterrupt: () => void): Promise<BatchDisplay> {
  if (options.plain || io.stdout.isTTY !== true || process.env.CI) {
    printBatchProgress(progress, io.stdout);
    return { close: async () => undefined };
  }
  const { BatchLiveView } = await import("./batch-live-view.ts");
  const view = new BatchLiveView(progress, { stdout: io.stdout, stdin: process.stdin, theme: options.theme, onInterrupt });
  let closing: Promise<void> | undefined;
  return { close: () => (closing ??= view.close()) };
}
