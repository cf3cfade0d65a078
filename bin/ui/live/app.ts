import { Box, Text, useAnimation, useInput, useStdout, useWindowSize } from "ink";
import { createElement as h, useEffect, useRef, useState, useSyncExternalStore, type ReactElement } from "react";
import { ConfirmPrompt, type ConfirmMode } from "./confirm-prompt.ts";
import { FinalView } from "./final-view.ts";
import type { LiveStore } from "./live-store.ts";
import { StatusBar } from "./status-bar.ts";
import { StepBlock } from "./step-block.ts";
import type { LiveState } from "./step-lines.ts";
import type { Theme } from "./theme.ts";
import { ToolsPanel } from "./tools-panel.ts";
import { formatRetry } from "../format.ts";

export interface AppProps {
  store: LiveStore;
  theme: Theme;
  /** Screen-reader mode: words instead of symbols, no boxes, no animation. */
  plain: boolean;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const DOUBLE_ESC_MS = 1000;

export const KEYS_HELP = "t tools · p pause · Esc Esc or Ctrl-C stop (twice: force) · q/Enter leave at the end";

/** The live view of a run: finished steps go to the scrollback, the step in progress and the status stay below. */
export function App({ store, theme, plain }: AppProps): ReactElement {
  useSyncExternalStore(store.subscribe, store.snapshot);
  const { write } = useStdout();
  const size = useWindowSize();
  const view = store.view;
  const finished = view.phase === "finished";
  const { frame } = useAnimation({ interval: 120, isActive: !plain && !finished && !store.confirming && !(store.paused && view.phase !== "running") });
  const [now, setNow] = useState(Date.now());
  const [mode, setMode] = useState<ConfirmMode>("choose");
  const [draft, setDraft] = useState("");
  const lastEscape = useRef(0);
  const interrupts = useRef(0);

  useEffect(() => {
    if (finished) return;
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(clock);
  }, [finished]);

  // Finished steps are printed once, above the live region, and then belong to the terminal's scrollback.
  useEffect(() => {
    for (const text of store.takeCommitted()) write(`${text}\n`);
  });

  useInput((input, key) => {
    if (key.ctrl && input === "c") {
      interrupts.current++;
      if (interrupts.current > 1) {
        // The second Ctrl-C forces the exit; the record is already on disk, event by event.
        process.stdin.setRawMode?.(false);
        process.exit(130);
      }
      store.interrupt();
      return;
    }
    const confirming = store.confirming;
    if (confirming && mode !== "choose") {
      if (key.escape) setMode("choose");
      return;
    }
    if (key.escape) {
      const at = Date.now();
      if (at - lastEscape.current < DOUBLE_ESC_MS) store.interrupt();
      lastEscape.current = at;
      return;
    }
    if (finished) {
      if (input === "q" || key.return) {
        store.dismiss();
        store.changed();
      } else if (input === "t") toggleTools();
      else if (store.toolsOpen && (key.upArrow || key.downArrow)) moveSelection(key.upArrow ? -1 : 1);
      return;
    }
    if (confirming) {
      // The footer offers the tools panel while the prompt waits too.
      if (input === "t") toggleTools();
      else if (store.toolsOpen && (key.upArrow || key.downArrow)) moveSelection(key.upArrow ? -1 : 1);
      else if (input === "y") confirming.resolve({ kind: "run", command: confirming.command });
      else if (input === "n") {
        setDraft("");
        setMode("reject");
      } else if (input === "e") {
        setDraft(confirming.command);
        setMode("edit");
      }
      return;
    }
    if (input === "t") toggleTools();
    else if (input === "p") store.togglePause();
    else if (store.toolsOpen && (key.upArrow || key.downArrow)) moveSelection(key.upArrow ? -1 : 1);
  });

  function moveSelection(by: number): void {
    const count = Math.max(store.view.tools.size, 1);
    store.selectedTool = (store.selectedTool + by + count) % count;
    store.changed();
  }

  function toggleTools(): void {
    store.toolsOpen = !store.toolsOpen;
    store.changed();
  }

  const submitDecision = (value: string) => {
    const confirming = store.confirming;
    if (!confirming) return;
    confirming.resolve(mode === "reject" ? { kind: "reject", message: value } : { kind: "run", command: value.trim() === "" ? confirming.command : value });
    setMode("choose");
  };

  // Once the user has left, the live region empties: the summary printed after it is what stays.
  if (store.dismissed) return h(Box, {});
  const spinner = SPINNER[frame % SPINNER.length]!;
  const children: ReactElement[] = [];
  if (view.current && !finished) {
    const phase: LiveState["phase"] = view.phase === "running" ? "running" : "thinking";
    const sinceMs = view.current.commandStartedAt === undefined ? 0 : Math.max(0, now - view.current.commandStartedAt);
    // While the user decides or the run is paused between steps, nothing is in progress: no spinner on the step.
    const idle = store.confirming !== undefined || (store.paused && view.phase !== "running");
    const live: LiveState | undefined = idle ? undefined : { phase, sinceMs, spinner: plain ? "…" : spinner, ...(view.checking ? { checking: view.checking } : {}) };
    children.push(h(StepBlock, { key: "current", step: view.current, theme, plain, ...(live ? { live } : {}) }));
  }
  if (store.confirming) {
    children.push(h(ConfirmPrompt, { key: "confirm", command: store.confirming.command, mode, draft, theme, plain, onDraft: setDraft, onSubmit: submitDecision }));
  }
  if (store.toolsOpen) {
    children.push(h(ToolsPanel, { key: "tools", tools: [...view.tools.values()], selected: store.selectedTool, theme, plain }));
  }
  // At the end, the tools panel takes the summary's place (t goes back): one or the other fits the terminal.
  if (finished && store.toolsOpen) children.push(h(Text, { key: "back", dimColor: theme.dim }, "t back to the summary · q or Enter: leave"));
  else if (finished) children.push(h(FinalView, { key: "final", view, theme, rows: size.rows || 24, columns: size.columns || 80 }));
  else children.push(h(StatusBar, { key: "status", view, theme, plain, now, state: stateOf(store, now), keys: KEYS_HELP }));
  return h(Box, { flexDirection: "column" }, ...children);
}

function stateOf(store: LiveStore, now: number): string {
  if (store.interrupted) return "stopping";
  if (store.confirming) return "waiting for you";
  if (store.paused) return store.view.phase === "running" ? "pausing after this step (p resumes)" : "paused (p resumes)";
  const retry = store.view.retry;
  if (store.view.phase === "retrying" && retry) {
    return formatRetry(retry, Math.max(0, retry.at + retry.delayMs - now));
  }
  return store.view.phase;
}
