import { existsSync } from "node:fs";
import { join } from "node:path";
import { runsFolder } from "../../core/data-folder.ts";

/**
 * A run as the user names it: a path, or the id molt showed (the name of its folder in the runs
 * folder), so that `molt replay 20261203-110220-2719` works from anywhere.
 */
export function runArgument(named: string): string {
  if (existsSync(named) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(named)) return named;
  const byId = join(runsFolder(), named);
  return existsSync(byId) ? byId : named;
}
