// How long `molt runs` takes over many long runs: 200 runs of 1,000 steps by default.
// node bench/runs-list.ts [RUNS] [STEPS]
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NewEvent } from "../core/events/event-bus.ts";
import { startedFields } from "./fixtures.ts";

const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));
const runs = Number(process.argv[2] ?? 200);
const steps = Number(process.argv[3] ?? 1000);

const thought = "Let me look at how the parser handles this case before changing anything. ".repeat(8);
const output = "src/parser.ts:120:  const token = next(); // reads one token\n".repeat(30);

/** One run's events.jsonl, written as molt writes it; every tenth run is left unfinished (no run_finished). */
function writeRun(dir: string, index: number): void {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, "events.jsonl"), "w");
  let ts = Date.UTC(2026, 0, 1) + index * 3_600_000;
  const emit = (event: NewEvent) => writeSync(fd, JSON.stringify({ ...event, ts: ts++ }) + "\n");
  emit({
    type: "run_started",
    ...startedFields({
      runId: `run-${String(index).padStart(4, "0")}`,
      outputDir: dir,
      spec: {
        repo: `/src/project-${index % 7}`,
        issue: `Parser drops the last token when the input ends without a newline (case ${index})\n\nMore details follow.`,
        limits: { stepLimit: steps + 10, costLimit: 0, timeLimitSec: 0, commandTimeoutSec: 60 },
      },
    }),
  });
  emit({ type: "tool_library", dir: "/lib", fresh: false, tools: [] });
  for (let step = 1; step <= steps; step++) {
    emit({ type: "model_request", step, messages: step * 2 });
    const call = { id: `call_${step}`, name: "bash", arguments: JSON.stringify({ command: "grep -n token src/parser.ts" }) };
    emit({ type: "model_response", step, content: thought, toolCalls: [call], usage: { promptTokens: 9000, completionTokens: 120 }, cost: 0.001, ms: 900 });
    emit({ type: "command_started", step, call: 0, command: "grep -n token src/parser.ts" });
    if (step % 100 === 0) {
      emit({ type: "tool_written", step, name: `tool_${step}`, version: 1, kind: "tool", sha: "x", source: "export default 1;\n" });
      emit({ type: "tool_validated", step, name: `tool_${step}`, version: 1, ok: true, diagnostics: [], ms: 20 });
      emit({ type: "tool_loaded", step, name: `tool_${step}`, version: 1, ms: 25, usage: `tool_${step} --x <string>` });
    }
    emit({ type: "command_finished", step, call: 0, exitCode: 0, ms: 12, output, outputTail: "", elidedChars: 0, timedOut: false, notes: ["[molt] Reflect: would a tool help?"] });
  }
  if (index % 10 !== 0) {
    const totals = { steps, promptTokens: 9000 * steps, completionTokens: 120 * steps, cost: 0.001 * steps, apiCalls: steps, elapsedMs: 1000 * steps };
    emit({ type: "run_finished", exitStatus: "Submitted", reason: "the agent submitted", patch: "diff --git a/x b/x\n", patchFile: "", trajectoryFile: "", totals });
  }
  closeSync(fd);
}

const root = await mkdtemp(join(tmpdir(), "molt-bench-runs-"));
try {
  let bytes = 0;
  for (let index = 0; index < runs; index++) {
    writeRun(join(root, `run-${index}`), index);
    bytes += statSync(join(root, `run-${index}`, "events.jsonl")).size;
  }
  console.log(`${runs} runs of ${steps} steps: ${(bytes / 1024 ** 2).toFixed(0)} MB of events.jsonl`);
  for (const args of [[], ["--json"]]) {
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      const result = spawnSync(process.execPath, [MOLT, "runs", root, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 ** 2 });
      times.push(performance.now() - started);
      if (result.status !== 0) throw new Error(result.stderr);
    }
    console.log(`molt runs ${args.join(" ") || "(table)"}: ${times.map((ms) => `${Math.round(ms)} ms`).join(", ")} (whole process, warm cache)`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
