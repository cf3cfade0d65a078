import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync } from "node:fs";
import type { Environment } from "../../core/environment.ts";
import type { EventBus } from "../../core/events/event-bus.ts";
import type { MoltEvent } from "../../core/events/events.ts";
import { lastSnapshot } from "../../core/record/snapshot-points.ts";
import { ChangeWatch } from "../../sandbox/change-watch.ts";
import { SnapshotStore } from "../../sandbox/snapshots.ts";

export interface SnapshotLayerOptions {
  /** Undefined when the store could not be made: the layer then only passes commands through. */
  store: SnapshotStore | undefined;
  /** The workspace the commands change. */
  workTree: string;
  bus: EventBus;
}

export interface SnapshotSettings {
  /** The run's snapshots.git. */
  gitDir: string;
  workspace: { path: string; baseCommit: string; sharedObjects: string };
  bus: EventBus;
  /** The record so far, when the run is resumed: the chain carries on from its newest snapshot. */
  record?: readonly MoltEvent[];
  /** The last step the resumed run had reached: what the workspace holds now is recorded as its state. */
  afterStep?: number;
  /** A setup command changed the workspace before the first step: that state is recorded as step 0. */
  afterSetup?: boolean;
}

/** Published by Node's fetch when a request has gone out: the model is then thinking, and molt is idle. */
const REQUEST_SENT = "undici:request:bodySent";
/** When no request goes out (a model that is not over HTTP, a user deciding), the snapshot starts anyway. */
const START_AT_THE_LATEST_MS = 20;

/**
 * Step snapshots as a layer around the environment: when a command has finished, the layer hands
 * its result back at once and records the workspace while the model is asked for the next reply:
 * as soon as that request has gone out (starting git earlier would hold the request up, since
 * starting a process blocks molt for a millisecond or so). The next command waits for the
 * snapshot first, so a snapshot never holds a later command's changes. A snapshot that fails
 * costs the run nothing: no event, and one line about it at the end (`problem`).
 */
export class SnapshotLayer {
  readonly #options: SnapshotLayerOptions;
  #pending: Promise<void> = Promise.resolve();
  /** Starts the snapshot that waits for the model's request, now. */
  #startNow: (() => void) | undefined;
  #lastStep = 0;
  #failed = 0;
  #firstFailure: string | undefined;
  /** Says when a step changed nothing, so that it costs no git process; until it runs, every step is looked at. */
  #changes: ChangeWatch | undefined;

  constructor(options: SnapshotLayerOptions, problem?: string) {
    this.#options = options;
    this.#firstFailure = problem;
  }

  /**
   * Makes (or, for a resumed run, reopens) the run's store and the layer around it, and starts
   * the first work in the background. Never fails: without a store the layer passes commands
   * through and says why at the end.
   */
  static async start(settings: SnapshotSettings): Promise<SnapshotLayer> {
    const { gitDir, workspace, bus, record, afterStep, afterSetup } = settings;
    const workTree = workspace.path;
    try {
      if (record && existsSync(gitDir)) {
        const store = await SnapshotStore.open(gitDir);
        const last = lastSnapshot(record);
        await store.continueFrom(last?.commit ?? workspace.baseCommit, last?.tree);
        const layer = new SnapshotLayer({ store, workTree, bus });
        // The step the run stopped in may have changed files that no snapshot holds yet.
        if (afterStep !== undefined && afterStep > 0) layer.capture(afterStep);
        return layer;
      }
      const store = await SnapshotStore.create(gitDir, workspace.sharedObjects, workspace.baseCommit);
      const layer = new SnapshotLayer({ store, workTree, bus });
      if (record && afterStep !== undefined && afterStep > 0) layer.capture(afterStep);
      else if (afterSetup) layer.capture(0);
      else layer.prime();
      return layer;
    } catch (error) {
      return new SnapshotLayer({ store: undefined, workTree, bus }, `the store ${gitDir} could not be opened: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  around(inner: Environment): Environment {
    if (!this.#options.store) return inner;
    return {
      execute: async (command, options) => {
        this.#startNow?.();
        await this.#pending;
        const step = options.step ?? this.#lastStep + 1;
        try {
          return await inner.execute(command, options);
        } finally {
          this.capture(step);
        }
      },
    };
  }

  /** Fills the store's stat cache in the background, so the first snapshot is as quick as the rest. */
  prime(): void {
    const { store, workTree } = this.#options;
    if (!store) return;
    const started = this.#whenRequestSent();
    this.#pending = this.#pending
      .then(() => started)
      .then(() => {
        this.#watchChanges();
        return store.refresh(workTree);
      });
  }

  #watchChanges(): void {
    // The agent's git commands write under .git; what they change in the work tree shows on its own.
    this.#changes ??= ChangeWatch.start(this.#options.workTree, (path) => path === ".git" || path.startsWith(".git/"));
  }

  /** Starts recording the workspace as it stands after `step`; the event follows when it is done, if the step changed anything. */
  capture(step: number): void {
    const { store, workTree, bus } = this.#options;
    this.#lastStep = step;
    if (!store) return;
    const started = this.#whenRequestSent();
    this.#pending = this.#pending.then(async () => {
      await started;
      // One turn of the event loop, so that the notifications of the command's writes are in.
      await new Promise((resolve) => setImmediate(resolve));
      const changes = this.#changes;
      this.#watchChanges();
      if (changes && !changes.take()) return;
      try {
        const taken = await store.capture(workTree, step);
        if (taken) bus.emit({ type: "snapshot", step, ...taken });
      } catch (error) {
        this.#failed++;
        this.#firstFailure ??= `step ${step}: ${error instanceof Error ? error.message : String(error)}`;
      }
    });
  }

  /** Waits for the snapshot under way, if any: before the patch is made and the run's end recorded. */
  async settle(): Promise<void> {
    this.#startNow?.();
    await this.#pending;
    this.#changes?.close();
    this.#changes = undefined;
  }

  /** Resolves when the next request has gone out, START_AT_THE_LATEST_MS from now, or on `#startNow`, whichever is first. */
  #whenRequestSent(): Promise<void> {
    return new Promise((resolve) => {
      const start = () => {
        clearTimeout(timer);
        unsubscribe(REQUEST_SENT, start);
        if (this.#startNow === start) this.#startNow = undefined;
        resolve();
      };
      const timer = setTimeout(start, START_AT_THE_LATEST_MS);
      subscribe(REQUEST_SENT, start);
      this.#startNow = start;
    });
  }

  /** One line when snapshots failed, for the end of the run; undefined when none did. */
  get problem(): string | undefined {
    if (this.#firstFailure === undefined) return undefined;
    if (!this.#options.store) return `none taken: ${this.#firstFailure}`;
    const count = this.#failed === 1 ? "one step" : `${this.#failed} steps`;
    return `the repository could not be recorded after ${count} (first, ${this.#firstFailure}); a later snapshot holds those changes`;
  }
}
