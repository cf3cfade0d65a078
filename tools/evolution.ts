import { existsSync } from "node:fs";
import { lstat, mkdir, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { CommandResult, Environment } from "../core/environment.ts";
import type { EventBus } from "../core/events/event-bus.ts";
import type { MoltEvent, ToolDiagnostic } from "../core/events/events.ts";
import type { AnnouncedTool } from "./evolution-prompt.ts";
import { readEvolvedFile, tooLargeMessage } from "./evolved-file.ts";
import { shaOf, type ToolLibrary } from "./library.ts";
import type { ToolHostClient } from "./tool-host-client.ts";
import type { ValidatorClient } from "./validator-client.ts";

const SHOWN_DIAGNOSTICS = 3;

interface TrackedFile {
  name: string;
  kind: "tool" | "helper";
  key: string;
  sha: string;
  source: string;
  version: number;
}

interface VersionRecord {
  version: number;
  sha: string;
  source: string;
  status: "loaded" | "rejected";
  reason?: string;
}

export interface EvolutionOptions {
  /** The run's own evolved folder ($MOLT_EVOLVED). */
  folder: string;
  library: ToolLibrary;
  /** Start from an empty library and keep nothing (Live-SWE-agent's setting). */
  fresh: boolean;
  host: ToolHostClient;
  validator: ValidatorClient;
  bus: EventBus;
  runId: string;
  /** The line that ends every observation; "" for none. */
  reminder: string;
  /** The record of the run so far, when it is resumed: the folder is already filled. */
  record?: readonly MoltEvent[];
}

/**
 * Self-evolution as a layer around the environment: after every command it finds the tool files
 * that are new or changed, checks them, loads the good ones into the tool host, records every
 * version, and tells the agent at the end of the observation what became of each.
 */
export class Evolution {
  readonly folder: string;
  readonly #options: EvolutionOptions;
  readonly #files = new Map<string, TrackedFile>();
  readonly #loaded = new Map<string, AnnouncedTool & { version: number; source: string }>();
  readonly #versions = new Map<string, VersionRecord[]>();
  readonly #calls = new Map<string, Map<number, number>>();
  /** Files refused for their size, by their mtime and size: refused once, not at every step. */
  readonly #oversized = new Map<string, string>();
  /** What to tell the agent about files that were not even read. */
  #refusals: string[] = [];
  #step = 0;

  private constructor(options: EvolutionOptions) {
    this.folder = options.folder;
    this.#options = options;
  }

  /** Fills the run's folder from the library and loads what is there, before the first step. */
  static async open(options: EvolutionOptions): Promise<Evolution> {
    const evolution = new Evolution(options);
    await mkdir(options.folder, { recursive: true });
    options.validator.warmUp(options.folder);
    options.host.onCall(({ name, version, args, exitCode, ms }) => {
      evolution.#count(name, version);
      options.bus.emit({ type: "tool_called", step: evolution.#step, name, version, args, exitCode, ms });
    });
    if (options.record) {
      await evolution.#restore(options.record);
      return evolution;
    }
    if (!options.fresh) await options.library.copyInto(options.folder);
    const start = await evolution.#trackedNow();
    options.bus.emit({
      type: "tool_library",
      dir: options.library.dir,
      fresh: options.fresh,
      tools: start.map(({ name, source, version }) => ({ name, version, source })),
    });
    await evolution.#process(start);
    return evolution;
  }

  /** Takes up where a recorded run left off: what it had seen, kept and loaded, loaded again into the new host. */
  async #restore(record: readonly MoltEvent[]): Promise<void> {
    const loadedNow = new Map<string, number>();
    for (const event of record) {
      if ("step" in event) this.#step = event.step;
      if (event.type === "tool_written") {
        const file = `${event.name}.ts`;
        this.#files.set(file, { name: event.name, kind: event.kind, key: "", sha: event.sha, source: event.source, version: event.version });
        this.#record(event.name, { version: event.version, sha: event.sha, source: event.source, status: "rejected" });
      } else if (event.type === "tool_loaded") {
        const versions = this.#versions.get(event.name) ?? [];
        const written = versions.find((record) => record.version === event.version);
        if (written) written.status = "loaded";
        loadedNow.set(event.name, event.version);
      } else if (event.type === "tool_rejected") {
        const written = this.#versions.get(event.name)?.find((record) => record.version === event.version);
        if (written) written.reason = event.reason;
      } else if (event.type === "tool_removed") {
        loadedNow.delete(event.name);
        this.#files.delete(`${event.name}.ts`);
      } else if (event.type === "tool_called") {
        this.#count(event.name, event.version);
      } else if (event.type === "tool_library") {
        for (const tool of event.tools) {
          const source = tool.source;
          this.#files.set(`${tool.name}.ts`, { name: tool.name, kind: tool.name.startsWith("_") ? "helper" : "tool", key: "", sha: shaOf(source), source, version: tool.version });
        }
      }
    }
    // Versions the library already had are not new to it.
    for (const [name, versions] of this.#versions) {
      this.#versions.set(name, versions.filter((record) => this.#options.fresh || this.#options.library.versionOf(name, record.source) !== record.version));
    }
    for (const [name, version] of loadedNow) {
      const file = this.#files.get(`${name}.ts`);
      const source = this.#versions.get(name)?.find((record) => record.version === version)?.source ?? file?.source ?? "";
      const loaded = await this.#options.host.load(name, version, join(this.folder, `${name}.ts`));
      if (loaded.ok) this.#loaded.set(name, { name, usage: loaded.usage, description: loaded.description, version, source });
    }
  }

  /** The tools loaded now, for the system prompt. */
  get tools(): AnnouncedTool[] {
    return [...this.#loaded.values()].map(({ name, usage, description }) => ({ name, usage, description }));
  }

  /** Wraps an environment so that each command's observation carries the verdicts on changed tools. */
  around(inner: Environment): Environment {
    return {
      execute: async (command, options) => {
        this.#step = options.step ?? this.#step + 1;
        const result = await inner.execute(command, options);
        return this.#annotate(result, await this.#scan());
      },
    };
  }

  #annotate(result: CommandResult, verdicts: string[]): CommandResult {
    const notes = [...(result.notes ?? []), ...verdicts];
    if (this.#options.reminder !== "") notes.push(this.#options.reminder);
    return { ...result, notes };
  }

  /**
   * Keeps what the run made: the loaded version of every tool goes into the library, and every
   * version into its history. Another run sharing the library may have kept versions with the
   * same numbers meanwhile: this run's are then numbered after them, in the library's history.
   */
  async finish(): Promise<void> {
    const { library, runId, fresh } = this.#options;
    if (fresh) return;
    await library.exclusively(async () => {
      const ts = Date.now();
      const renumbered = new Map<string, (version: number) => number>();
      for (const [name, versions] of this.#versions) {
        const renumber = numberedAfter(library.latestVersion(name), versions);
        renumbered.set(name, renumber);
        await library.append(name, versions.map((record) => ({ kind: "version", ...record, version: renumber(record.version), runId, ts })));
      }
      for (const [name, byVersion] of this.#calls) {
        const renumber = renumbered.get(name) ?? ((version: number) => version);
        await library.append(name, [...byVersion].map(([version, calls]) => ({ kind: "used", version: renumber(version), calls, runId, ts })));
      }
      for (const [name, tool] of this.#loaded) await library.keep(name, tool.source);
      for (const file of this.#files.values()) {
        if (file.kind === "helper" && this.#versions.get(file.name)?.at(-1)?.status !== "rejected") await library.keep(file.name, file.source);
      }
    });
  }

  /** Every tool file in the folder whose content is new since the last look, with its new version number. */
  async #trackedNow(): Promise<TrackedFile[]> {
    const changed: TrackedFile[] = [];
    let names: string[];
    try {
      names = (await readdir(this.folder)).filter((file) => file.endsWith(".ts"));
    } catch {
      names = [];
    }
    for (const file of names) {
      const path = join(this.folder, file);
      // lstat, not stat: a link could point molt (which reads these files outside the sandbox) at a secret.
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      const key = `${info.mtimeMs}:${info.size}`;
      const known = this.#files.get(file);
      if (known?.key === key || this.#oversized.get(file) === key) continue;
      // Read as the name itself, never through a link swapped in since the lstat, and never too much.
      const read = readEvolvedFile(path);
      if (!read.ok) {
        if (read.problem === "too large") {
          this.#oversized.set(file, key);
          this.#refusals.push(`[molt] ${basename(file, ".ts").startsWith("_") ? "helper" : "tool"} ${basename(file, ".ts")} rejected: ${tooLargeMessage(`evolved/${file}`, read.size ?? info.size)}`);
        }
        continue;
      }
      this.#oversized.delete(file);
      const source = read.text;
      const sha = shaOf(source);
      if (known?.sha === sha) {
        known.key = key;
        continue;
      }
      const name = basename(file, ".ts");
      const tracked: TrackedFile = { name, kind: name.startsWith("_") ? "helper" : "tool", key, sha, source, version: this.#versionFor(name, source) };
      this.#files.set(file, tracked);
      changed.push(tracked);
    }
    return changed;
  }

  #versionFor(name: string, source: string): number {
    const seen = this.#versions.get(name)?.at(-1)?.version ?? 0;
    if (this.#options.fresh) return seen + 1;
    if (seen === 0) {
      const known = this.#options.library.versionOf(name, source);
      if (known !== undefined) return known;
    }
    return Math.max(seen, this.#options.library.latestVersion(name)) + 1;
  }

  async #scan(): Promise<string[]> {
    const verdicts = await this.#process(await this.#trackedNow());
    verdicts.unshift(...this.#refusals.splice(0));
    for (const [file, tracked] of this.#files) {
      if (existsSync(join(this.folder, file))) continue;
      this.#files.delete(file);
      this.#options.validator.forget(join(this.folder, file));
      if (this.#loaded.delete(tracked.name)) await this.#options.host.unload(tracked.name);
      this.#options.bus.emit({ type: "tool_removed", step: this.#step, name: tracked.name });
      verdicts.push(`[molt] ${tracked.kind} ${tracked.name} removed`);
    }
    return verdicts;
  }

  /** Checks and loads each changed file, helpers first, and returns one verdict line (or a few) for each. */
  async #process(files: TrackedFile[]): Promise<string[]> {
    const verdicts: string[] = [];
    const ordered = [...files].sort((a, b) => Number(a.kind === "tool") - Number(b.kind === "tool"));
    for (const file of ordered) verdicts.push(...(await this.#processOne(file)));
    return verdicts;
  }

  async #processOne(file: TrackedFile): Promise<string[]> {
    const { bus, validator, host } = this.#options;
    const step = this.#step;
    const { name, version, kind } = file;
    const path = join(this.folder, `${name}.ts`);
    const label = `${kind} ${name} v${version}`;
    const alreadyRecorded =
      (this.#versions.get(name)?.some((record) => record.sha === file.sha) ?? false) ||
      (!this.#options.fresh && this.#options.library.versionOf(name, file.source) === version);
    bus.emit({ type: "tool_written", step, name, version, kind, sha: file.sha, source: file.source });

    const checked = await validator.validate(path, `evolved/${name}.ts`);
    bus.emit({ type: "tool_validated", step, name, version, ok: checked.ok, diagnostics: checked.diagnostics, ms: checked.ms });
    if (!checked.ok) {
      const reason = describe(checked.diagnostics);
      bus.emit({ type: "tool_rejected", step, name, version, stage: "validate", reason, diagnostics: checked.diagnostics });
      if (!alreadyRecorded) this.#record(name, { version, sha: file.sha, source: file.source, status: "rejected", reason });
      return [`[molt] ${label} rejected: ${formatDiagnostic(checked.diagnostics[0]!)}`, ...moreDiagnostics(checked.diagnostics)];
    }
    if (kind === "helper") {
      if (!alreadyRecorded) this.#record(name, { version, sha: file.sha, source: file.source, status: "loaded" });
      return [`[molt] ${label} checked in ${Math.round(checked.ms)} ms`, ...(await this.#reloadUsersOf(name))];
    }
    const loaded = await host.load(name, version, path);
    if (!loaded.ok) {
      bus.emit({ type: "tool_rejected", step, name, version, stage: loaded.stage, reason: loaded.reason, diagnostics: [] });
      if (!alreadyRecorded) this.#record(name, { version, sha: file.sha, source: file.source, status: "rejected", reason: loaded.reason });
      const still = this.#loaded.get(name);
      return [`[molt] ${label} rejected: ${loaded.reason}${still ? ` (v${still.version} stays loaded)` : ""}`];
    }
    const ms = checked.ms + loaded.ms;
    bus.emit({ type: "tool_loaded", step, name, version, ms, usage: loaded.usage });
    if (!alreadyRecorded) this.#record(name, { version, sha: file.sha, source: file.source, status: "loaded" });
    this.#loaded.set(name, { name, usage: loaded.usage, description: loaded.description, version, source: file.source });
    return [`[molt] ${label} loaded in ${Math.round(ms)} ms — usage: ${loaded.usage}`];
  }

  /** Loads again the tools that import a helper that changed, so they run with its new version. */
  async #reloadUsersOf(helper: string): Promise<string[]> {
    const verdicts: string[] = [];
    for (const tool of this.#loaded.values()) {
      if (!tool.source.includes(`./${helper}.ts`)) continue;
      const outcome = await this.#options.host.load(tool.name, tool.version, join(this.folder, `${tool.name}.ts`));
      verdicts.push(outcome.ok ? `[molt] tool ${tool.name} v${tool.version} reloaded with the new ${helper}` : `[molt] tool ${tool.name} v${tool.version} failed to reload with the new ${helper}: ${outcome.reason}`);
    }
    return verdicts;
  }

  #record(name: string, record: VersionRecord): void {
    const versions = this.#versions.get(name) ?? [];
    versions.push(record);
    this.#versions.set(name, versions);
  }

  #count(name: string, version: number): void {
    const byVersion = this.#calls.get(name) ?? new Map<number, number>();
    byVersion.set(version, (byVersion.get(version) ?? 0) + 1);
    this.#calls.set(name, byVersion);
  }
}

/**
 * How a run's own versions of a tool are numbered in the library: as they are, unless the library
 * has reached the first of them since (another run kept its own); then after the library's latest.
 */
function numberedAfter(libraryLatest: number, mine: readonly VersionRecord[]): (version: number) => number {
  const first = Math.min(...mine.map((record) => record.version));
  const shift = Math.max(0, libraryLatest - first + 1);
  const own = new Set(mine.map((record) => record.version));
  return (version) => (own.has(version) ? version + shift : version);
}

export function formatDiagnostic(diagnostic: ToolDiagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column} ${diagnostic.code} ${diagnostic.message}`;
}

function moreDiagnostics(diagnostics: ToolDiagnostic[]): string[] {
  const shown = diagnostics.slice(1, SHOWN_DIAGNOSTICS).map((diagnostic) => `  ${formatDiagnostic(diagnostic)}`);
  const rest = diagnostics.length - SHOWN_DIAGNOSTICS;
  return rest > 0 ? [...shown, `  (and ${rest} more)`] : shown;
}

function describe(diagnostics: ToolDiagnostic[]): string {
  return diagnostics.map(formatDiagnostic).join("\n");
}
