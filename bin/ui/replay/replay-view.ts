import { render } from "ink";
import { createElement as h } from "react";
import type { RunRecord } from "../../../core/record/record.ts";
import { themeFor, type ThemeName } from "../live/theme.ts";
import { ReplayApp } from "./replay-app.ts";
import { repoDiffsOf } from "./repo-diffs.ts";
import { buildTimeline } from "./timeline.ts";

export interface ReplayViewOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  theme: ThemeName;
  screenReader: boolean;
  /** The step to open at; the first when not given. */
  startStep: number | undefined;
}

/** Opens the replay view on the terminal's alternate screen (as a pager does) until the user quits. */
export async function showReplay(record: RunRecord, options: ReplayViewOptions): Promise<number> {
  const timeline = buildTimeline(record.events);
  const { repo, reason } = await repoDiffsOf(record);
  const wanted = options.startStep === undefined ? 0 : timeline.steps.findIndex((step) => step.step >= options.startStep!);
  const startIndex = wanted < 0 ? Math.max(timeline.steps.length - 1, 0) : wanted;
  const instance = render(
    h(ReplayApp, { timeline, events: record.events, theme: themeFor(options.theme, process.env), plain: options.screenReader, repo, noRepoReason: reason, startIndex }),
    { stdout: options.stdout, stdin: options.stdin, alternateScreen: true, isScreenReaderEnabled: options.screenReader, maxFps: 60, incrementalRendering: true, patchConsole: false },
  );
  await instance.waitUntilExit();
  return 0;
}
