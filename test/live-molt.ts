import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ScriptReply } from "../bin/runtime/scripted-server.ts";
import { MOLT, tempDir } from "./helpers.ts";

// molt as a live process a test can watch and signal, and the processes of the machine around it.

export interface LiveMolt {
  pid: number;
  done: Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

/** Starts `./bin/molt ARGS` with a fresh tool library and an empty home, as a user would; `env` adds to or overrides that. */
export async function startMolt(args: string[], env: Record<string, string> = {}): Promise<LiveMolt> {
  const library = join(await tempDir("molt-library-"), "evolved");
  const home = await tempDir("molt-home-");
  const child = spawn(process.execPath, [MOLT, ...args], {
    env: { ...process.env, OPENAI_API_KEY: "test-key", MOLT_LIBRARY: library, HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error("molt did not start");
  return { pid: child.pid, done };
}

/** A script for `--model script:FILE`. */
export async function scriptFile(script: ScriptReply[]): Promise<string> {
  const file = join(await tempDir(), "script.json");
  await writeFile(file, JSON.stringify(script));
  return file;
}

export interface MachineProcess {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: tells a process from a later one with the same pid. */
  start: string;
  args: string;
}

/** Every live process of the machine now, with its command line (zombies have ended: left out). */
export function processes(): MachineProcess[] {
  const found: MachineProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(entry), ppid: Number(fields[1]), start: fields[19]!, args });
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** The processes whose command line contains `marker`. */
export function runningWith(marker: string): MachineProcess[] {
  return processes().filter((proc) => proc.args.includes(marker) && proc.pid !== process.pid);
}

/** The processes started, directly or not, by `pid`. */
export function descendants(pid: number): MachineProcess[] {
  const all = processes();
  const family: MachineProcess[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of all) {
      if (parents.has(proc.ppid) && !parents.has(proc.pid)) {
        parents.add(proc.pid);
        family.push(proc);
        grew = true;
      }
    }
  }
  return family;
}

/** Waits until `check` holds, polling; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
