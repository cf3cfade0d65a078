import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { makeSocketFolder } from "../../sandbox/socket-folder.ts";
import { SOCKET_NAME, ToolHostClient, type LoadOutcome, type ToolCallNotice } from "../../tools/tool-host-client.ts";

const MOLT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CALL_TIMEOUT_MS = 1500;

let root: string;
/** The evolved folder: tool files live here, with node_modules/molt pointing at molt. */
let evolved: string;
let workspace: string;
let host: ToolHostClient;
const notices: ToolCallNotice[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "molt-tool-host-test-"));
  evolved = join(root, "evolved");
  workspace = join(root, "workspace");
  await mkdir(join(evolved, "node_modules"), { recursive: true });
  await symlink(MOLT_ROOT, join(evolved, "node_modules", "molt"), "dir");
  await mkdir(workspace);
  await writeFile(join(workspace, "data.txt"), "data from the workspace\n");
  host = ToolHostClient.start({
    dir: join(root, "host"),
    socketFolder: makeSocketFolder(SOCKET_NAME),
    workspace,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? root, MOLT_TEST_VALUE: "given to tools" },
    callTimeoutMs: CALL_TIMEOUT_MS,
  });
  await host.ready;
  host.onCall((notice) => notices.push(notice));
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await rm(root, { recursive: true, force: true });
});

const HEADER = 'import { defineTool, z } from "molt/tool";\n';

async function write(name: string, source: string): Promise<string> {
  const file = join(evolved, `${name}.ts`);
  await writeFile(file, source);
  return file;
}

async function load(name: string, source: string, version = 1): Promise<LoadOutcome> {
  return host.load(name, version, await write(name, source));
}

async function loadOk(name: string, source: string, version = 1): Promise<void> {
  const outcome = await load(name, source, version);
  if (!outcome.ok) throw new Error(`${name} v${version} was rejected (${outcome.stage}): ${outcome.reason}`);
}

/** Runs a loaded tool's command as the agent would. */
async function run(name: string, args: string[] = [], command = join(host.binDir, name)) {
  const result = await execa(command, args, {
    env: { PATH: process.env.PATH, ...host.commandEnv },
    extendEnv: false,
    reject: false,
    timeout: 20_000,
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

const SHOUT = `${HEADER}export default defineTool({
  name: "shout",
  description: "Repeat a text in capitals",
  input: z.object({ text: z.string(), times: z.number().int().default(1) }),
  examples: [{ input: { text: "hey" }, expect: "HEY" }],
  run({ text, times }) {
    return Array.from({ length: times }, () => text.toUpperCase()).join(" ");
  },
});
`;

describe("a good tool", () => {
  beforeAll(async () => {
    const outcome = await load("shout", SHOUT);
    expect(outcome).toMatchObject({ ok: true, usage: "shout --text <string> [--times <number>]", description: "Repeat a text in capitals" });
  });

  test("becomes an executable command in binDir", async () => {
    expect(await readdir(host.binDir)).toContain("shout");
  });

  test("its command prints the result with flags and exits 0", async () => {
    expect(await run("shout", ["--text", "hi", "--times", "2"])).toEqual({ exitCode: 0, stdout: "HI HI", stderr: "" });
  });

  test("its command takes a single JSON argument", async () => {
    expect(await run("shout", ['{"text": "json", "times": 3}'])).toEqual({ exitCode: 0, stdout: "JSON JSON JSON", stderr: "" });
  });

  test("invalid input exits 2 with the error and a usage line on stderr", async () => {
    const result = await run("shout", ["--text", "hi", "--times", "many"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^shout: --times: /);
    expect(result.stderr).toContain("usage: shout --text <string> [--times <number>]");
  });

  test("a missing required field and an unknown flag exit 2 too", async () => {
    expect((await run("shout", [])).exitCode).toBe(2);
    const unknown = await run("shout", ["--text", "a", "--loud"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option --loud");
  });

  test("--help exits 0 with the description and the usage", async () => {
    const result = await run("shout", ["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("Repeat a text in capitals\nusage: shout --text <string> [--times <number>]");
  });

  test("calls at the same time are all answered", async () => {
    const results = await Promise.all(["a", "b", "c", "d"].map((text) => run("shout", ["--text", text])));
    expect(results.map((result) => result.stdout)).toEqual(["A", "B", "C", "D"]);
  });

  test("onCall reports each call's name, version, args and exit code", async () => {
    await run("shout", ["--text", "noticed"]);
    await run("shout", ["--times", "x", "--text", "noticed"]);
    await vi.waitFor(() => expect(notices.filter((notice) => notice.args.includes("noticed"))).toHaveLength(2));
    const [ok, refused] = notices.filter((notice) => notice.args.includes("noticed"));
    expect(ok).toMatchObject({ name: "shout", version: 1, args: ["--text", "noticed"], exitCode: 0 });
    expect(refused).toMatchObject({ name: "shout", version: 1, args: ["--times", "x", "--text", "noticed"], exitCode: 2 });
    expect(ok!.ms).toBeGreaterThanOrEqual(0);
  });
});

describe("a tool whose run throws", () => {
  test("exits 1 with the tool's name and the error message on stderr", async () => {
    await loadOk("fails", `${HEADER}export default defineTool({ name: "fails", description: "d", input: z.object({}), run() { throw new Error("disk is on fire"); } });\n`);
    const result = await run("fails");
    expect(result).toEqual({ exitCode: 1, stdout: "", stderr: "fails: disk is on fire" });
  });
});

describe("output", () => {
  test("what a tool logs does not mix into its result, and a large result arrives whole", async () => {
    const source = `${HEADER}export default defineTool({
  name: "big_output",
  description: "d",
  input: z.object({ kb: z.number(), text: z.string().default("") }),
  run({ kb, text }) {
    console.log("log noise");
    console.error("error noise");
    return text + "x".repeat(kb * 1024);
  },
});
`;
    await loadOk("big_output", source);
    const small = await run("big_output", ["--kb", "0", "--text", "héllo\nwörld 'quoted' $HOME"]);
    expect(small).toEqual({ exitCode: 0, stdout: "héllo\nwörld 'quoted' $HOME", stderr: "" });
    const big = await run("big_output", ["--kb", "2048"]);
    expect(big.exitCode).toBe(0);
    expect(big.stdout).toHaveLength(2048 * 1024);
  });
});

describe("the context", () => {
  test("ctx.exec runs a command and ctx.cwd is the workspace", async () => {
    const source = `${HEADER}export default defineTool({
  name: "context",
  description: "d",
  input: z.object({ command: z.string() }),
  async run({ command }, ctx) {
    const outcome = await ctx.exec(command);
    return JSON.stringify({ cwd: ctx.cwd, ...outcome });
  },
});
`;
    await loadOk("context", source);
    const echo = await run("context", ["--command", "echo hi"]);
    expect(echo.exitCode).toBe(0);
    expect(JSON.parse(echo.stdout)).toEqual({ cwd: workspace, exitCode: 0, stdout: "hi\n", stderr: "" });

    const inWorkspace = JSON.parse((await run("context", ["--command", "pwd; cat data.txt; echo \"$MOLT_TEST_VALUE\"; exit 3"])).stdout) as { stdout: string; exitCode: number };
    expect(inWorkspace.stdout).toBe(`${await realpath(workspace)}\ndata from the workspace\ngiven to tools\n`);
    expect(inWorkspace.exitCode).toBe(3);
  });

  test("relative paths in a tool mean the workspace", async () => {
    const source = `${HEADER}import { readFile } from "node:fs/promises";
export default defineTool({ name: "read_relative", description: "d", input: z.object({}), async run() { return readFile("data.txt", "utf8"); } });
`;
    await loadOk("read_relative", source);
    expect(await run("read_relative")).toMatchObject({ exitCode: 0, stdout: "data from the workspace" });
  });
});

describe("examples", () => {
  test("an example may run a command with ctx.exec: molt runs it, in the workspace, and the example passes", async () => {
    const source = `${HEADER}export default defineTool({
  name: "lists",
  description: "d",
  input: z.object({ file: z.string() }),
  examples: [{ input: { file: "data.txt" }, expect: "data from the workspace" }],
  async run({ file }, ctx) {
    return (await ctx.exec("cat " + file)).stdout;
  },
});
`;
    await loadOk("lists", source);
    expect(await run("lists", ["--file", "data.txt"])).toMatchObject({ exitCode: 0, stdout: "data from the workspace" });
  });
});

describe("loading refuses", () => {
  test("a module that throws at import, at stage load, and installs no command", async () => {
    const outcome = await load("throws_on_load", `${HEADER}throw new Error("cannot start");\nexport default defineTool({ name: "throws_on_load", description: "d", input: z.object({}), run() { return "x"; } });\n`);
    expect(outcome).toMatchObject({ ok: false, stage: "load" });
    expect(!outcome.ok && outcome.reason).toContain("cannot start");
    expect(existsSync(join(host.binDir, "throws_on_load"))).toBe(false);
  });

  test("a module whose default export is not a defineTool result, at stage load", async () => {
    const outcome = await load("not_defined", `export default { name: "not_defined", description: "d", run() { return "x"; } };\n`);
    expect(outcome).toMatchObject({ ok: false, stage: "load" });
    expect(!outcome.ok && outcome.reason).toContain("defineTool");
  });

  test("a module that loops forever at import, as hanging, within a few seconds; the host keeps working", async () => {
    const started = performance.now();
    const outcome = await load("hangs_on_load", `${HEADER}while (true) {}\nexport default defineTool({ name: "hangs_on_load", description: "d", input: z.object({}), run() { return "x"; } });\n`);
    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ ok: false, stage: "load" });
    expect(!outcome.ok && outcome.reason).toMatch(/hung/);
    expect(elapsed).toBeLessThan(5000);
    expect(await run("shout", ["--text", "still here"])).toMatchObject({ exitCode: 0, stdout: "STILL HERE" });
    await loadOk("after_hang", `${HEADER}export default defineTool({ name: "after_hang", description: "d", input: z.object({}), run() { return "loaded after a hang"; } });\n`);
    expect(await run("after_hang")).toMatchObject({ exitCode: 0, stdout: "loaded after a hang" });
  });

  test("a tool whose example output lacks its expect, at stage examples", async () => {
    const outcome = await load(
      "bad_example",
      `${HEADER}export default defineTool({ name: "bad_example", description: "d", input: z.object({ n: z.number() }), examples: [{ input: { n: 1 }, expect: "one" }], run({ n }) { return String(n); } });\n`,
    );
    expect(outcome).toMatchObject({ ok: false, stage: "examples" });
    expect(!outcome.ok && outcome.reason).toContain('"one"');
    expect(existsSync(join(host.binDir, "bad_example"))).toBe(false);
  });

  test("a tool whose example throws, at stage examples", async () => {
    const outcome = await load(
      "throwing_example",
      `${HEADER}export default defineTool({ name: "throwing_example", description: "d", input: z.object({}), examples: [{ input: {} }], run() { throw new Error("example broke"); } });\n`,
    );
    expect(outcome).toMatchObject({ ok: false, stage: "examples" });
    expect(!outcome.ok && outcome.reason).toContain("example broke");
  });
});

describe("a tool that misbehaves while running", () => {
  test("process.exit in run fails that call, and the next call works again", async () => {
    const source = `${HEADER}export default defineTool({
  name: "exits",
  description: "d",
  input: z.object({ exit: z.boolean().default(false) }),
  run({ exit }) {
    if (exit) process.exit(3);
    return "alive";
  },
});
`;
    await loadOk("exits", source);
    const crashed = await run("exits", ["--exit"]);
    expect(crashed.exitCode).not.toBe(0);
    expect(crashed.stdout).toBe("");
    expect(crashed.stderr).toBe("exits: the tool ended its process while running");
    expect(await run("exits")).toEqual({ exitCode: 0, stdout: "alive", stderr: "" });
    expect(await run("shout", ["--text", "ok"])).toMatchObject({ exitCode: 0, stdout: "OK" });
  });

  test.each([
    ["a promise that never settles", "await new Promise(() => {});"],
    ["a busy loop", "while (Date.now() > 0) {}"],
  ])("a run stuck in %s times out, and other tools and the same tool work afterwards", async (_label, stuck) => {
    const name = stuck.startsWith("await") ? "never_settles" : "busy_loop";
    const source = `${HEADER}export default defineTool({
  name: "${name}",
  description: "d",
  input: z.object({ stuck: z.boolean().default(false) }),
  async run({ stuck }) {
    if (stuck) { ${stuck} }
    return "done";
  },
});
`;
    await loadOk(name, source);
    const started = performance.now();
    const result = await run(name, ["--stuck"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("timed out");
    expect(performance.now() - started).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 100);
    expect(await run("shout", ["--text", "next"])).toMatchObject({ exitCode: 0, stdout: "NEXT" });
    expect(await run(name)).toEqual({ exitCode: 0, stdout: "done", stderr: "" });
  });
});

describe("versions and unloading", () => {
  const versioned = (text: string) =>
    `${HEADER}export default defineTool({ name: "versioned", description: "d", input: z.object({}), run() { return "${text}"; } });\n`;

  test("loading a second version replaces the first; a rejected third leaves the second loaded", async () => {
    await loadOk("versioned", versioned("first"));
    expect((await run("versioned")).stdout).toBe("first");

    await loadOk("versioned", versioned("second"), 2);
    expect((await run("versioned", ["{}"])).stdout).toBe("second");
    await vi.waitFor(() => expect(notices).toContainEqual(expect.objectContaining({ name: "versioned", version: 2, args: ["{}"], exitCode: 0 })));

    const third = await load("versioned", `${HEADER}throw new Error("v3 is broken");\n`, 3);
    expect(third).toMatchObject({ ok: false, stage: "load" });
    expect(await run("versioned")).toMatchObject({ exitCode: 0, stdout: "second" });
  });

  // A call in flight when its tool gets a new version finishes on the old one, promptly; it must
  // not hang until the call timeout.
  test("a call in flight while its tool is replaced ends promptly, not as a time-out", async () => {
    const slow = (text: string) =>
      `${HEADER}export default defineTool({ name: "slow", description: "d", input: z.object({}), async run() { await new Promise((done) => setTimeout(done, 700)); return "${text}"; } });\n`;
    await loadOk("slow", slow("old"));
    const started = performance.now();
    const inFlight = run("slow");
    await new Promise((done) => setTimeout(done, 250));
    await loadOk("slow", slow("new"), 2);
    const result = await inFlight;
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ exitCode: 0, stdout: "old" });
    expect(elapsed).toBeLessThan(CALL_TIMEOUT_MS);
    expect((await run("slow")).stdout).toBe("new");
  });

  test("unload removes the command; a command kept from before is told the tool is not loaded", async () => {
    await loadOk("short_lived", `${HEADER}export default defineTool({ name: "short_lived", description: "d", input: z.object({}), run() { return "here"; } });\n`);
    expect((await run("short_lived")).stdout).toBe("here");
    const kept = join(root, "kept-command");
    await copyFile(join(host.binDir, "short_lived"), kept);

    await host.unload("short_lived");
    expect(existsSync(join(host.binDir, "short_lived"))).toBe(false);
    const stale = await run("short_lived", [], kept);
    expect(stale.exitCode).toBe(127);
    expect(stale.stderr).toContain("not loaded");
    expect((await run("shout", ["--text", "x"])).stdout).toBe("X");
  });

  test("a command run outside molt, without the socket variable, explains itself", async () => {
    const result = await execa(join(host.binDir, "shout"), ["--text", "x"], { env: { PATH: process.env.PATH }, extendEnv: false, reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("MOLT_TOOL_SOCKET");
  });
});

describe("a socket that cannot be made", () => {
  const options = (socketFolder: Parameters<typeof ToolHostClient.start>[0]["socketFolder"]) => ({
    dir: join(root, "host-without-socket"),
    socketFolder,
    workspace,
    env: { PATH: process.env.PATH! },
    callTimeoutMs: CALL_TIMEOUT_MS,
  });

  test("when no folder could be made for it, each load says why in one line", async () => {
    const reason = "molt could not make a folder for the tool host's socket (/tmp: EROFS)";
    const broken = ToolHostClient.start(options({ ok: false, reason }));
    try {
      const outcome = await broken.load("shout", 1, await write("shout", SHOUT));
      expect(outcome).toMatchObject({ ok: false, stage: "load", reason });
      expect(broken.commandEnv).toEqual({});
    } finally {
      await broken.stop();
    }
  });

  test("when the host cannot listen there, the load names the socket and the system's reason", async () => {
    const notAFolder = join(root, "a-file");
    await writeFile(notAFolder, "");
    const broken = ToolHostClient.start(options({ ok: true, dir: notAFolder }));
    try {
      const outcome = await broken.load("shout", 1, await write("shout", SHOUT));
      expect(outcome.ok).toBe(false);
      expect(outcome.ok ? "" : outcome.reason).toBe(`the tool host exited at start (code 1): molt could not make the tool host's socket ${join(notAFolder, SOCKET_NAME)}: ENOTDIR`);
    } finally {
      await broken.stop();
    }
  });
});
