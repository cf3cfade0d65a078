import { readFileSync } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, MOLT, tempDir } from "../helpers.ts";

// Resource limits, hit for real inside the bubblewrap sandbox by a full `molt run`: what the
// agent is told (the observation the scripted model receives) and what is left on the host.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
// Big files the commands write are ignored, so molt's patch never reads them.
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n", ".gitignore": "*.bin\n" };

const servers: ScriptedServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanUp();
});

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The observation of each command, as the model got it. */
  observations: string[];
  finished: EventOf<"command_finished">[];
  out: string;
  /** The highest VmHWM (peak resident memory) of the molt process seen while it ran, in bytes. */
  peakRssBytes: number;
}

/**
 * Runs molt (without the tool layer: these tests are about the commands) with `commands` as the
 * script, then a submission, and watches the molt process's peak memory while it runs.
 */
async function run(commands: string[], args: string[] = []): Promise<Run> {
  const repo = await makeRepo(FILES);
  const server = await startScriptedServer({ script: [...commands.map((command) => ({ command })), { command: SUBMIT }] });
  servers.push(server);
  const out = join(await tempDir(), "run");
  const child = execa(process.execPath, [MOLT, "run", "--repo", repo, "--issue", "limits", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve", ...args], {
    env: { OPENAI_API_KEY: "test-key" },
    reject: false,
    timeout: 120_000,
  });
  let peakKb = 0;
  const watch = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // The process is gone.
    }
  }, 20);
  const result = await child;
  clearInterval(watch);
  const events = (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    observations: server.requests.slice(1).map((request) => String(request.messages.at(-1)?.content)),
    finished: events.filter((event): event is EventOf<"command_finished"> => event.type === "command_finished"),
    out,
    peakRssBytes: peakKb * 1024,
  };
}

async function processArgs(): Promise<string> {
  return (await execa("ps", ["-eo", "args"])).stdout;
}

test("a command that starts thousands of processes is stopped, the agent is told why, and none of them is left", async () => {
  const sleep = `sleep 9${Date.now() % 100000}.5`;
  const result = await run([`timeout 60 bash -c 'for i in $(seq 3000); do ${sleep} & done; wait'; echo "survived=$?"`]);
  expect(result.exitCode).toBe(0);
  const [observation] = result.observations;
  expect(observation).toContain("[molt] the command started more processes than the limit (1024); it was stopped.");
  // Stopped by the watchdog, long before the guard's 60 s or the command's own 60 s timeout.
  expect(result.finished[0]!.timedOut).toBe(false);
  expect(result.finished[0]!.ms).toBeLessThan(30_000);
  expect(observation).not.toContain("survived=");
  expect(await processArgs()).not.toContain(sleep);
});

// The process limit must hold against a command that first kills everything it can: the count is
// kept from outside the sandbox, where the command cannot reach (root ignores RLIMIT_NPROC).
test("a command that first kills every other process it can still cannot run more processes than the limit", async () => {
  const sleep = `sleep 8${Date.now() % 100000}.5`;
  const result = await run([`kill -9 -1 2>/dev/null; for i in $(seq 1500); do ${sleep} & done; sleep 1; echo "running=$(ls -d /proc/[0-9]* | wc -l)"; kill -9 -1`]);
  expect(result.exitCode).toBe(0);
  expect(await processArgs()).not.toContain(sleep);
  expect(result.observations[0]).toContain("more processes than the limit (1024)");
});

test("a memory bomb runs out of memory under --mem-limit, and the agent is told in plain words", async () => {
  const result = await run([`python3 -c "x = bytearray(2*1024**3); print('allocated')"`], ["--mem-limit", "1G"]);
  expect(result.exitCode).toBe(0);
  const [observation] = result.observations;
  expect(observation).toContain("MemoryError");
  expect(observation).not.toContain("allocated");
  expect(observation).toContain("[molt] the command ran out of memory: each process may use 1 GiB.");
});

// The file size limit (1 GiB) cannot be set from the command line; `dd ... seek=` makes a sparse
// file, so crossing the limit costs one real megabyte of writing instead of a gigabyte.
test("a command that writes a file over the size limit is stopped, and the agent is told", async () => {
  const result = await run([
    "dd if=/dev/zero of=big.bin bs=1M seek=1023 count=2 status=none",
    // When something after the writer succeeds, the command's exit code is 0 and molt adds no
    // note of its own (it cannot tell a limit hit from output that merely mentions one), but
    // bash's own line still tells the agent.
    "dd if=/dev/zero of=big.bin bs=1M seek=1023 count=2 status=none; echo after=$?",
  ]);
  expect(result.exitCode).toBe(0);
  const [stopped, followed] = result.observations;
  expect(stopped).toContain("[molt] the command tried to write a file larger than the limit (1 GiB) and was stopped.");
  expect(result.finished[0]!.exitCode).toBe(128 + 25); // SIGXFSZ
  expect(followed).toContain("File size limit exceeded");
  expect(followed).toContain("after=153");
  expect(followed).not.toContain("[molt] the command tried to write");
});

test("a busy loop with --timeout 2 is stopped by the timeout; a process over its CPU time gets the CPU note", async () => {
  const result = await run(
    [
      "while :; do :; done",
      // One process cannot use more CPU time than wall time, so with the CPU limit equal to the
      // timeout the timeout always comes first; a lower soft limit shows the CPU note itself.
      "(ulimit -S -t 1; while :; do :; done)",
    ],
    ["--timeout", "2"],
  );
  expect(result.exitCode).toBe(0);
  const [busy, cpu] = result.observations;
  // As mini-SWE-agent 2 reports a timeout: return code -1, and why.
  expect(busy).toContain("<returncode>-1</returncode>");
  expect(busy).toContain("Command 'while :; do :; done' timed out after 2 seconds. The command was killed with every process it started.");
  expect(busy).not.toContain("[molt]");
  expect(result.finished[0]!.timedOut).toBe(true);
  expect(result.finished[0]!.ms).toBeGreaterThanOrEqual(1900);
  expect(result.finished[0]!.ms).toBeLessThan(6000);

  expect(cpu).toContain("CPU time limit exceeded");
  expect(cpu).toContain("[molt] the command used up its CPU time limit (2 s per process) and was stopped.");
  expect(cpu).not.toContain("timed out");
  expect(result.finished[1]!.timedOut).toBe(false);
});

test("30 MB of output reach the model as head and tail with the elided count, and molt's memory stays bounded", async () => {
  const result = await run(["echo FIRST-LINE; yes abcdefghijklmnopqrstuvwxyz | head -c 30000000; echo; echo LAST-LINE"]);
  expect(result.exitCode).toBe(0);
  const [observation] = result.observations;
  // 11 + 30,000,000 + 1 + 10 characters, of which the first and last 5,000 are shown.
  expect(observation).toContain("The output was 30000022 characters long");
  expect(observation).toContain("<output_head>\nFIRST-LINE\nabcdefghijklmnopqrstuvwxyz\n");
  expect(observation).toContain("<elided_chars>\n29990022 characters elided\n</elided_chars>");
  // 30,000,000 is not a whole number of 27-character lines: the last one is cut short.
  expect(observation).toContain("\nabc\nLAST-LINE\n\n</output_tail>");
  expect(observation!.length).toBeLessThan(11_000);
  expect(result.finished[0]!.elidedChars).toBe(29_990_022);
  expect(result.stdout).toContain("29,990,022 chars of output elided");

  expect(result.peakRssBytes).toBeGreaterThan(0);
  expect(result.peakRssBytes).toBeLessThan(300 * 1024 ** 2);
  // And against the same run with a short output: holding the output, or a copy of it, would add tens of MB.
  const baseline = await run(["echo FIRST-LINE; echo LAST-LINE"]);
  expect(baseline.peakRssBytes).toBeGreaterThan(0);
  expect(result.peakRssBytes - baseline.peakRssBytes).toBeLessThan(40 * 1024 ** 2);
  // Nor does the record keep it.
  const files = await readdir(result.out);
  for (const file of files) expect((await stat(join(result.out, file))).size).toBeLessThan(200_000);
});
