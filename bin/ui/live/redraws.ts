/** How often a view redraws at most while events stream in. */
const REDRAW_EVERY_MS = 50;

/**
 * The redraw side of a view's store, for React's useSyncExternalStore: a version that changes on
 * every redraw, its listeners, and events coalesced into one redraw per frame.
 */
export class Redraws {
  #version = 0;
  #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;

  /** For React: a number that changes whenever the view must redraw. */
  readonly snapshot = (): number => this.#version;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Redraws now: for what the user did, which must show at once. */
  changed(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#version++;
    for (const listener of this.#listeners) listener();
  }

  /** Redraws within a frame, together with whatever else arrives meanwhile. */
  protected schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.changed();
    }, REDRAW_EVERY_MS);
  }
}
