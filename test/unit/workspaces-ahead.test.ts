import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { Instance } from "../../bin/runtime/batch/instances.ts";
import { WorkspacesAhead } from "../../bin/runtime/workspaces-ahead.ts";
import { git } from "../../sandbox/workspace.ts";
import { IDENTITY } from "../batch-fixture.ts";
import { cleanUp, gitOut, makeRepo, tempDir, writeFiles } from "../helpers.ts";

// The batch's look-ahead, on real repositories: what it makes, what it hands over, what it cleans up.

let parent: string;
let saved: string | undefined;

beforeEach(async () => {
  saved = process.env.MOLT_WORKSPACES;
  parent = await tempDir("molt-ahead-");
  process.env.MOLT_WORKSPACES = parent;
});

afterEach(async () => {
  if (saved === undefined) delete process.env.MOLT_WORKSPACES;
  else process.env.MOLT_WORKSPACES = saved;
  await cleanUp();
});

async function twoCommits(): Promise<{ repo: string; first: string; second: string }> {
  const repo = await makeRepo({ "a.txt": "first\n" });
  const first = await gitOut(repo, "rev-parse", "HEAD");
  await writeFiles(repo, { "a.txt": "second\n" });
  await git(repo, IDENTITY).add(".").commit("second");
  return { repo, first, second: await gitOut(repo, "rev-parse", "HEAD") };
}

function instance(id: string, base: string): Instance {
  return { instance_id: id, repo: "acme/x", base_commit: base, problem_statement: "x" } as Instance;
}

test("makes the queued workspaces in order, each at its instance's commit, and hands each over once", async () => {
  const { repo, first, second } = await twoCommits();
  const ahead = new WorkspacesAhead(async () => repo);
  ahead.prepare([instance("one", first), instance("two", second)]);
  // Let its turn come before it is taken, as it does while another instance runs.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const one = await ahead.take("one");
  const two = await ahead.take("two");
  expect(await readFile(join(one!.path, "a.txt"), "utf8")).toBe("first\n");
  expect(await readFile(join(two!.path, "a.txt"), "utf8")).toBe("second\n");
  expect(one!.container.startsWith(`${parent}/`)).toBe(true);
  expect(await ahead.take("one")).toBeUndefined();
  await ahead.close();
  // Taken workspaces are their runs' to remove, not the look-ahead's.
  expect(existsSync(one!.path) && existsSync(two!.path)).toBe(true);
});

test("an instance taken before its turn came is never made: its run makes its own", async () => {
  const { repo, first } = await twoCommits();
  const ahead = new WorkspacesAhead(async () => repo);
  ahead.prepare([instance("one", first)]);
  expect(await ahead.take("one")).toBeUndefined();
  await ahead.close();
  expect(await readdir(parent)).toEqual([]);
});

test("close removes what no run took; a commit that is not there gives no workspace", async () => {
  const { repo, first } = await twoCommits();
  const ahead = new WorkspacesAhead(async () => repo);
  ahead.prepare([instance("one", first), instance("gone", "0".repeat(40))]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(await ahead.take("gone")).toBeUndefined();
  await ahead.close();
  expect(await readdir(parent)).toEqual([]);
  // Nothing more is made once closed.
  ahead.prepare([instance("late", first)]);
  expect(await ahead.take("late")).toBeUndefined();
  expect(await readdir(parent)).toEqual([]);
});
