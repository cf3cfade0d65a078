// The live view's cost: CPU while events arrive at 200 a second, and whether its memory grows with the run.
import { PassThrough, Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { LiveView } from "../bin/ui/live/live-view.ts";
import type { NewEvent } from "../core/events/event-bus.ts";
import type { MoltEvent } from "../core/events/events.ts";
import { startedFields } from "./fixtures.ts";
import { round } from "./step-overhead.ts";

/** A terminal that is not there: it swallows what is drawn, and counts it. */
function fakeTerminal(): { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream; written: () => number } {
  let bytes = 0;
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stdout, { isTTY: true, columns: 100, rows: 40 });
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  Object.assign(stdin, { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  return { stdout, stdin, written: () => bytes };
}

function stamp(event: NewEvent): MoltEvent {
  return { ...event, ts: Date.now() } as MoltEvent;
}

/** The events of one step: a request, a streamed thought, a command and its output. */
function* stepEvents(step: number): Generator<NewEvent> {
  yield { type: "model_request", step, messages: step * 2 };
  const words = "I will look at the failing test and the function it calls, then fix the off-by-one".split(" ");
  for (const word of words) yield { type: "model_delta", step, text: `${word} ` };
  yield { type: "model_response", step, content: words.join(" "), toolCalls: [], usage: { promptTokens: 1000 + step * 50, completionTokens: 40 }, cost: 0.001, ms: 300 };
  yield { type: "command_started", step, call: 0, command: `grep -rn "needle" src/ | head -${step % 50}` };
  const output = Array.from({ length: 60 }, (_, line) => `src/file${line}.ts:${line}: const needle = ${step * line};`).join("\n");
  yield { type: "command_finished", step, call: 0, exitCode: 0, ms: 12, output, outputTail: "", elidedChars: 0, timedOut: false, notes: [] };
}

const gc = (): void => {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
};

export async function measureLiveView(seconds = 12, eventsPerSecond = 200) {
  const terminal = fakeTerminal();
  const view = new LiveView({ stdout: terminal.stdout, stdin: terminal.stdin, theme: "dark", screenReader: false, confirm: false, onInterrupt: () => undefined });
  view.onEvent(
    stamp({
      type: "run_started",
      ...startedFields({ runId: "bench", outputDir: "/out", spec: { issue: "bench the view" } }),
    }),
  );
  const events = (function* () {
    for (let step = 1; ; step++) yield* stepEvents(step);
  })();
  const total = seconds * eventsPerSecond;
  const heapAt: number[] = [];
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let sent = 0; sent < total; sent++) {
    view.onEvent(stamp(events.next().value!));
    // Paced: each event at its time, so the view sees a steady 200 a second.
    const due = wallStart + ((sent + 1) * 1000) / eventsPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if ((sent + 1) % (eventsPerSecond * 3) === 0) {
      gc();
      heapAt.push(process.memoryUsage().heapUsed);
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  await view.close();
  const firstHeap = heapAt[0] ?? 0;
  const lastHeap = heapAt.at(-1) ?? 0;
  return {
    eventsPerSecond,
    seconds,
    cpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
    heapMbAfterGc: heapAt.map((bytes) => round(bytes / 1024 ** 2)),
    heapGrowthMb: round((lastHeap - firstHeap) / 1024 ** 2),
    drawnKb: round(terminal.written() / 1024),
    target: { cpuPercentMax: 15, heapGrowth: "flat" },
  };
}
