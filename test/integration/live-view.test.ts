import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, expect, test } from "vitest";
import { MoltEvent, type EventOf } from "../../core/events/events.ts";
import { startScriptedServer, type ScriptReply, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";
import { COUNT_WORDS, COUNT_WORDS_TYPE_ERROR, writeTool } from "../tool-sources.ts";
import { closeTerminals, openTerminal, stopTmux, type Terminal } from "../terminal.ts";

// The live view end to end, as a user sees it: ./bin/molt runs in a real terminal (a tmux pane),
// against the scripted model served from this process, and the test reads the screen and presses
// keys.

const SUBMIT: ScriptReply = { thought: "The fix is in; submitting.", command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
const BUGGY = { "calc.js": "export const add = (a, b) => a - b;\n", "test/calc.test.js": "// add(1, 2) should be 3\n", "notes.txt": "the cat saw the dog\n" };

const servers: ScriptedServer[] = [];
/** Workspaces molt keeps (interrupted runs), removed after each test. */
const keptWorkspaces: string[] = [];

afterEach(async () => {
  await closeTerminals();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(keptWorkspaces.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

afterAll(stopTmux);

async function serve(script: ScriptReply[]): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script });
  servers.push(server);
  return server;
}

interface Pane extends Terminal {
  /** The run's output folder. */
  out: string;
  /** The record so far. */
  events(): Promise<MoltEvent[]>;
}

/** `molt run` against the scripted server, in a terminal of its own, with a tool library and a home of its own. */
async function runInTerminal(
  repo: string,
  server: ScriptedServer,
  args: string[],
  options: { width?: number; height?: number; env?: Record<string, string> } = {},
): Promise<Pane> {
  const out = join(await tempDir(), "run");
  const library = join(await tempDir("molt-library-"), "evolved");
  const home = await tempDir("molt-home-");
  const terminal = await openTerminal(
    ["run", "--repo", repo, "--issue", "add() subtracts instead of adding", "--model", "m", "--base-url", server.url, "--output", out, ...args],
    { ...options, env: { OPENAI_API_KEY: "test-key", MOLT_LIBRARY: library, HOME: home, ...options.env } },
  );
  return {
    ...terminal,
    out,
    async events() {
      const file = join(out, "events.jsonl");
      if (!existsSync(file)) return [];
      const text = await readFile(file, "utf8");
      return text.split("\n").filter((line) => line.endsWith("}")).map((line) => MoltEvent.parse(JSON.parse(line)));
    },
  };
}

const ofType = <T extends MoltEvent["type"]>(events: MoltEvent[], type: T) => events.filter((event): event is EventOf<T> => event.type === type);

/** The agent's workspace, from the record (it exists only while the run does, unless kept). */
async function workspaceOf(pane: Pane): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const started = ofType(await pane.events(), "run_started")[0];
    if (started) return started.workspace;
    if (Date.now() > deadline) throw new Error("no run_started in the record");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The SGR sequences on a screen captured with -e that set a colour, each with the text that follows
 * it; bold, dim, inverse and the resets to the default colours (39, 49) are not colours.
 */
function colourCodes(screen: string): string[] {
  const found: string[] = [];
  for (const match of screen.matchAll(/\u001b\[([0-9;:]*)m([^\u001b\n]{0,30})/g)) {
    const params = (match[1] ?? "").split(/[;:]/).map(Number);
    if (params.some((p) => (p >= 30 && p <= 38) || (p >= 40 && p <= 48) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107))) found.push(match[0]);
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the --confirm prompt asks about this command (it is drawn in a box: "│ $ command   │"). */
function waitForPrompt(pane: Pane, command: string): Promise<string> {
  const escaped = command.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return pane.waitFor(new RegExp(`The agent wants to run:[\\s│]*\\$ ${escaped}\\s*(│|$)`, "m"));
}

/** The last request the model got, as the agent's last message (an observation, or what the user said). */
const lastMessage = (server: ScriptedServer, request: number) => String(server.requests[request]?.messages.at(-1)?.content ?? "");

const FIX: ScriptReply[] = [
  { thought: "Let me look at calc.js first.", command: "cat calc.js" },
  { thought: "The operator is wrong; fixing it.", command: "sed -i 's/a - b/a + b/' calc.js" },
  SUBMIT,
];

test("a run as it happens: thought, command and output of each step, then the patch and Submitted; q leaves with exit 0", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve(FIX);
  const pane = await runInTerminal(repo, server, []);
  const final = await pane.waitFor("q or Enter: leave");
  // Each step: its thought, its command, its output and its verdict, in that order.
  expect(final).toMatch(/● 1 Let me look at calc\.js first\.\n {2}\$ cat calc\.js\n {4}export const add = \(a, b\) => a - b;\n {2}✓ exit 0 · \d+ ms/);
  expect(final).toMatch(/● 2 The operator is wrong; fixing it\.\n {2}\$ sed -i 's\/a - b\/a \+ b\/' calc\.js\n {2}✓ exit 0/);
  expect(final).toMatch(/● 3 The fix is in; submitting\./);
  // The end: how it ended, what it cost, the patch, and where the files are.
  expect(final).toMatch(/^Submitted$/m);
  expect(final).toMatch(/^3 steps · \d+ tokens in, \d+ out · \$0\.0000 · .* · 0 tools created$/m);
  expect(final).toContain("-export const add = (a, b) => a - b;");
  expect(final).toContain("+export const add = (a, b) => a + b;");
  expect(final).toContain(`patch  ${pane.out}/patch.diff (1 file)`);
  // The diff is coloured.
  const coloured = await pane.screen({ escapes: true });
  expect(coloured).toMatch(/\u001b\[[0-9;]*32m\+export const add/);
  expect(colourCodes(coloured).length).toBeGreaterThan(0);

  // molt waits on the final view until the user leaves it.
  await sleep(500);
  expect(await pane.screen()).not.toContain("EXIT=");
  await pane.press("q");
  const after = await pane.waitFor("EXIT=");
  expect(after).toContain("EXIT=0");
  // The final view is gone; a short summary stays.
  expect(after).not.toContain("q or Enter: leave");
  expect(after).toMatch(/Submitted after 3 steps · \$0\.0000 · .* · 0 tools created\npatch {2}.*patch\.diff \(1 file\)\nrun {4}/);
  expect(await readFile(join(pane.out, "patch.diff"), "utf8")).toContain("+export const add = (a, b) => a + b;");
});

test("a run that ends at the step limit says why, and exits 1 after q", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "Look.", command: "ls" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--step-limit", "1"]);
  const final = await pane.waitFor("q or Enter: leave");
  expect(final).toContain("LimitsExceeded: the step limit of 1 was reached");
  expect(final).toContain("The patch is empty: the agent changed nothing.");
  await pane.press("q");
  const after = await pane.waitFor("EXIT=");
  expect(after).toContain("molt: LimitsExceeded: the step limit of 1 was reached");
  expect(after).toContain("EXIT=1");
  expect(server.served()).toBe(1);
});

test("an endpoint that is busy: the status says it is retrying, in how long and why; then the thinking, and the share of input read from the cache", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([
    { error: { status: 503, message: "overloaded", retryAfterSec: 4 } },
    { reasoning: "The test says add(1, 2) should be 3. I will read calc.js.", thought: "Reading calc.js.", command: "cat calc.js", usage: { prompt: 5000, completion: 40, cached: 4000 } },
    { ...SUBMIT, usage: { prompt: 5000, completion: 40, cached: 4000 } },
  ]);
  const pane = await runInTerminal(repo, server, [], { width: 100 });
  const retrying = await pane.waitFor(/retrying \(1 of 4\) in \d(\.\d)? s: HTTP 503: overloaded/);
  expect(retrying).not.toMatch(/\bthinking\b/);
  const final = await pane.waitFor("q or Enter: leave");
  expect(final).toContain("The test says add(1, 2) should be 3. I will read calc.js.");
  expect(final).toMatch(/2 steps · 10\.0k tokens in \(80% cached\)/);
  expect(final).toContain("↻ retrying (1 of 4) in 4.0 s: HTTP 503: overloaded");
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
});

test("at 80×24 the final view of a long patch keeps the status and totals in sight; after q the summary is printed once", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "Write a long file.", command: "seq 1 200 > long.txt" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, [], { width: 80, height: 24 });
  const final = await pane.waitFor("q or Enter: leave", { history: false });
  const screen = await pane.screen({ history: false });
  expect(screen).toMatch(/^Submitted$/m);
  expect(screen).toMatch(/^2 steps · /m);
  expect(screen).toMatch(/… \d+ more lines in patch\.diff/);
  expect(final).toContain(`patch  ${join(pane.out, "patch.diff")} (1 file)`);
  await pane.press("q");
  const after = await pane.waitFor("EXIT=");
  expect(after).toContain("EXIT=0");
  expect(after.match(/^Submitted after 2 steps/gm)).toHaveLength(1);
  expect(after.match(/^patch {2}\S+patch\.diff \(1 file\)$/gm)).toHaveLength(1);
  // Nothing of the final view was left behind in the scrollback.
  expect(after).not.toContain("q or Enter: leave");
});

test("--confirm: the command waits for y; nothing runs before the key", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "Make a marker.", command: "touch confirmed.txt && echo marker-made" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--confirm"]);
  const asking = await waitForPrompt(pane, "touch confirmed.txt && echo marker-made");
  expect(asking).toContain("y run it · n refuse it and tell the agent why · e edit it first");
  expect(asking).toContain("waiting for you");
  const workspace = await workspaceOf(pane);
  expect(existsSync(join(workspace, "calc.js"))).toBe(true);
  // However long the user takes, the command does not run on its own.
  await sleep(1500);
  expect(existsSync(join(workspace, "confirmed.txt"))).toBe(false);
  expect(await pane.screen()).not.toMatch(/^ {4}marker-made$/m);
  expect(ofType(await pane.events(), "command_started")).toEqual([]);

  await pane.press("y");
  await pane.waitFor(/^ {4}marker-made$/m);
  expect(existsSync(join(workspace, "confirmed.txt"))).toBe(true);
  // The submission asks too.
  await waitForPrompt(pane, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT");
  await pane.press("y");
  await pane.waitFor("q or Enter: leave");
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
  expect(await readFile(join(pane.out, "patch.diff"), "utf8")).toMatch(/^diff --git a\/confirmed\.txt b\/confirmed\.txt$/m);
});

test("molt resume of a --confirm run asks again, and shows the run's repository, limits and folder", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "First.", command: "touch first.txt" }, { thought: "Second.", command: "touch second.txt" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--confirm", "--step-limit", "9"]);
  await waitForPrompt(pane, "touch first.txt");
  await pane.press("y");
  await waitForPrompt(pane, "touch second.txt");
  const workspace = await workspaceOf(pane);
  keptWorkspaces.push(dirname(workspace));
  // Stopped while it asks: the second command never ran.
  await pane.press("C-c");
  await pane.waitFor("q or Enter: leave", { timeoutMs: 15_000 });
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=1");
  expect(existsSync(join(workspace, "second.txt"))).toBe(false);

  const resumed = await openTerminal(["resume", pane.out], { env: { OPENAI_API_KEY: "test-key", HOME: await tempDir("molt-home-") } });
  const asking = await waitForPrompt({ ...resumed, out: pane.out, events: pane.events }, "touch second.txt");
  expect(asking).toContain("waiting for you");
  expect(asking).toMatch(/\brepo\b/);
  expect(asking).toContain("add() subtracts instead of adding");
  expect(asking).toMatch(/step 2 ?\/ ?9|2\/9/);
  await sleep(1000);
  expect(existsSync(join(workspace, "second.txt"))).toBe(false);
  await resumed.press("y");
  await waitForPrompt({ ...resumed, out: pane.out, events: pane.events }, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT");
  await resumed.press("y");
  const final = await resumed.waitFor("q or Enter: leave");
  expect(final).toContain(`run    ${pane.out}`);
  await resumed.press("q");
  expect(await resumed.waitFor("EXIT=")).toContain("EXIT=0");
  const patch = await readFile(join(pane.out, "patch.diff"), "utf8");
  expect(patch).toContain("diff --git a/first.txt b/first.txt");
  expect(patch).toContain("diff --git a/second.txt b/second.txt");
});

test("--confirm: n and a message refuse the command; the message reaches the model and the command never runs", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "The tests are in the way.", command: "rm -rf test && echo tests-gone" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--confirm"]);
  await waitForPrompt(pane, "rm -rf test && echo tests-gone");
  const workspace = await workspaceOf(pane);
  await pane.press("n");
  await pane.waitFor("Tell the agent why (Enter sends, Esc goes back):");
  await pane.type("keep the tests, fix calc.js instead");
  await pane.waitFor("keep the tests, fix calc.js instead");
  await pane.press("Enter");
  const refused = await pane.waitFor("refused by you: keep the tests, fix calc.js instead");
  expect(refused).not.toMatch(/^ {4}tests-gone$/m);
  // The next request carries the user's words to the model.
  await waitForPrompt(pane, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT");
  expect(server.requests).toHaveLength(2);
  expect(lastMessage(server, 1)).toContain("keep the tests, fix calc.js instead");
  expect(existsSync(join(workspace, "test", "calc.test.js"))).toBe(true);
  expect(ofType(await pane.events(), "command_started")).toEqual([]);
  await pane.press("y");
  await pane.waitFor("q or Enter: leave");
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
  expect(await readFile(join(pane.out, "patch.diff"), "utf8")).toBe("");
});

test("--confirm: e lets the user change the command before it runs", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: "Record the answer.", command: "echo from-the-agent > answer.txt" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--confirm"]);
  await waitForPrompt(pane, "echo from-the-agent > answer.txt");
  await pane.press("e");
  // The input starts with the command (the label beside it may wrap: "Esc goes back" is not on one line).
  await pane.waitFor(/Edit the command \(Enter runs it, Esc[\s│]+(goes back\):[\s│]+)?echo from-the-agent > answer\.txt/);
  // The cursor is at the end of the command: what the user types is appended.
  await pane.type(" && echo from-the-user >> answer.txt");
  await pane.waitFor("from-the-user >>");
  expect(ofType(await pane.events(), "command_started")).toEqual([]);
  await pane.press("Enter");
  // The step shows what ran, and that it was the user's edit of the agent's command.
  const ran = await pane.waitFor(/\$ echo from-the-agent > answer\.txt && echo from-the-user >> answer\.txt\n {2}✎ edited by you; the agent proposed: echo from-the-agent > answer\.txt\n {2}✓ exit 0/);
  expect(ran).toBeTruthy();
  await waitForPrompt(pane, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT");
  await pane.press("y");
  await pane.waitFor("q or Enter: leave");
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
  const patch = await readFile(join(pane.out, "patch.diff"), "utf8");
  expect(patch).toContain("+from-the-agent\n+from-the-user\n");
  // The record holds both: what ran (the user's version) and what the agent proposed.
  const started = ofType(await pane.events(), "command_started");
  expect(started[0]).toMatchObject({ command: "echo from-the-agent > answer.txt && echo from-the-user >> answer.txt", proposed: "echo from-the-agent > answer.txt" });
  // The agent was told first, in the observation of its command.
  expect(lastMessage(server, 1)).toMatch(/^\[molt\] The user changed your command before it ran\. What ran was:\necho from-the-agent > answer\.txt && echo from-the-user >> answer\.txt\n/);
  // Replay marks the step as edited.
  const replay = await molt(["replay", pane.out, "--print"], { env: { NO_COLOR: "1" } });
  expect(replay.stdout).toContain("✎ edited by you; the agent proposed: echo from-the-agent > answer.txt");
});

const writeCountWords = (source: string) => writeTool("count_words", source);

test("tools in the transcript (rejected with its TS code, then loaded, then called); p pauses between steps and t shows the tools", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([
    { thought: "A tool to count words.", command: writeCountWords(COUNT_WORDS_TYPE_ERROR) },
    { thought: "Fix the type error.", command: writeCountWords(COUNT_WORDS) },
    { thought: "Use the tool.", command: "count_words --path notes.txt && sleep 2" },
    { thought: "After the pause.", command: "echo resumed" },
    SUBMIT,
  ]);
  const pane = await runInTerminal(repo, server, []);
  const rejected = await pane.waitFor(/⚙ tool count_words v1 rejected: .*TS2322/);
  // The note wraps at words when it is wider than the terminal.
  expect(rejected.replace(/\s+/g, " ")).toMatch(/⚙ tool count_words v1 rejected: evolved\/count_words\.ts:11:11 TS2322 Type 'string' is not assignable to type 'number'/);
  await pane.waitFor(/⚙ tool count_words v2 loaded in \d+ ms: count_words --path <string>/);

  // Pause while step 3 runs: it finishes, and step 4 does not start.
  await pane.waitFor("$ count_words --path notes.txt && sleep 2\n");
  await pane.press("p");
  await pane.waitFor("pausing after this step (p resumes)");
  const paused = await pane.waitFor("paused (p resumes)", { history: false });
  expect(paused).not.toContain("pausing");
  const transcript = await pane.screen();
  expect(transcript).toMatch(/^ {4}5 words$/m);
  expect(transcript).toMatch(/⚙ count_words --path notes\.txt → exit 0 · \d+ ms/);
  const served = server.served();
  expect(served).toBe(3);
  await sleep(1500);
  expect(server.served()).toBe(served);
  expect(await pane.screen()).not.toContain("After the pause.");

  // The tools panel, while paused.
  await pane.press("t");
  const panel = await pane.waitFor("Tools (1)", { history: false });
  expect(panel).toMatch(/▸ count_words\s+v2\s+loaded\s+1 call\b/);
  expect(panel).toContain("count_words v2");
  expect(panel).toContain("return `${words.length} words`;");
  expect(panel).toContain("Changes from the version before");
  expect(panel).toContain("-    const count: number = words.join(' ');");
  await pane.press("t");

  await pane.press("p");
  await pane.waitFor("After the pause.");
  const final = await pane.waitFor("q or Enter: leave");
  expect(final).toMatch(/^Submitted$/m);
  expect(final).toContain("1 tool created");
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
});

test("Esc twice stops a run during a long command: Interrupted, and exit 1 after q", async () => {
  const repo = await makeRepo(BUGGY);
  const sleeper = `sleep 1000.${Math.floor(Math.random() * 900_000) + 100_000}`;
  const server = await serve([{ thought: "Run the long job.", command: sleeper }, { thought: "Never asked.", command: "echo never" }]);
  const pane = await runInTerminal(repo, server, []);
  await pane.waitFor(/running · \d/);
  const workspace = await workspaceOf(pane);
  keptWorkspaces.push(dirname(workspace));
  await pane.press("Escape");
  await sleep(200);
  await pane.press("Escape");
  const final = await pane.waitFor("q or Enter: leave", { timeoutMs: 15_000 });
  expect(final).toContain("Interrupted: the run was interrupted");
  expect(server.served()).toBe(1);
  // The command was killed.
  const { stdout } = await execa("ps", ["-eo", "args"]);
  expect(stdout.split("\n").filter((line) => line.trim() === sleeper)).toEqual([]);
  await pane.press("q");
  const after = await pane.waitFor("EXIT=");
  expect(after).toContain("molt: Interrupted: the run was interrupted");
  expect(after).toContain("EXIT=1");
  expect(ofType(await pane.events(), "run_finished")[0]?.exitStatus).toBe("Interrupted");
});

const LONG_THOUGHT =
  "I will read the implementation of add in calc.js and then compare it with what the issue describes, because the sign of the operation looks suspicious to me.";

/** Lines of a screen (captured with -J) wider than `columns`: what the terminal had to wrap itself. */
const linesWiderThan = (screen: string, columns: number) => screen.split("\n").filter((line) => [...line.trimEnd()].length > columns);

/** The words of `text` that do not stand whole, between spaces or line ends, on the screen. */
function brokenWords(screen: string, text: string): string[] {
  const tokens = new Set(screen.split(/[\s│]+/));
  return text.split(" ").filter((word) => !tokens.has(word));
}

test("at 60 columns the live step, the prompt, the status and the final view fit the terminal, and words wrap whole", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: LONG_THOUGHT, command: "cat calc.js" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, ["--confirm"], { width: 60 });
  await waitForPrompt(pane, "cat calc.js");
  // The step in progress: its long thought wraps at words, within the 60 columns.
  const live = await pane.screen({ history: false });
  expect(linesWiderThan(live, 60)).toEqual([]);
  expect(live.replace(/\s+/g, " ")).toContain(`● 1 ${LONG_THOUGHT}`);
  expect(brokenWords(live, LONG_THOUGHT)).toEqual([]);
  expect(live.split("\n").filter((line) => /implementation|describes|suspicious/.test(line)).length).toBeGreaterThan(1);
  // The status facts wrap rather than run off the edge.
  expect(live.replace(/\s+/g, " ")).toMatch(/Step 1\/250 · \d+ in, \d+ out · \$0\.0000 of \$3\.00 · .* · waiting for you/);
  await pane.press("y");
  await waitForPrompt(pane, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT");
  await pane.press("y");
  const final = await pane.waitFor("q or Enter: leave");
  const finalView = final.slice(final.lastIndexOf("\nSubmitted\n"));
  expect(finalView).toContain("Submitted");
  expect(linesWiderThan(finalView, 60)).toEqual([]);
  expect(finalView.replace(/\s+/g, " ")).toMatch(/2 steps · \d+ tokens in, \d+ out · \$0\.0000 · .* · 0 tools created/);
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
});

test("at 60 columns a finished step in the scrollback still wraps its long thought at words", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve([{ thought: LONG_THOUGHT, command: "cat calc.js" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, [], { width: 60 });
  await pane.waitFor("q or Enter: leave");
  const screen = await pane.screen();
  expect(screen.replace(/\s+/g, " ")).toContain(`● 1 ${LONG_THOUGHT}`);
  expect(linesWiderThan(screen, 60)).toEqual([]);
  expect(brokenWords(screen, LONG_THOUGHT)).toEqual([]);
});

test("NO_COLOR=1: not one colour escape on the screen", async () => {
  const repo = await makeRepo(BUGGY);
  const server = await serve(FIX);
  const pane = await runInTerminal(repo, server, [], { env: { NO_COLOR: "1" } });
  await pane.waitFor("q or Enter: leave");
  const screen = await pane.screen({ escapes: true });
  expect(screen).toContain("+export const add = (a, b) => a + b;");
  expect(colourCodes(screen)).toEqual([]);
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
});

test("a command that prints 10 MB: the view shows the hint of hidden lines, answers keys meanwhile, and the run goes on to submit", async () => {
  const repo = await makeRepo(BUGGY);
  // 10 MB in 20 bursts over about two seconds, so that keys arrive while it prints.
  const flood = "for i in $(seq 20); do head -c 500000 /dev/zero | tr '\\0' x | fold -w 100; sleep 0.1; done";
  const server = await serve([{ thought: "Print the whole log.", command: flood }, { thought: "That was a lot.", command: "echo after-the-flood" }, SUBMIT]);
  const pane = await runInTerminal(repo, server, []);
  await pane.waitFor(/running · \d/);
  const asked = Date.now();
  await pane.press("t");
  await pane.waitFor("No tools yet. t closes this panel.", { history: false, timeoutMs: 5000 });
  expect(Date.now() - asked).toBeLessThan(3000);
  await pane.press("t");
  const shown = await pane.waitFor("characters the agent did not see", { timeoutMs: 30_000 });
  expect(shown).toMatch(/… \d+ more lines, [\d,]+ characters the agent did not see \(all of it is in events\.jsonl\)/);
  const elided = Number(/([\d,]+) characters the agent did not see/.exec(shown)?.[1]?.replaceAll(",", ""));
  expect(elided).toBeGreaterThan(9_900_000);
  // The output is cut to a few lines, not ten megabytes of x.
  expect(shown.split("\n").filter((line) => line.includes("xxxxxxxxxx")).length).toBeLessThanOrEqual(6);
  const final = await pane.waitFor("q or Enter: leave");
  expect(final).toContain("after-the-flood");
  expect(final).toMatch(/^Submitted$/m);
  await pane.press("q");
  expect(await pane.waitFor("EXIT=")).toContain("EXIT=0");
});

test("without a terminal, --confirm is a usage error: exit 2 and one line", async () => {
  const repo = await makeRepo(BUGGY);
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", "http://127.0.0.1:8/v1", "--confirm"]);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trimEnd().split("\n")).toEqual(["molt: --confirm needs a terminal to ask on (standard input and output are not one)"]);
});
