import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { loadRecord, RecordError } from "../../core/record/record.ts";
import { cleanUp, tempDir } from "../helpers.ts";
import { runStartedFields } from "../run-started.ts";

afterEach(cleanUp);

const STARTED = { type: "run_started", ts: 1, ...runStartedFields() };

function lines(...events: unknown[]): string {
  return events.map((event) => JSON.stringify(event)).join("\n") + "\n";
}

function failure(path: string): string {
  try {
    loadRecord(path);
  } catch (error) {
    expect(error).toBeInstanceOf(RecordError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error("loadRecord did not fail");
}

test("a run folder and its events.jsonl read the same molt record", async () => {
  const dir = await tempDir();
  await writeFile(join(dir, "events.jsonl"), lines(STARTED, { type: "model_request", ts: 2, step: 1, messages: 2 }));
  const fromFolder = loadRecord(dir);
  expect(fromFolder).toMatchObject({ kind: "molt", dir, file: join(dir, "events.jsonl") });
  expect(fromFolder.events.map((event) => event.type)).toEqual(["run_started", "model_request"]);
  expect(loadRecord(join(dir, "events.jsonl"))).toEqual(fromFolder);
});

test("a folder with only a mini-SWE-agent trajectory reads it", async () => {
  const dir = await tempDir();
  const messages = [{ role: "system", content: "s" }, { role: "user", content: "t" }];
  await writeFile(join(dir, "sympy__sympy-1.traj.json"), JSON.stringify({ info: { exit_status: "Submitted", submission: "" }, messages, trajectory_format: "mini-swe-agent-1" }));
  const record = loadRecord(dir);
  expect(record.kind).toBe("mini-swe-agent");
  expect(record.events[0]).toMatchObject({ type: "run_started", runId: "sympy__sympy-1" });
});

test("a trajectory that names a molt run but has no events.jsonl beside it is converted", async () => {
  const dir = await tempDir();
  const file = join(dir, "r1.traj.json");
  await writeFile(file, JSON.stringify({ info: { exit_status: "Submitted", submission: "", molt: { runId: "r1", repo: "/src/app" } }, messages: [{ role: "user", content: "<issue>\nfix it\n</issue>" }] }));
  expect(loadRecord(file).events[0]).toMatchObject({ type: "run_started", runId: "r1", spec: { repo: "/src/app", issue: "fix it" } });
});

test("each kind of bad input is one line naming the file and what is wrong", async () => {
  const dir = await tempDir();
  expect(failure(join(dir, "nope"))).toBe(`${join(dir, "nope")}: no such file or folder`);
  expect(failure(dir)).toMatch(/not a molt run \(no events\.jsonl or \*\.traj\.json in it\)/);

  await writeFile(join(dir, "notes.txt"), "hello");
  expect(failure(join(dir, "notes.txt"))).toMatch(/not a molt run or trajectory/);

  const broken = join(dir, "broken.traj.json");
  await writeFile(broken, "{ not json");
  expect(failure(broken)).toBe(`${broken}: not valid JSON, so not a trajectory`);

  const wrong = join(dir, "wrong.traj.json");
  await writeFile(wrong, JSON.stringify({ messages: [{ role: "system" }, { content: "x" }] }));
  expect(failure(wrong)).toMatch(/not a molt run or mini-SWE-agent trajectory \(messages\[1\]\.role: /);

  const run = join(dir, "run");
  await mkdir(run);
  await writeFile(join(run, "events.jsonl"), lines(STARTED, { type: "model_request", ts: 2, step: "one", messages: 2 }, { type: "model_request", ts: 3, step: 2, messages: 4 }));
  expect(failure(run)).toMatch(/events\.jsonl:2: not a molt event \(step: .*expected number/);

  await writeFile(join(run, "events.jsonl"), "");
  expect(failure(run)).toMatch(/holds no events/);
  await writeFile(join(run, "events.jsonl"), lines({ type: "model_request", ts: 2, step: 1, messages: 2 }));
  expect(failure(run)).toMatch(/events\.jsonl:1: not a molt run's record/);
});

test("a torn last line (a run killed mid-write) is dropped, not an error", async () => {
  const dir = await tempDir();
  await writeFile(join(dir, "events.jsonl"), lines(STARTED) + '{"type":"model_req');
  expect(loadRecord(dir).events).toHaveLength(1);
});
