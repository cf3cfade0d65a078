import type { EventOf, MoltEvent } from "../events/events.ts";

/** The newest snapshot in a run's record, if it has one: where a resumed run carries the chain on. */
export function lastSnapshot(events: readonly MoltEvent[]): Pick<EventOf<"snapshot">, "commit" | "tree"> | undefined {
  const last = events.findLast((event): event is EventOf<"snapshot"> => event.type === "snapshot");
  return last && { commit: last.commit, tree: last.tree };
}

/**
 * The commit that stood after step `step` (0: before the first, after the setup command if one
 * ran): the last snapshot taken at or before it, else the run's base commit. Pass it to `SnapshotStore.checkout` or `diff`.
 */
export function commitAfterStep(events: readonly MoltEvent[], step: number): string {
  let base: string | undefined;
  let commit: string | undefined;
  for (const event of events) {
    if (event.type === "run_started") base = event.spec.base;
    else if (event.type === "snapshot" && event.step <= step) commit = event.commit;
  }
  const found = commit ?? base;
  if (found === undefined) throw new Error("the record does not start with run_started: its base commit is unknown");
  return found;
}
