import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createTwoFilesPatch } from "diff";
import { libraryFolder } from "../../core/data-folder.ts";
import { ToolLibrary, type VersionEntry } from "../../tools/library.ts";
import { flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { RUN_FLAGS } from "./run-flags.ts";
import { UsageError } from "./usage-error.ts";

export const TOOLS_FLAGS = pick(RUN_FLAGS, ["evolved", "help"]);

export function toolsHelp(): string {
  return `Usage: molt tools <action> [NAME] [--evolved DIR]

The tools the agent wrote and kept, and the history of every version it wrote.

  list              every tool: its version, status (kept, rejected, removed), uses, and the run
                    that made it
  show NAME[@vN]    the source of the kept version, or of version N
  log NAME          every version, with why it was rejected and a diff against the version before
  rm NAME           take the tool out of the library (its history stays)

${flagHelp(pick(TOOLS_FLAGS, ["evolved"]))}
`;
}

/** `molt tools list|show|log|rm`: the tool library and its history. */
export async function toolsCommand(args: string[], io: CommandIO): Promise<number> {
  const parsed = parseFlags(TOOLS_FLAGS, args, { positionals: true });
  const [action, target, ...extra] = parsed.positionals;
  if (parsed.values.help || action === undefined) {
    io.stdout.write(toolsHelp());
    return 0;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const named = parsed.values.evolved ?? (process.env.MOLT_LIBRARY || undefined);
  const dir = resolve(named ?? libraryFolder());
  if (named !== undefined && !existsSync(dir)) throw new UsageError(`${named}: no such folder`);
  const library = new ToolLibrary(dir);
  switch (action) {
    case "list":
      io.stdout.write(listing(library));
      return 0;
    case "show":
      io.stdout.write(show(library, need(target, "show")));
      return 0;
    case "log":
      io.stdout.write(log(library, need(target, "log")));
      return 0;
    case "rm": {
      const name = need(target, "rm");
      if (!(await library.remove(name))) throw new UsageError(`no tool "${name}" in ${dir}`);
      io.stdout.write(`removed ${name} from ${dir} (its history stays)\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown tools action "${action}" (list, show, log, rm)`);
  }
}

function need(target: string | undefined, action: string): string {
  if (target === undefined) throw new UsageError(`molt tools ${action} needs a tool name`);
  return target;
}

function listing(library: ToolLibrary): string {
  const summaries = library.summaries();
  if (summaries.length === 0) return `no tools yet in ${library.dir}\n`;
  const rows = [["name", "version", "status", "uses", "made by run"]];
  for (const tool of summaries) {
    const version = tool.current !== undefined ? `v${tool.current}` : "-";
    const latest = tool.latest > (tool.current ?? 0) ? ` (latest v${tool.latest})` : "";
    rows.push([tool.name, version + latest, tool.status, String(tool.uses), tool.madeBy]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n") + "\n";
}

function show(library: ToolLibrary, target: string): string {
  const [name, versionText] = target.split("@");
  if (!name) throw new UsageError("molt tools show needs a tool name");
  if (versionText === undefined) {
    const file = join(library.dir, `${name}.ts`);
    if (existsSync(file)) return readFileSync(file, "utf8");
    throw new UsageError(`no tool "${name}" in ${library.dir}${library.versions(name).length > 0 ? " (it has a history: molt tools log " + name + ")" : ""}`);
  }
  const version = Number(/^v?(\d+)$/.exec(versionText)?.[1]);
  if (!Number.isInteger(version)) throw new UsageError(`"${versionText}" is not a version (write ${name}@v2)`);
  const entry = library.versions(name).find((candidate) => candidate.version === version);
  if (!entry) throw new UsageError(`${name} has no version v${version}`);
  return entry.source;
}

function log(library: ToolLibrary, name: string): string {
  const versions = library.versions(name);
  if (versions.length === 0) throw new UsageError(`no history for "${name}" in ${library.dir}`);
  const parts: string[] = [];
  let previous: VersionEntry | undefined;
  for (const entry of versions) {
    const when = new Date(entry.ts).toISOString().replace("T", " ").slice(0, 19);
    parts.push(`${name} v${entry.version}  ${entry.status}  run ${entry.runId}  ${when}`);
    if (entry.reason) parts.push(...entry.reason.split("\n").map((line) => `  ${line}`));
    const before = previous?.source ?? "";
    const label = previous ? `${name} v${previous.version}` : "(none)";
    parts.push(createTwoFilesPatch(label, `${name} v${entry.version}`, before, entry.source, "", "", { context: 3 }).split("\n").slice(1).join("\n").trimEnd(), "");
    previous = entry;
  }
  return parts.join("\n") + "\n";
}
