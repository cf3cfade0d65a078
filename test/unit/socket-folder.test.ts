import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { makeSocketFolder, SOCKET_PATH_MAX, socketRoots } from "../../sandbox/socket-folder.ts";

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function folderOf(env: NodeJS.ProcessEnv): string {
  const folder = makeSocketFolder("tools.sock", env);
  if (!folder.ok) throw new Error(folder.reason);
  made.push(folder.dir);
  return folder.dir;
}

test("a run's socket folder is new, private and short, whatever the user's runtime folder", async () => {
  const runtime = await mkdtemp(join(tmpdir(), "molt-runtime-"));
  made.push(runtime);
  const short = folderOf({ XDG_RUNTIME_DIR: runtime });
  expect(short.startsWith(join(runtime, "molt") + "/")).toBe(true);
  expect(lstatSync(short).mode & 0o777).toBe(0o700);
  expect(folderOf({ XDG_RUNTIME_DIR: runtime })).not.toBe(short);

  // A runtime folder too deep for a socket path: molt's folder in /tmp instead.
  const deep = join(runtime, "x".repeat(120));
  mkdirSync(deep);
  const instead = folderOf({ XDG_RUNTIME_DIR: deep });
  expect(instead.startsWith("/tmp/")).toBe(true);
  expect(Buffer.byteLength(join(instead, "tools.sock"))).toBeLessThanOrEqual(SOCKET_PATH_MAX);
  // Nothing is left in the runtime folder it passed over.
  expect(existsSync(join(deep, "molt"))).toBe(false);
});

test("a root someone planted as a link or left open to others is passed over", async () => {
  const runtime = await mkdtemp(join(tmpdir(), "molt-runtime-"));
  made.push(runtime);
  const elsewhere = await mkdtemp(join(tmpdir(), "molt-elsewhere-"));
  made.push(elsewhere);
  symlinkSync(elsewhere, join(runtime, "molt"));
  const dir = folderOf({ XDG_RUNTIME_DIR: runtime });
  expect(dir.startsWith(runtime)).toBe(false);
  expect(dir.startsWith(elsewhere)).toBe(false);

  rmSync(join(runtime, "molt"));
  mkdirSync(join(runtime, "molt"), { mode: 0o777 });
  const open = join(runtime, "molt");
  chmodSync(open, 0o777);
  expect(folderOf({ XDG_RUNTIME_DIR: runtime }).startsWith(open)).toBe(false);
  expect(socketRoots({ XDG_RUNTIME_DIR: runtime })[0]).toBe(open);
});
