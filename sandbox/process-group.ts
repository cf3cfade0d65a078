/** Kills a process group (a child started with `detached: true` leads one) and everything in it. */
export function killProcessGroup(group: number | undefined): void {
  if (group === undefined) return;
  try {
    process.kill(-group, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}
