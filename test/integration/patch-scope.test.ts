import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { batchFixture } from "../batch-fixture.ts";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir, writeFiles } from "../helpers.ts";

// What the patch cannot hold — files in a submodule's folder, a git repository the agent made
// inside the workspace — is named at the end of the run and in its record, and the rest of the
// patch is made as always.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const serve = scriptedServers();

afterEach(cleanUp);

const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "protocol.file.allow=always", "-c", "user.name=t", "-c", "user.email=t@molt.invalid", ...args], { cwd });

/** A repository with a real submodule at `lib`, which a clone (and so the workspace) does not check out. */
async function repoWithSubmodule(): Promise<string> {
  const lib = await makeRepo({ "lib.txt": "library\n" });
  const repo = await makeRepo({ "a.txt": "old\n" });
  await git(repo, "submodule", "add", "--quiet", lib, "lib");
  await git(repo, "commit", "--quiet", "-m", "add the submodule");
  return repo;
}

async function runScript(repo: string, command: string) {
  const server = await serve([{ command }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve"]);
  const events = (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
  const end = events.at(-1);
  return { result, out, patch: await readFile(join(out, "patch.diff"), "utf8").catch(() => ""), end: end?.type === "run_finished" ? end : undefined };
}

async function appliesToFreshClone(repo: string, patchFile: string): Promise<string> {
  const clone = join(await tempDir(), "clone");
  await execa("git", ["clone", "--quiet", repo, clone]);
  await execa("git", ["apply", "--check", patchFile], { cwd: clone });
  await execa("git", ["apply", patchFile], { cwd: clone });
  return readFile(join(clone, "a.txt"), "utf8");
}

test("files written into a submodule that is not checked out are named at the end and in the record; the rest of the patch is made", async () => {
  const repo = await repoWithSubmodule();
  const { result, out, patch, end } = await runScript(repo, "ls -A lib | wc -l && printf 'hi\\n' > lib/new.txt && mkdir -p lib/deep && printf 'x\\n' > lib/deep/y.txt && printf 'new\\n' > a.txt");
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const note = "lib/ is a submodule that is not checked out in the workspace: what was written in it (lib/new.txt, lib/deep/y.txt) is not in the patch";
  expect(result.stdout).toContain(`patch    ${note}`);
  expect(end?.patchNotes).toEqual([note]);
  expect(patch).toContain("+new");
  expect(patch).not.toContain("lib/");
  expect(await appliesToFreshClone(repo, join(out, "patch.diff"))).toBe("new\n");
});

test("a git repository the agent makes inside the workspace does not stop the patch: its files are named as left out", async () => {
  const repo = await makeRepo({ "a.txt": "old\n" });
  const { result, out, patch, end } = await runScript(
    repo,
    "mkdir -p fixture scratch/inner && (cd fixture && git init -q && printf 'x\\n' > x.txt) && (cd scratch/inner && git init -q && printf 'y\\n' > y.txt && git add y.txt && git -c user.name=a -c user.email=a@a commit -qm y) && printf 'kept\\n' > scratch/kept.txt && printf 'new\\n' > a.txt",
  );
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  expect(end?.exitStatus).toBe("Submitted");
  expect(end?.patchNotes).toEqual([
    "fixture/ is a git repository of its own inside the workspace, not part of the repository: its files are not in the patch",
    "scratch/inner/ is a git repository of its own inside the workspace, not part of the repository: its files are not in the patch",
  ]);
  expect(result.stdout).toContain("patch    fixture/ is a git repository of its own");
  expect(patch).toContain("+++ b/scratch/kept.txt");
  expect(patch).not.toContain("fixture");
  expect(patch).not.toContain("Subproject commit");
  expect(await appliesToFreshClone(repo, join(out, "patch.diff"))).toBe("new\n");
});

test("in a batch, what a patch leaves out is in the instance's summary and its line; preds.json holds the rest of the patch", async () => {
  const f = await batchFixture({ "acme__calc-1": [{ command: "mkdir fixture && (cd fixture && git init -q && printf 'x\\n' > x.txt) && sed -i 's/a - b/a + b/' calc.js" }, { command: SUBMIT }] });
  const out = join(f.root, "out");
  const result = await molt(["batch", "--instances", f.instancesFile, "--output", out, "--model", `script:${f.scripts}`, "--repos-dir", f.reposDir, "--sandbox", "local", "--filter", "calc-1"]);
  expect(result.exitCode).toBe(0);
  const note = "fixture/ is a git repository of its own inside the workspace, not part of the repository: its files are not in the patch";
  expect(result.stdout).toContain(note);
  const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as { instances: Record<string, { patch_notes: string[] }> };
  expect(summary.instances["acme__calc-1"]?.patch_notes).toEqual([note]);
  const preds = JSON.parse(await readFile(join(out, "preds.json"), "utf8")) as Record<string, { model_patch: string }>;
  expect(preds["acme__calc-1"]?.model_patch).toContain("+export const add = (a, b) => a + b;");
});

test("a submodule's folder replaced by a link out of the workspace: molt does not look through it, the patch is made, and the run says what it left out", async () => {
  const lib = await makeRepo({ "lib.txt": "library\n" });
  const repo = await makeRepo({ "a.txt": "old\n" });
  await git(repo, "submodule", "add", "--quiet", lib, "vendor/lib");
  await git(repo, "commit", "--quiet", "-m", "add the submodule");
  // A folder of the host's, outside /tmp, that the sandbox cannot see but molt could.
  const host = await mkdtemp("/var/tmp/molt-host-");
  try {
    await writeFiles(host, { "lib/private-name.txt": "x\n" });
    const { result, end, patch } = await runScript(repo, `rm -rf vendor && ln -s ${host} vendor && printf 'new\\n' > a.txt`);
    expect(result.exitCode).toBe(0);
    expect(JSON.stringify(end)).not.toContain("private-name");
    expect(end?.patchNotes).toEqual(["vendor/lib (a submodule) is no longer in the workspace, and vendor is now a link: neither is in the patch, which leaves submodules as they are"]);
    expect(patch).toContain("+new");
  } finally {
    await rm(host, { recursive: true, force: true });
  }
});
