import { render, type Instance } from "ink";
import { createElement as h } from "react";
import type { EventSink } from "../../../core/events/event-bus.ts";
import type { MoltEvent } from "../../../core/events/events.ts";
import type { StepGate } from "../../../core/step-gate.ts";
import { filesInPatch, formatCost, formatMs } from "../format.ts";
import { App } from "./app.ts";
import { LiveStore } from "./live-store.ts";
import { stepText } from "./step-block.ts";
import { themeFor, type ThemeName } from "./theme.ts";

export interface LiveViewOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  theme: ThemeName;
  screenReader: boolean;
  /** Ask before each command (`--confirm`). */
  confirm: boolean;
  /** Stops the run cleanly (the same as SIGINT). */
  onInterrupt(): void;
}

/**
 * The live view of a run in the terminal (ink): an event sink that draws, and a gate through which
 * the user pauses the run or decides about commands. It stays on the final state until the user
 * leaves it, then leaves a short plain summary behind.
 */
export class LiveView implements EventSink {
  readonly store: LiveStore;
  readonly #instance: Instance;
  readonly #stdout: NodeJS.WriteStream;

  constructor(options: LiveViewOptions) {
    this.#stdout = options.stdout;
    const theme = themeFor(options.theme, process.env);
    const plain = options.screenReader;
    this.store = new LiveStore({
      confirm: options.confirm,
      onInterrupt: options.onInterrupt,
      draw: (step) => stepText(step, theme, plain, options.stdout.columns || 80),
    });
    this.#instance = render(h(App, { store: this.store, theme, plain: options.screenReader }), {
      stdout: options.stdout,
      stdin: options.stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      isScreenReaderEnabled: options.screenReader,
      maxFps: 20,
      incrementalRendering: true,
    });
  }

  get gate(): StepGate {
    return this.store;
  }

  onEvent(event: MoltEvent): void {
    this.store.apply(event);
  }

  /** Waits for the user to leave the final view, then clears it and prints a short summary. */
  async close(): Promise<void> {
    if (this.store.view.finished) {
      await this.store.whenDismissed();
      // The final view goes; the short summary below is what stays in the terminal.
      this.#instance.clear();
    }
    this.#instance.unmount();
    await this.#instance.waitUntilExit().catch(() => undefined);
    const { view } = this.store;
    const finished = view.finished;
    if (!finished) return;
    const files = filesInPatch(finished.patch);
    this.#stdout.write(
      `${finished.exitStatus} after ${view.step} step${view.step === 1 ? "" : "s"} · ${formatCost(view.cost)} · ${formatMs(finished.elapsedMs)} · ` +
        `${view.toolsCreated} tool${view.toolsCreated === 1 ? "" : "s"} created\npatch  ${finished.patchFile} (${files} file${files === 1 ? "" : "s"})\nrun    ${view.outputDir}\n`,
    );
  }
}
