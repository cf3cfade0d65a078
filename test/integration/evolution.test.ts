import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { COUNT_WORDS, COUNT_WORDS_TYPE_ERROR, countWords, writeTool } from "../tool-sources.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";

// Full runs of ./bin/molt against the scripted server over HTTP, with the real validator and tool host.

const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
const servers: ScriptedServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanUp();
});

async function serve(script: ScriptReply[]): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script });
  servers.push(server);
  return server;
}

const write = writeTool;

const V1_TYPE_ERROR = COUNT_WORDS_TYPE_ERROR;
const V2 = COUNT_WORDS;
const V3 = countWords("    return `${words.length} words, ${new Set(words).size} distinct`;");

async function events(dir: string): Promise<MoltEvent[]> {
  return (await readFile(join(dir, "events.jsonl"), "utf8")).trim().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
}

function observation(server: ScriptedServer, request: number): string {
  return String(server.requests[request]?.messages.at(-1)?.content);
}

function ofType<T extends MoltEvent["type"]>(all: MoltEvent[], type: T): EventOf<T>[] {
  return all.filter((event): event is EventOf<T> => event.type === type);
}

test("the agent writes a tool, is told why it was rejected, fixes it, calls it, changes it, calls it again, and keeps it", async () => {
  const repo = await makeRepo({ "notes.txt": "the cat saw the dog\n" });
  const library = join(await tempDir(), "library");
  const out = join(await tempDir(), "run");
  const server = await serve([
    { thought: "A tool to count words.", command: write("count_words", V1_TYPE_ERROR) },
    { thought: "Fix the type error.", command: write("count_words", V2) },
    { thought: "Use it.", command: "count_words --path notes.txt" },
    { thought: "Make it say more.", command: write("count_words", V3) },
    { thought: "Use the new version.", command: "count_words '{\"path\": \"notes.txt\"}'" },
    SUBMIT,
  ]);
  const result = await molt(["run", "--repo", repo, "--issue", "count the words", "--model", "m", "--base-url", server.url, "--evolved", library, "--output", out]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);

  // What the agent read after each step.
  expect(observation(server, 1)).toMatch(/\[molt\] tool count_words v1 rejected: evolved\/count_words\.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'/);
  expect(observation(server, 2)).toMatch(/\[molt\] tool count_words v2 loaded in \d+ ms — usage: count_words --path <string>/);
  expect(observation(server, 3)).toContain("5 words");
  expect(observation(server, 4)).toMatch(/\[molt\] tool count_words v3 loaded/);
  expect(observation(server, 5)).toContain("5 words, 4 distinct");
  // Every observation ends with the reminder to consider a tool.
  expect(observation(server, 3).trimEnd().split("\n").at(-1)).toMatch(/^\[molt\] Reflect: would a new or better tool help/);
  // The system prompt taught the contract and said the library was empty.
  const system = String(server.requests[0]?.messages[0]?.content);
  expect(system).toContain('import { defineTool, z } from "molt/tool"');
  expect(system).toContain("Your tool library is empty");

  // The record holds every version and every call.
  const all = await events(out);
  expect(ofType(all, "tool_written").map((event) => event.version)).toEqual([1, 2, 3]);
  expect(ofType(all, "tool_rejected").map((event) => [event.version, event.stage])).toEqual([[1, "validate"]]);
  expect(ofType(all, "tool_validated").find((event) => event.version === 1)?.diagnostics[0]).toMatchObject({ line: 11, column: 11, code: "TS2322" });
  expect(ofType(all, "tool_loaded").map((event) => event.version)).toEqual([2, 3]);
  expect(ofType(all, "tool_called").map((event) => [event.step, event.version, event.exitCode])).toEqual([
    [3, 2, 0],
    [5, 3, 0],
  ]);
  expect(ofType(all, "tool_written")[2]?.source).toBe(V3);

  // The library keeps the loaded version, and its history every version.
  expect(await readFile(join(library, "count_words.ts"), "utf8")).toBe(V3);
  const list = await molt(["tools", "list", "--evolved", library]);
  // The run that made it, by its id: the name of its folder.
  expect(list.stdout).toMatch(/count_words\s+v3\s+kept\s+2\s+run\b/);
  const log = await molt(["tools", "log", "count_words", "--evolved", library]);
  expect(log.stdout).toMatch(/count_words v1 {2}rejected/);
  expect(log.stdout).toContain("TS2322");
  expect(log.stdout).toMatch(/--- count_words v2\n\+\+\+ count_words v3/);
  expect(log.stdout).toContain("+    return `${words.length} words, ${new Set(words).size} distinct`;");
  const show = await molt(["tools", "show", "count_words@v2", "--evolved", library]);
  expect(show.stdout).toBe(V2.trimEnd()); // execa drops the final newline
  // The tool never leaks into the agent's patch.
  expect(await readFile(join(out, "patch.diff"), "utf8")).toBe("");
});

test("a later run starts with the kept tool loaded and announced; a --fresh run starts without it and keeps nothing", async () => {
  const repo = await makeRepo({ "notes.txt": "one two three\n" });
  const library = join(await tempDir(), "library");
  const first = await serve([{ command: write("count_words", V2) }, SUBMIT]);
  expect((await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", first.url, "--evolved", library, "--output", join(await tempDir(), "run")])).exitCode).toBe(0);

  const second = await serve([{ command: "count_words --path notes.txt" }, SUBMIT]);
  const again = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", second.url, "--evolved", library, "--output", join(await tempDir(), "run")]);
  expect(again.exitCode).toBe(0);
  expect(String(second.requests[0]?.messages[0]?.content)).toMatch(/- count_words --path <string>\n {2}Count the words in a file/);
  expect(observation(second, 1)).toContain("3 words");

  const fresh = await serve([{ command: "count_words --path notes.txt" }, { command: write("fresh_tool", V2.replace(/count_words/g, "fresh_tool")) }, SUBMIT]);
  const freshRun = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", fresh.url, "--evolved", library, "--fresh", "--output", join(await tempDir(), "run")]);
  expect(freshRun.exitCode).toBe(0);
  expect(String(fresh.requests[0]?.messages[0]?.content)).toContain("Your tool library is empty");
  expect(observation(fresh, 1)).toMatch(/<returncode>127<\/returncode>[\s\S]*count_words: command not found/);
  expect(observation(fresh, 2)).toMatch(/tool fresh_tool v1 loaded/);
  // Nothing of the fresh run was kept.
  expect((await readdir(library)).filter((file) => file.endsWith(".ts"))).toEqual(["count_words.ts"]);
  expect(existsSync(join(library, ".history", "fresh_tool.jsonl"))).toBe(false);
});

test("two runs sharing a library at once both keep their versions of a tool, the later to finish numbered after the other", async () => {
  const repo = await makeRepo({ "notes.txt": "one two three\n" });
  const library = join(await tempDir(), "library");
  // Unsandboxed, so that A's command sees the file the test makes in its own temporary folder.
  const runArgs = async (server: ScriptedServer) => ["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--evolved", library, "--sandbox", "local", "--output", join(await tempDir(), "run")];
  // A writes v1 and waits; meanwhile B writes its own v1 and finishes; then A finishes.
  const go = join(await tempDir(), "go");
  const a = await serve([{ command: write("count_words", V2) }, { command: `while [ ! -e ${go} ]; do sleep 0.05; done` }, SUBMIT]);
  const first = molt(await runArgs(a));
  while (a.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  const b = await serve([{ command: write("count_words", V3) }, SUBMIT]);
  const second = await molt(await runArgs(b));
  expect(second.exitCode).toBe(0);
  expect(observation(b, 1)).toMatch(/tool count_words v1 loaded/);
  await writeFile(go, "");
  expect((await first).exitCode).toBe(0);
  expect(observation(a, 1)).toMatch(/tool count_words v1 loaded/);

  const history = (await readFile(join(library, ".history", "count_words.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { kind: string; version: number; source?: string });
  const versions = history.filter((entry) => entry.kind === "version").map((entry) => [entry.version, entry.source]);
  expect(versions).toEqual([[1, V3], [2, V2]]);
  // The library's current version is the one kept last.
  expect(await readFile(join(library, "count_words.ts"), "utf8")).toBe(V2);
  expect(existsSync(join(library, ".library.lock"))).toBe(false);
});

test("a tool whose file is deleted is unloaded, and a rejected new version leaves the loaded one in place", async () => {
  const repo = await makeRepo({ "notes.txt": "a b\n" });
  const server = await serve([
    { command: write("count_words", V2) },
    { command: write("count_words", V1_TYPE_ERROR) },
    { command: "count_words --path notes.txt" },
    { command: 'rm "$MOLT_EVOLVED/count_words.ts"' },
    { command: "count_words --path notes.txt" },
    SUBMIT,
  ]);
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", join(await tempDir(), "run")]);
  expect(result.exitCode).toBe(0);
  expect(observation(server, 2)).toMatch(/count_words v2 rejected: .*\(v1 stays loaded\)|count_words v2 rejected: evolved\/count_words\.ts/);
  expect(observation(server, 3)).toContain("2 words");
  expect(observation(server, 4)).toContain("[molt] tool count_words removed");
  expect(observation(server, 5)).toMatch(/<returncode>127<\/returncode>/);
});

test("--no-evolve is the plain loop: no tools folder, no tool instructions, no reminder", async () => {
  const repo = await makeRepo({ "a.txt": "a\n" });
  const server = await serve([{ command: 'echo "evolved=[$MOLT_EVOLVED]"' }, SUBMIT]);
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--no-evolve", "--output", join(await tempDir(), "run")]);
  expect(result.exitCode).toBe(0);
  expect(observation(server, 1)).toContain("evolved=[]");
  expect(observation(server, 1)).not.toContain("[molt]");
  expect(String(server.requests[0]?.messages[0]?.content)).not.toContain("molt/tool");
});

test("the reminder that ends each observation can be changed or turned off", async () => {
  const repo = await makeRepo({ "a.txt": "a\n" });
  const custom = await serve([{ command: "true" }, SUBMIT]);
  await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", custom.url, "--reminder", "Would a tool help here?", "--output", join(await tempDir(), "run")]);
  expect(observation(custom, 1).trimEnd().endsWith("Would a tool help here?")).toBe(true);
  const none = await serve([{ command: "true" }, SUBMIT]);
  await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", none.url, "--reminder", "", "--output", join(await tempDir(), "run")]);
  expect(observation(none, 1).trimEnd().endsWith("</output>")).toBe(true);
});

test("molt tools rm takes a tool out of the library and keeps its history; bad names exit 2", async () => {
  const repo = await makeRepo({ "a.txt": "a\n" });
  const library = join(await tempDir(), "library");
  const server = await serve([{ command: write("count_words", V2) }, SUBMIT]);
  await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--evolved", library, "--output", join(await tempDir(), "run")]);
  const removed = await molt(["tools", "rm", "count_words", "--evolved", library]);
  expect(removed.exitCode).toBe(0);
  expect(existsSync(join(library, "count_words.ts"))).toBe(false);
  expect((await molt(["tools", "list", "--evolved", library])).stdout).toMatch(/count_words\s+-\s+\(latest v1\)\s+removed/);
  expect((await molt(["tools", "log", "count_words", "--evolved", library])).stdout).toContain("count_words v1  loaded");
  const missing = await molt(["tools", "show", "nope", "--evolved", library]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr.trim()).toBe(`molt: no tool "nope" in ${library}`);
  expect((await molt(["tools", "rm", "nope", "--evolved", library])).exitCode).toBe(2);
});
