import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { loadRecord } from "../../core/record/record.ts";
import { startScriptedServer, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";

// Real molt runs: their *.traj.json, read alone through the mini-SWE-agent path, must give back
// the commands and outputs their events.jsonl holds.

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanUp();
});

function ofType<T extends MoltEvent["type"]>(events: MoltEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

describe.each(["text", "tools"] as const)("a molt run in %s format", (format) => {
  test("reads back from its trajectory alone with the same steps, commands and outputs", async () => {
    const repo = await makeRepo({ "calc.js": "export const add = (a, b) => a - b;\n" });
    const server = await startScriptedServer({
      script: [
        { thought: "Look.", command: "cat calc.js" },
        "I am not sure what to do yet.",
        { thought: "Count.", command: "seq 1 100000" },
        { thought: "Fail.", command: "ls no-such-file" },
        { thought: "Wait.", command: "sleep 5" },
        { thought: "Fix.", command: "sed -i 's/a - b/a + b/' calc.js" },
        // Submitted with what followed the marker, as mini-SWE-agent's SWE-bench setting does.
        { thought: "Done.", command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff --stat" },
      ],
    });
    servers.push(server);
    const out = join(await tempDir(), "run");
    const args = ["run", "--repo", repo, "--issue", "add() subtracts", "--model", "m", "--base-url", server.url, "--action-format", format, "--timeout", "1", "--output", out];
    const result = await molt(args);
    expect(result.exitCode).toBe(0);

    const trajName = (await readdir(out)).find((name) => name.endsWith(".traj.json"))!;
    // Beside its events.jsonl, a trajectory molt wrote is read from the events.jsonl.
    const recorded = loadRecord(join(out, trajName));
    expect(recorded).toMatchObject({ kind: "molt", dir: out, file: join(out, "events.jsonl") });
    const alone = join(await tempDir(), "copy");
    await mkdir(alone);
    await copyFile(join(out, trajName), join(alone, trajName));
    const converted = loadRecord(join(alone, trajName));
    expect(converted.kind).toBe("mini-swe-agent");
    expect(converted.dir).toBeUndefined();

    const a = recorded.events;
    const b = converted.events;
    const started = (events: MoltEvent[]) => ofType(events, "run_started")[0]!;
    expect(started(b)).toMatchObject({ runId: started(a).runId, spec: { repo: started(a).spec.repo, base: started(a).spec.base, issue: "add() subtracts", model: { name: "m", actionFormat: format } } });
    expect(ofType(b, "prompt")).toEqual(ofType(a, "prompt").map((event) => ({ ...event, ts: expect.any(Number) })));
    const replies = (events: MoltEvent[]) => ofType(events, "model_response").map(({ step, content, toolCalls }) => ({ step, content, toolCalls }));
    expect(replies(b)).toEqual(replies(a));
    const formatErrors = (events: MoltEvent[]) => ofType(events, "format_error").map(({ step, reason, inARow }) => ({ step, reason, inARow }));
    expect(formatErrors(b)).toEqual(formatErrors(a));
    expect(formatErrors(a)).toHaveLength(1);
    const commands = (events: MoltEvent[]) => ofType(events, "command_started").map(({ step, command }) => ({ step, command }));
    expect(commands(b)).toEqual(commands(a));
    // A command that timed out reads back with the return code the model was shown: -1, as mini-SWE-agent reports it.
    const results = (events: MoltEvent[]) =>
      ofType(events, "command_finished").map(({ step, exitCode, output, outputTail, elidedChars, timedOut }) => ({ step, exitCode: timedOut ? -1 : exitCode, output, outputTail, elidedChars, timedOut }));
    expect(results(b)).toEqual(results(a));
    expect(results(a).at(-1)?.output).toMatch(/^COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n calc\.js \| 2 \+-\n/);
    // The run had a long output, a failure and a timeout to read back.
    expect(results(a).some((r) => r.elidedChars > 0)).toBe(true);
    expect(results(a).some((r) => r.exitCode !== 0 && !r.timedOut)).toBe(true);
    expect(results(a).some((r) => r.timedOut)).toBe(true);
    // The notes (molt's reminder after each output) too, but for the submission's: the trajectory does not hold its observation.
    const notes = (events: MoltEvent[]) => ofType(events, "command_finished").slice(0, -1).map((event) => event.notes.join("\n"));
    expect(notes(b)).toEqual(notes(a));
    expect(notes(a).every((note) => note.includes("Reflect"))).toBe(true);

    const end = (events: MoltEvent[]) => ofType(events, "run_finished").map(({ exitStatus, patch, totals }) => ({ exitStatus, patch, steps: totals.steps, apiCalls: totals.apiCalls }));
    expect(end(b)).toEqual(end(a));
    expect(end(b)[0]?.patch).toContain("+export const add = (a, b) => a + b;");
  });
});
