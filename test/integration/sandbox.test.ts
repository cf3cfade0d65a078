import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, test } from "vitest";
import { socketRoots } from "../../sandbox/socket-folder.ts";
import { git } from "../../sandbox/workspace.ts";
import { COUNT_WORDS, writeTool } from "../tool-sources.ts";
import { startScriptedServer, type ScriptedServer } from "../../bin/runtime/scripted-server.ts";
import { cleanUp, makeRepo, molt, tempDir, writeFiles } from "../helpers.ts";

// Escape attempts inside the real sandbox. Each one is a whole `molt run` whose scripted model
// tries the escape with its first command; what the agent saw is the observation the model got
// back (the last message of the second request), and what it did is checked on the host.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const FILES = { "calc.js": "export const add = (a, b) => a - b;\n" };

const servers: ScriptedServer[] = [];
const httpServers: Server[] = [];
const netServers: NetServer[] = [];
/** Folders made outside /tmp (the sandbox hides the host's /tmp, so a test there would prove nothing). */
const outside: string[] = [];
/** Files a test may leave on the host if molt let an escape through. */
const strays: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(httpServers.splice(0).map((server) => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  })));
  await Promise.all(netServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all([...outside.splice(0), ...strays.splice(0)].map((path) => rm(path, { recursive: true, force: true })));
  await cleanUp();
});

const newMarker = () => randomBytes(5).toString("hex");

/** A folder outside /tmp, like a real home or checkout; removed after the test. */
async function outsideTmp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join("/var/tmp", prefix));
  outside.push(dir);
  return dir;
}

/** A small HTTP server on the host's loopback that answers every request with `text`. */
async function httpServer(text: string): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end(text);
  });
  httpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

interface Attempt {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What the agent read after its command. */
  observation: string;
  out: string;
}

/** One `molt run` whose agent runs `command`, then submits. */
async function attempt(command: string, options: { args?: string[]; env?: Record<string, string | undefined>; repo?: string } = {}): Promise<Attempt> {
  const repo = options.repo ?? (await makeRepo(FILES));
  const server = await startScriptedServer({ script: [{ command }, { command: SUBMIT }] });
  servers.push(server);
  const out = join(await tempDir(), "run");
  // Unless the test plants one, an empty home: the machine's own start-up files stay out of it.
  const home = await tempDir("molt-home-");
  const result = await molt(["run", "--repo", repo, "--issue", "try to get out", "--model", "m", "--base-url", server.url, "--output", out, ...(options.args ?? [])], {
    env: { HOME: home, ...options.env },
  });
  const observation = String(server.requests[1]?.messages.at(-1)?.content);
  return { ...result, observation, out };
}

/** A git repository outside /tmp, so that git inside the sandbox can read its shared objects. */
async function repoOutsideTmp(): Promise<string> {
  const dir = join(await outsideTmp("molt-repo-"), "repo");
  await writeFiles(dir, FILES);
  const identity = { GIT_AUTHOR_NAME: "test", GIT_AUTHOR_EMAIL: "test@molt.invalid", GIT_COMMITTER_NAME: "test", GIT_COMMITTER_EMAIL: "test@molt.invalid" };
  await git(dir, identity).init().add(".").commit("initial");
  return dir;
}

describe("the file system", () => {
  test("/var/tmp and the real home are read-only: the writes fail and nothing lands on the host", async () => {
    const marker = newMarker();
    const home = await outsideTmp("molt-home-");
    const varTmpFile = `/var/tmp/molt-escape-${marker}`;
    strays.push(varTmpFile);
    const result = await attempt(
      `echo pwned > ${varTmpFile}; echo "var-tmp=$?"; echo pwned > ${home}/escape-${marker}; echo "home=$?"; echo fine > inside-workspace.txt; echo "workspace=$?"`,
      { env: { HOME: home } },
    );
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain("var-tmp=1");
    expect(result.observation).toContain("home=1");
    expect(result.observation).toContain("Read-only file system");
    // The workspace itself stays writable, and what is written there is the agent's patch.
    expect(result.observation).toContain("workspace=0");
    expect(await readFile(join(result.out, "patch.diff"), "utf8")).toContain("+++ b/inside-workspace.txt");
    expect(existsSync(varTmpFile)).toBe(false);
    expect(existsSync(join(home, `escape-${marker}`))).toBe(false);
  });

  test("the run's first lines name the sandbox", async () => {
    const result = await attempt("true");
    expect(result.exitCode).toBe(0);
    const header = result.stdout.split("\n\n", 1)[0]!;
    expect(header).toMatch(/^ {2}sandbox {2}bwrap \(workspace writable, rest read-only, no network\)$/m);
  });

  test("the same write that bwrap blocks goes through with --sandbox local (so these tests can tell)", async () => {
    const marker = newMarker();
    const home = await outsideTmp("molt-home-");
    await writeFiles(home, { ".ssh/id_rsa": `-----BEGIN OPENSSH PRIVATE KEY-----\nlocal-secret-${marker}\n` });
    const varTmpFile = `/var/tmp/molt-escape-${marker}`;
    strays.push(varTmpFile);
    const result = await attempt(`echo pwned > ${varTmpFile}; echo "var-tmp=$?"; cat ${home}/.ssh/id_rsa`, { args: ["--sandbox", "local"], env: { HOME: home } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ {2}sandbox {2}local \(no isolation/m);
    expect(result.observation).toContain("var-tmp=0");
    expect(result.observation).toContain(`local-secret-${marker}`);
    expect(existsSync(varTmpFile)).toBe(true);
  });

  test("the secret stores of the real home are hidden, while the rest of the home stays readable", async () => {
    const marker = newMarker();
    const home = await outsideTmp("molt-home-");
    await writeFiles(home, {
      "notes.txt": `visible-${marker}\n`,
      ".ssh/id_rsa": `-----BEGIN OPENSSH PRIVATE KEY-----\nssh-secret-${marker}\n-----END OPENSSH PRIVATE KEY-----\n`,
      ".aws/credentials": `[default]\naws_secret_access_key = aws-secret-${marker}\n`,
      ".config/gh/hosts.yml": `github.com:\n  oauth_token: gh-secret-${marker}\n`,
      ".netrc": `machine example.com login me password netrc-secret-${marker}\n`,
      ".git-credentials": `https://me:gitcred-secret-${marker}@example.com\n`,
      ".npmrc": `//registry.npmjs.org/:_authToken=npm-secret-${marker}\n`,
    });
    const result = await attempt(
      `cat ${home}/notes.txt; cat ${home}/.ssh/id_rsa; echo "ssh=$?"; cat ${home}/.aws/credentials ${home}/.config/gh/hosts.yml ${home}/.netrc ${home}/.git-credentials ${home}/.npmrc; grep -r secret ${home} ; ls -la ${home}/.ssh`,
      { env: { HOME: home } },
    );
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain(`visible-${marker}`);
    expect(result.observation).toMatch(/ssh=[1-9]/);
    for (const name of ["ssh", "aws", "gh", "netrc", "gitcred", "npm"]) expect(result.observation).not.toContain(`${name}-secret-${marker}`);
    // The record does not hold them either.
    expect(await readFile(join(result.out, "events.jsonl"), "utf8")).not.toContain(`-secret-${marker}`);
  });

  test("the workspace's .git/hooks and .git/config cannot be written", async () => {
    const marker = newMarker();
    const result = await attempt(
      `printf '#!/bin/sh\\ntouch /tmp/hooked\\n' > .git/hooks/post-checkout; echo "hook=$?"; ` +
        `printf '[alias]\\n\\tx = !touch /tmp/${marker}\\n' >> .git/config; echo "config=$?"; ` +
        `git config core.hooksPath /tmp/${marker}; echo "git-config=$?"; rm -rf .git/hooks; echo "rm-hooks=$?"`,
      { args: ["--keep"] },
    );
    expect(result.exitCode).toBe(0);
    expect(result.observation).toMatch(/hook=1/);
    expect(result.observation).toMatch(/config=1/);
    expect(result.observation).toMatch(/git-config=[1-9]/);
    expect(result.observation).toMatch(/rm-hooks=[1-9]/);
    const workspace = /workspace kept at (.+)/.exec(result.stdout)?.[1];
    expect(workspace).toBeDefined();
    outside.push(join(workspace!, ".."));
    expect(existsSync(join(workspace!, ".git", "hooks", "post-checkout"))).toBe(false);
    expect(await readFile(join(workspace!, ".git", "config"), "utf8")).not.toContain(marker);
  });

  // Regression tests. Up to commit d5c19b6, .git/hooks and .git/config were read-only bind mounts
  // but the .git folder holding them was writable: the agent moved .git aside (the mounts moved
  // with it), made a new .git whose config held a clean filter, named it in .gitattributes, and
  // molt's own `git add --all` for patch.diff (on the host, outside the sandbox) ran the filter.
  // .git/commondir did the same without moving anything. Since 718eac8 molt makes the patch
  // with a git directory of its own, outside the workspace.
  test("moving .git aside does not let the agent run a program outside the sandbox through molt's git", async () => {
    // A folder in the host's /tmp: the sandbox cannot even see it, so only code run outside can create the file.
    const sentinel = join(await tempDir("molt-sentinel-"), "escaped");
    const result = await attempt(
      `mv .git .git-old && mkdir .git && cp -r .git-old/. .git/ && ` +
        `git config -f .git/config filter.evil.clean 'touch ${sentinel} && cat' && ` +
        `echo '* filter=evil' > .gitattributes && echo '// change' >> calc.js; echo "done=$?"`,
    );
    expect(result.observation).toContain("done=0");
    expect(existsSync(sentinel)).toBe(false);
    // And the patch is still the agent's change.
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(result.out, "patch.diff"), "utf8")).toContain("+// change");
  });

  test("pointing .git/commondir elsewhere does not let the agent run a program outside the sandbox through molt's git", async () => {
    const sentinel = join(await tempDir("molt-sentinel-"), "escaped");
    const result = await attempt(
      `mkdir .common && cp -r .git/. .common/ && git config -f .common/config filter.evil.clean 'touch ${sentinel} && cat' && ` +
        `echo "$PWD/.common" > .git/commondir && echo '* filter=evil' > .gitattributes && echo '// change' >> calc.js; echo "done=$?"`,
    );
    expect(result.observation).toContain("done=0");
    expect(existsSync(sentinel)).toBe(false);
    // And the patch is still the agent's change.
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(result.out, "patch.diff"), "utf8")).toContain("+// change");
  });

  // molt runs bash on the host itself (the validator asks it for its builtins): never with the
  // user's start-up files, which would run outside the sandbox (and can hang, as a pyenv rehash does).
  test("molt runs none of the user's shell start-up files", async () => {
    const home = await outsideTmp("molt-home-");
    const ran = join(home, "bashrc-ran");
    await writeFiles(home, { ".bashrc": `echo "$$ $0" >> ${ran}\n`, ".bash_profile": `echo "$$ $0" >> ${ran}\n`, ".profile": `echo "$$ $0" >> ${ran}\n` });
    const result = await attempt("echo hello", { env: { HOME: home } });
    expect(result.exitCode).toBe(0);
    expect(existsSync(ran) ? await readFile(ran, "utf8") : "").toBe("");
  });

  test("git works inside the sandbox on a repository outside /tmp", async () => {
    const repo = await repoOutsideTmp();
    const result = await attempt(`git log --format=%s -1; echo "log=$?"; git status --short; echo change >> calc.js; git diff --stat`, { repo });
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain("initial\nlog=0");
    expect(result.observation).toContain("calc.js | 1 +");
  });

  // A regression test. Up to commit d5c19b6 the workspace, a `git clone --shared`, borrowed the
  // objects of the user's repository, which the sandbox's private /tmp hid when the repository
  // was under /tmp: every git command of the agent failed ("fatal: bad object HEAD").
  test("git works inside the sandbox on a repository under /tmp", async () => {
    const result = await attempt(`git log --format=%s -1; echo "log=$?"`);
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain("initial\nlog=0");
  });

  test("/tmp is private: the host's files there are not visible, and what is written there stays inside", async () => {
    const marker = newMarker();
    const planted = `/tmp/molt-planted-${marker}`;
    const written = `/tmp/molt-inside-${marker}`;
    strays.push(planted, written);
    await writeFile(planted, `host-tmp-${marker}\n`);
    const result = await attempt(`cat ${planted}; echo "read=$?"; ls -A /tmp | grep -c molt-planted; echo inside > ${written}; echo "write=$?"; cat ${written}`);
    expect(result.exitCode).toBe(0);
    expect(result.observation).not.toContain(`host-tmp-${marker}`);
    expect(result.observation).toMatch(/read=[1-9]/);
    // Writing to /tmp works inside (tools need a scratch folder) ...
    expect(result.observation).toContain("write=0\ninside");
    // ... but nothing of it reaches the host.
    expect(existsSync(written)).toBe(false);
  });

  test("the agent's HOME is an empty, writable folder of the run, not the user's home", async () => {
    const home = await outsideTmp("molt-home-");
    await writeFiles(home, { ".gitconfig": "[user]\n\tname = the user\n", "notes.txt": "mine\n" });
    const result = await attempt(`echo "home=$HOME"; echo "entries=$(ls -A "$HOME" | wc -l)"; echo x > "$HOME/.cache-test" && echo "writable=yes"`, {
      env: { HOME: home },
    });
    expect(result.exitCode).toBe(0);
    const agentHome = /home=(.*)/.exec(result.observation)?.[1];
    expect(agentHome).toBeDefined();
    expect(agentHome).not.toBe(home);
    expect(agentHome).not.toBe("/root");
    expect(agentHome).toMatch(/\/home$/);
    expect(result.observation).toContain("entries=0");
    expect(result.observation).toContain("writable=yes");
    // Nothing the agent put in its home reaches the user's.
    expect(await readdir(home)).toEqual(expect.not.arrayContaining([".cache-test"]));
  });
});

describe("the network", () => {
  const curl = (port: number, extra = "") => `curl -sS --max-time 4 ${extra} http://127.0.0.1:${port}/`;

  test("a server on the host's loopback is unreachable without network flags, and reachable with --allow-network", async () => {
    const marker = newMarker();
    const server = await httpServer(`hello-${marker}`);
    const command = `${curl(server.port, "--noproxy '*'")}; echo " curl=$?"`;
    const blocked = await attempt(command);
    expect(blocked.exitCode).toBe(0);
    expect(blocked.observation).not.toContain(`hello-${marker}`);
    expect(blocked.observation).toMatch(/curl=[1-9]/);
    expect(blocked.stdout).toMatch(/sandbox {2}bwrap \(.*no network\)/);
    expect(server.hits()).toBe(0);

    const allowed = await attempt(command, { args: ["--allow-network"] });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.observation).toContain(`hello-${marker} curl=0`);
    expect(allowed.stdout).toMatch(/sandbox {2}bwrap \(.*network allowed\)/);
    expect(server.hits()).toBe(1);
  });

  test("--allow-domain HOST:PORT lets that port answer through the proxy and blocks another port", async () => {
    const marker = newMarker();
    const allowedServer = await httpServer(`allowed-${marker}`);
    const otherServer = await httpServer(`other-${marker}`);
    const result = await attempt(
      `${curl(allowedServer.port, "--noproxy ''")}; echo " allowed=$?"; ` +
        `${curl(otherServer.port, "--noproxy '' -o /dev/null -w 'other-status=%{http_code}'")}; echo " other=$?"; ` +
        `${curl(allowedServer.port, "--noproxy '*'")}; echo " direct=$?"`,
      { args: ["--allow-domain", `127.0.0.1:${allowedServer.port}`] },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`sandbox  bwrap (workspace writable, rest read-only, network to 127.0.0.1:${allowedServer.port})`);
    expect(result.observation).toContain(`allowed-${marker} allowed=0`);
    expect(result.observation).not.toContain(`other-${marker}`);
    expect(result.observation).not.toContain("other-status=200");
    // Around the proxy, straight to the allowed port, there is no way through either.
    expect(result.observation).toMatch(/direct=[1-9]/);
    expect(allowedServer.hits()).toBe(1);
    expect(otherServer.hits()).toBe(0);
  });
});

describe("host sockets", () => {
  /** A Unix socket server on the host, counting who connects; the folder is removed after the test. */
  async function socketServer(dir: string, name: string): Promise<{ path: string; connections: () => number }> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    let connections = 0;
    const server = createNetServer((socket) => {
      connections++;
      socket.end("host-secret\n");
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    netServers.push(server);
    return { path, connections: () => connections };
  }

  /** Tries each socket from inside: REACHED when it connected, REFUSED when not. */
  const tryEach = (paths: string[]) =>
    `echo "vars=[$SSH_AUTH_SOCK$XDG_RUNTIME_DIR$DOCKER_HOST]"; for s in ${paths.map((path) => `'${path}'`).join(" ")}; do ` +
    `python3 -c 'import socket,sys; c=socket.socket(socket.AF_UNIX); c.settimeout(3); c.connect(sys.argv[1]); print(c.recv(64).decode().strip())' "$s" 2>/dev/null && echo "REACHED $s" || echo "REFUSED $s"; done`;

  test("an ssh agent, a runtime folder's socket and a socket under /run are out of reach, with or without the network", async () => {
    const runtime = await outsideTmp("molt-xdg-");
    const agent = await socketServer(runtime, "agent.sock");
    const run = existsSync("/run") ? join("/run", `molt-test-${newMarker()}`) : undefined;
    if (run) outside.push(run);
    const docker = run ? await socketServer(run, "docker.sock") : undefined;
    const paths = [agent.path, ...(docker ? [docker.path] : [])];
    const env = { SSH_AUTH_SOCK: agent.path, XDG_RUNTIME_DIR: runtime, DOCKER_HOST: docker ? `unix://${docker.path}` : "unix:///nowhere" };
    for (const args of [[], ["--allow-network"]]) {
      const result = await attempt(tryEach(paths), { args, env });
      expect(result.exitCode).toBe(0);
      for (const path of paths) expect(result.observation).toContain(`REFUSED ${path}`);
      expect(result.observation).not.toContain("host-secret");
      expect(result.observation).toContain("vars=[]");
    }
    expect(agent.connections()).toBe(0);
    expect(docker?.connections() ?? 0).toBe(0);
  });

  test("with --allow-domain, where the host's /tmp is visible, a socket there is out of reach too", async () => {
    const tmpSocket = await socketServer(join("/tmp", `molt-test-tmux-${newMarker()}`), "default");
    strays.push(dirname(tmpSocket.path));
    const result = await attempt(tryEach([tmpSocket.path]), { args: ["--allow-domain", "example.invalid"], env: { TMUX: `${tmpSocket.path},1,0` } });
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain(`REFUSED ${tmpSocket.path}`);
    expect(tmpSocket.connections()).toBe(0);
  });

  test("with --allow-domain, the run's own tool host is reached, another run's is not, and molt's keys and sockets stay out", async () => {
    // Another run's tool host, where molt keeps the runs' sockets.
    const other = await socketServer(join(socketRoots({})[0]!, `r-test-${newMarker()}`), "tools.sock");
    strays.push(dirname(other.path));
    const repo = await makeRepo(FILES);
    const server = await startScriptedServer({
      script: [{ command: writeTool("count_words", COUNT_WORDS) }, { command: `count_words --path calc.js; echo "key=[$OPENAI_API_KEY]"; ${tryEach([other.path])}` }, { command: SUBMIT }],
    });
    servers.push(server);
    const result = await molt(["run", "--repo", repo, "--issue", "reach out", "--model", "m", "--base-url", server.url, "--output", join(await tempDir(), "run"), "--allow-domain", "example.invalid"], {
      env: { HOME: await tempDir("molt-home-"), OPENAI_API_KEY: "sk-test-key", SSH_AUTH_SOCK: other.path },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const observation = String(server.requests[2]?.messages.at(-1)?.content);
    expect(observation).toMatch(/^10 words$/m);
    // molt's own variables do not reach the commands of this sandbox either.
    expect(observation).toContain("key=[]");
    expect(observation).toContain("vars=[]");
    expect(observation).toContain(`REFUSED ${other.path}`);
    expect(other.connections()).toBe(0);
  });

  test("--sandbox local cannot hide sockets, but does not hand their addresses to commands either", async () => {
    const runtime = await outsideTmp("molt-xdg-");
    const agent = await socketServer(runtime, "agent.sock");
    const result = await attempt('echo "vars=[$SSH_AUTH_SOCK$XDG_RUNTIME_DIR]"', { args: ["--sandbox", "local"], env: { SSH_AUTH_SOCK: agent.path, XDG_RUNTIME_DIR: runtime } });
    expect(result.observation).toContain("vars=[]");
  });
});

describe("the environment", () => {
  const secrets = (marker: string) => ({
    OPENAI_API_KEY: `sk-openai-${marker}`,
    GITHUB_TOKEN: `ghp-github-${marker}`,
    DB_PASSWORD: `db-password-${marker}`,
    HARMLESS: `harmless-${marker}`,
  });
  // `env`, and every environment a process inside can read through /proc.
  const dump = `env; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done 2>/dev/null | sort -u`;

  test("commands see neither molt's API key nor other secrets", async () => {
    const marker = newMarker();
    const result = await attempt(dump, { env: secrets(marker) });
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain(`HARMLESS=harmless-${marker}`);
    expect(result.observation).not.toContain(`sk-openai-${marker}`);
    expect(result.observation).not.toContain(`ghp-github-${marker}`);
    expect(result.observation).not.toContain(`db-password-${marker}`);
  });

  test("--pass-env NAME passes that one variable, and only it", async () => {
    const marker = newMarker();
    const result = await attempt(dump, { env: secrets(marker), args: ["--pass-env", "GITHUB_TOKEN"] });
    expect(result.exitCode).toBe(0);
    expect(result.observation).toContain(`GITHUB_TOKEN=ghp-github-${marker}`);
    expect(result.observation).not.toContain(`sk-openai-${marker}`);
    expect(result.observation).not.toContain(`db-password-${marker}`);
  });
});

test("processes a command leaves in the background die with it", async () => {
  const tag = String(Date.now() % 100000);
  const sleeps = [`sleep 701${tag}`, `sleep 702${tag}`, `sleep 703${tag}`, `sleep 704${tag}`];
  const result = await attempt(
    `${sleeps[0]} > /dev/null 2>&1 & nohup ${sleeps[1]} > /dev/null 2>&1 & setsid ${sleeps[2]} > /dev/null 2>&1 & ( ${sleeps[3]} > /dev/null 2>&1 & ) ; disown -a; echo started`,
  );
  expect(result.exitCode).toBe(0);
  expect(result.observation).toContain("started");
  const { stdout } = await execa("ps", ["-eo", "args"]);
  for (const sleep of sleeps) expect(stdout).not.toContain(sleep);
});

test("--sandbox bwrap without bwrap on PATH exits 2 with one line that names --sandbox local, and writes nothing", async () => {
  const bin = await tempDir("molt-bin-");
  const which = async (name: string) => {
    for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
    throw new Error(`no ${name} on PATH`);
  };
  await symlink(process.execPath, join(bin, "node"));
  await symlink(await which("git"), join(bin, "git"));
  await symlink(await which("bash"), join(bin, "bash"));
  const repo = await makeRepo(FILES);
  const cwd = await tempDir();
  const tmp = await tempDir("molt-tmpdir-");
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", "http://127.0.0.1:8/v1", "--sandbox", "bwrap", "--output", out], {
    env: { PATH: bin, TMPDIR: tmp },
    cwd,
  });
  expect(result.exitCode).toBe(2);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^molt: .*bwrap.*--sandbox local/);
  expect(result.stdout).toBe("");
  // No run folder, no workspace.
  expect(existsSync(out)).toBe(false);
  expect(await readdir(cwd)).toEqual([]);
  expect(await readdir(tmp)).toEqual(expect.not.arrayContaining([expect.stringMatching(/^molt-/)]));
});
