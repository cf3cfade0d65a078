import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { readEvents } from "../../core/events/events-file.ts";
import type { EventOf, MoltEvent } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, gitOut, makeRepo, molt, tempDir } from "../helpers.ts";
import { COUNT_WORDS, COUNT_WORDS_TYPE_ERROR, countWords, writeTool } from "../tool-sources.ts";

// Runs recorded with ./bin/molt against the scripted server, then re-executed from their record
// alone: the server is closed before any re-run, so no reply can come from it.

const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };

const TYPE_ERROR = COUNT_WORDS_TYPE_ERROR;
const PLAIN = COUNT_WORDS;
const DISTINCT_TYPE_ERROR = countWords("    const distinct: string = new Set(words).size;\n    return `${words.length} words, ${distinct} distinct`;");
const DISTINCT = countWords("    return `${words.length} words, ${new Set(words).size} distinct`;");

const write = (source: string) => writeTool("count_words", source);

/** Records a run; the scripted server is gone when this returns. */
async function record(repo: string, script: ScriptReply[], extra: string[], exitCode = 0): Promise<string> {
  const server = await startScriptedServer({ script });
  const out = join(await tempDir(), "run");
  try {
    const result = await molt(["run", "--repo", repo, "--issue", "count the words", "--model", "m", "--base-url", server.url, "--output", out, ...extra]);
    expect(result.exitCode, result.stderr).toBe(exitCode);
  } finally {
    await server.close();
  }
  return out;
}

/** `molt replay RUN --exec`; the re-run's folder is a temporary one unless `output` is null (molt's default). */
async function exec(dir: string, options: { output?: string | null; evolved?: string } = {}) {
  const output = options.output === null ? [] : ["--output", options.output ?? join(await tempDir(), "replayed")];
  const evolved = options.evolved === undefined ? [] : ["--evolved", options.evolved];
  const result = await molt(["replay", dir, "--exec", ...output, ...evolved]);
  return { code: result.exitCode, stdout: `${result.stdout}\n`, stderr: result.stderr };
}

/** A copy of a run whose record went through `change`. */
async function altered(run: string, change: (events: MoltEvent[]) => MoltEvent[]): Promise<string> {
  const copy = join(await tempDir(), "altered");
  await cp(run, copy, { recursive: true });
  const events = change(readEvents(join(copy, "events.jsonl")));
  await writeFile(join(copy, "events.jsonl"), events.map((event) => JSON.stringify(event) + "\n").join(""));
  return copy;
}

function ofType<T extends MoltEvent["type"]>(events: readonly MoltEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

let repo: string;
let library: string;
let run: string;
let historyBefore: string;

beforeAll(async () => {
  repo = await makeRepo({ "notes.txt": "the cat saw the dog\n" });
  // An earlier run leaves count_words v2 in the library, and v1 in its history.
  library = join(await tempDir(), "library");
  await record(repo, [{ command: write(TYPE_ERROR) }, { command: write(PLAIN) }, SUBMIT], ["--evolved", library]);
  run = await record(
    repo,
    [
      { thought: "A better tool.", command: write(DISTINCT_TYPE_ERROR) },
      { thought: "Fix it.", command: write(DISTINCT) },
      { thought: "Count.", command: "count_words --path notes.txt > count.txt && cat count.txt && ls -la && pwd" },
      { thought: "Change the notes.", command: "sed -i 's/cat/bird/' notes.txt && git diff --stat" },
      SUBMIT,
    ],
    ["--evolved", library],
  );
  historyBefore = await readFile(join(library, ".history", "count_words.jsonl"), "utf8");
}, 120_000);

afterAll(cleanUp);

test("the recorded replies re-run to the same observations and the same patch, from the library as the run found it", async () => {
  const recorded = readEvents(join(run, "events.jsonl"));
  expect(ofType(recorded, "tool_written").map((event) => [event.step, event.version])).toEqual([[0, 2], [1, 3], [2, 4]]);
  expect(ofType(recorded, "command_finished")[2]?.output).toContain("5 words, 4 distinct");

  const result = await exec(run, { output: null });
  expect(result.stderr).toBe("");
  expect(result.stdout).toMatch(/^re-run \/\S+\n/);
  expect(result.stdout.split("\n").slice(1).join("\n")).toBe(
    "step 1  same\nstep 2  same\nstep 3  same\nstep 4  same\nstep 5  same\npatch  identical\n" +
      "end    recorded Submitted after 5 steps; re-run Submitted after 5 steps\n5 of 5 observations match\n",
  );
  expect(result.code).toBe(0);

  // The re-run is a molt run of its own, which numbered the new versions as the recorded run did.
  const rerunDir = /^re-run (\S+)/.exec(result.stdout)![1]!;
  expect(rerunDir.startsWith(join(tmpdir(), "molt-replay-"))).toBe(true);
  onTestFinished(() => rm(rerunDir, { recursive: true, force: true }));
  const rerun = readEvents(join(rerunDir, "events.jsonl"));
  expect(ofType(rerun, "tool_written").map((event) => [event.step, event.version])).toEqual([[0, 2], [1, 3], [2, 4]]);
  const started = ofType(rerun, "run_started")[0];
  expect(started?.spec.repo).toBe(repo);
  expect(started?.spec.model.baseUrl).toBeUndefined();
  expect(await readFile(join(rerunDir, "patch.diff"), "utf8")).toContain("+the bird saw the dog");
  // The scratch library took the re-run's tools; the user's library and repository are as they were.
  expect(await readFile(join(library, ".history", "count_words.jsonl"), "utf8")).toBe(historyBefore);
  expect(await readFile(join(library, "count_words.ts"), "utf8")).toBe(DISTINCT);
  expect(await gitOut(repo, "status", "--porcelain")).toBe("");
  expect(await readFile(join(repo, "notes.txt"), "utf8")).toBe("the cat saw the dog\n");
}, 60_000);

test("an altered recorded observation is reported with a diff, and the exit still follows the patch", async () => {
  const copy = await altered(run, (events) =>
    events.map((event) => (event.type === "command_finished" && event.step === 3 ? { ...event, output: event.output.replace("4 distinct", "7 distinct") } : event)),
  );
  const result = await exec(copy);
  expect(result.stdout).toContain("step 2  same\nstep 3  differs\n    --- recorded\n    +++ re-run\n");
  expect(result.stdout).toMatch(/^ {4}-5 words, 7 distinct$/m);
  expect(result.stdout).toMatch(/^ {4}\+5 words, 4 distinct$/m);
  expect(result.stdout).toContain("step 4  same\nstep 5  same\npatch  identical\n");
  expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("4 of 5 observations match");
  expect(result.code).toBe(0);
}, 60_000);

test("a record whose replies lead to another patch exits 1 with the two patches' diff", async () => {
  const fish = (text: string) => text.replace("s/cat/bird/", "s/cat/fish/");
  const copy = await altered(run, (events) =>
    events.map((event) => {
      if (!("step" in event) || event.step !== 4) return event;
      if (event.type === "model_response") return { ...event, toolCalls: event.toolCalls.map((call) => ({ ...call, arguments: fish(call.arguments) })) };
      if (event.type === "command_started") return { ...event, command: fish(event.command) };
      return event;
    }),
  );
  const result = await exec(copy);
  expect(result.stdout).toContain("patch  differs\n");
  expect(result.stdout).toMatch(/^ {4}-\+the bird saw the dog$/m);
  expect(result.stdout).toMatch(/^ {4}\+\+the fish saw the dog$/m);
  expect(result.code).toBe(1);
}, 60_000);

test("a command the user edited under --confirm runs as they edited it", async () => {
  const copy = await altered(run, (events) =>
    events.map((event) => (event.type === "command_started" && event.step === 4 ? { ...event, command: event.command.replace("bird", "cow") } : event)),
  );
  const output = join(await tempDir(), "replayed");
  const result = await exec(copy, { output });
  expect(result.stdout).toContain("step 4  same\nstep 5  same\npatch  differs\n");
  expect(await readFile(join(output, "patch.diff"), "utf8")).toContain("+the cow saw the dog");
  expect(result.code).toBe(1);
}, 60_000);

test("a record cut off while a command ran replays up to that step and says the record has no patch", async () => {
  const copy = await altered(run, (events) => events.slice(0, events.findIndex((event) => event.type === "command_started" && event.step === 4) + 1));
  const result = await exec(copy);
  expect(result.stdout).toContain("step 3  same\nstep 4  not re-run: the recorded command never finished\n");
  expect(result.stdout).toContain("patch  differs: the record has no final patch");
  expect(result.stdout).toContain("end    recorded did not end (killed); re-run Interrupted after 3 steps");
  expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("3 of 3 observations match");
  expect(result.code).toBe(1);
}, 60_000);

test("a run that hit its step limit replays as far as its record goes; --evolved and --output are used", async () => {
  const limited = await record(repo, [{ command: write(PLAIN) }, { command: "count_words --path notes.txt" }, SUBMIT], ["--step-limit", "2", "--fresh", "--evolved", library], 1);
  const output = join(await tempDir(), "replayed");
  const evolved = join(await tempDir(), "evolved");
  const result = await exec(limited, { output, evolved });
  expect(result.stdout).toBe(
    `re-run ${output}\nstep 1  same\nstep 2  same\npatch  identical\n` +
      "end    recorded LimitsExceeded after 2 steps (the step limit of 2 was reached); re-run LimitsExceeded after 2 steps (the step limit of 2 was reached)\n" +
      "2 of 2 observations match\n",
  );
  expect(result.code).toBe(0);
  expect(ofType(readEvents(join(output, "events.jsonl")), "tool_loaded").map((event) => event.version)).toEqual([1]);
}, 60_000);

test("a run without tools re-runs without them, and refuses a library to write into", async () => {
  const plain = await record(repo, [{ command: "wc -w notes.txt" }, SUBMIT], ["--no-evolve"]);
  const result = await exec(plain);
  expect(result.stdout).toMatch(/\nstep 1 {2}same\nstep 2 {2}same\npatch {2}identical\n/);
  expect(result.code).toBe(0);
  const refused = await exec(plain, { evolved: join(await tempDir(), "library") });
  expect(refused.stderr).toBe("molt: the recorded run had tool evolution off, so the re-run writes no tools: drop --evolved");
  expect(refused.code).toBe(2);
}, 60_000);

test("a run with a setup command re-runs it first: the agent's edit of what it made comes out the same", async () => {
  const setUp = await record(repo, [{ command: "sed -i 's/level=1/level=2/' settings.txt && cat settings.txt" }, SUBMIT], ["--no-evolve", "--sandbox", "local", "--setup", "printf 'level=1\\n' > settings.txt"]);
  const recordedPatch = await readFile(join(setUp, "patch.diff"), "utf8");
  expect(recordedPatch).toContain("-level=1\n+level=2");
  const result = await exec(setUp);
  expect(result.stdout).toMatch(/\nstep 1 {2}same\nstep 2 {2}same\npatch {2}identical\n/);
  expect(result.code).toBe(0);
}, 60_000);

test("a record whose repository is gone is refused in one line", async () => {
  const copy = await altered(run, (events) => events.map((event) => (event.type === "run_started" ? { ...event, spec: { ...event.spec, repo: "/nonexistent/repo" } } : event)));
  const result = await exec(copy);
  expect(result.stderr).toBe("molt: cannot re-run: /nonexistent/repo: no such folder");
  expect(result.stdout).toBe("\n");
  expect(result.code).toBe(2);
});
