import { createServer as createNetServer, type AddressInfo } from "node:net";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach } from "vitest";
import { startScriptedServer, type ScriptedServer, type ScriptReply } from "../bin/runtime/scripted-server.ts";
import { git } from "../sandbox/workspace.ts";

export const MOLT = fileURLToPath(new URL("../bin/molt", import.meta.url));

const made: string[] = [];

/** A fresh temporary folder, removed by `cleanUp`. */
export async function tempDir(prefix = "molt-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function cleanUp(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

const IDENTITY = { GIT_AUTHOR_NAME: "test", GIT_AUTHOR_EMAIL: "test@molt.invalid", GIT_COMMITTER_NAME: "test", GIT_COMMITTER_EMAIL: "test@molt.invalid" };

/** A real git repository with these files committed. */
export async function makeRepo(files: Record<string, string>): Promise<string> {
  const dir = join(await tempDir(), "repo");
  await writeFiles(dir, files);
  await git(dir, IDENTITY).init().add(".").commit("initial");
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** Runs ./bin/molt as a user would, with the Node that runs the tests. */
export interface MoltResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs molt; unless the test names them, the tool library and the data folder (where runs go) are fresh folders, never the user's. */
export async function molt(args: string[], options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {}): Promise<MoltResult> {
  const library = options.env && "MOLT_LIBRARY" in options.env ? {} : { MOLT_LIBRARY: join(await tempDir("molt-library-"), "evolved") };
  const data = options.env && "XDG_DATA_HOME" in options.env ? {} : { XDG_DATA_HOME: await tempDir("molt-data-") };
  const result = await execa(process.execPath, [MOLT, ...args], {
    cwd: options.cwd,
    env: { OPENAI_API_KEY: "test-key", ...library, ...data, ...options.env },
    input: options.input ?? "",
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export async function gitOut(dir: string, ...args: string[]): Promise<string> {
  return (await git(dir).raw(...args)).trim();
}

/** Scripted servers for a test file: the function starts one, and each is closed after its test. */
export function scriptedServers(): (script: ScriptReply[]) => Promise<ScriptedServer> {
  const servers: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (script) => {
    const server = await startScriptedServer({ script });
    servers.push(server);
    return server;
  };
}

/** A loopback port that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
