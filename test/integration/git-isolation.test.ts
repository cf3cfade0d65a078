import { chmod, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, test } from "vitest";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir, writeFiles } from "../helpers.ts";

// molt runs git on the host, outside the sandbox: to make the workspace, the snapshots and the
// patch, and to apply the patch with --apply. None of it may run a program that git
// configuration names (diff and filter drivers, an external diff, a signing program), whether
// the user's configuration or the repository's own .git/config names it, and the patch must be
// the agent's change byte for byte, as git apply takes it.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const serve = scriptedServers();

afterEach(cleanUp);

/** A program for every driver git could be told to run: it leaves a marker named after its role, and mangles what it is given. */
async function driverKit(): Promise<{ program: string; markers: string; ran: () => Promise<string[]>; config: string }> {
  const dir = await tempDir("molt-drivers-");
  const markers = join(dir, "markers");
  const program = join(dir, "driver.sh");
  await writeFiles(markers, { ".keep": "" });
  await writeFile(
    program,
    `#!/bin/sh\ntouch "${markers}/$1"\ncase "$1" in\n  textconv) echo TEXTCONV-RAN ;;\n  clean) cat >/dev/null; echo CLEANED ;;\n  smudge) cat >/dev/null; echo SMUDGED ;;\n  external) echo EXTERNAL-RAN ;;\n  *) exit 1 ;;\nesac\n`,
  );
  await chmod(program, 0o755);
  const config =
    `[diff "evil"]\n\ttextconv = ${program} textconv\n\tcommand = ${program} diff-command\n` +
    `[filter "evil"]\n\tclean = ${program} clean\n\tsmudge = ${program} smudge\n\trequired = false\n` +
    `[filter "evilproc"]\n\tprocess = ${program} process\n` +
    `[diff]\n\texternal = ${program} external\n` +
    `[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = ${program} gpg\n` +
    `[core]\n\tfsmonitor = ${program} fsmonitor\n\tpager = ${program} pager\n`;
  return { program, markers, config, ran: async () => (await readdir(markers)).filter((name) => name !== ".keep").sort() };
}

const FILES = {
  ".gitattributes": "* diff=evil filter=evil\n*.md filter=evilproc\n",
  "a.txt": "old\n",
  "notes.md": "# notes\n",
};
/** The agent's change, and the files as they must be after it. */
const EDIT = "printf 'new\\n' > a.txt && printf 'more\\n' >> notes.md && printf 'added\\n' > b.txt && printf 'x = 1\\n' > settings.cfg";
const AFTER = { "a.txt": "new\n", "notes.md": "# notes\nmore\n", "b.txt": "added\n", "settings.cfg": "x = 1\n" };

async function runEdit(repo: string, env: Record<string, string>, extra: string[] = []) {
  const server = await serve([{ command: EDIT }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await molt(["run", "--repo", repo, "--issue", "edit the files", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve", ...extra], { env });
  return { result, out, patch: await readFile(join(out, "patch.diff"), "utf8").catch(() => "") };
}

/** Applies the patch to a fresh clone of the repository, with git's defaults, and returns the files it changed. */
async function appliedToFreshClone(repo: string, patchFile: string): Promise<Record<string, string>> {
  const clone = join(await tempDir(), "clone");
  const clean = { ...process.env, HOME: await tempDir("molt-clean-home-"), GIT_CONFIG_NOSYSTEM: "1" };
  await execa("git", ["clone", "--quiet", repo, clone], { env: clean });
  await execa("git", ["apply", "--check", patchFile], { cwd: clone, env: clean });
  await execa("git", ["apply", patchFile], { cwd: clone, env: clean });
  const files: Record<string, string> = {};
  for (const name of Object.keys(AFTER)) files[name] = await readFile(join(clone, name), "utf8");
  return files;
}

describe("molt's own git commands run no program that git configuration names", () => {
  test("the user's global configuration (~/.gitconfig, $XDG_CONFIG_HOME/git/attributes, core.attributesFile): no driver runs, and the patch is the agent's change", async () => {
    const kit = await driverKit();
    const home = await tempDir("molt-home-");
    await writeFiles(home, {
      ".gitconfig": kit.config + `[core]\n\tattributesFile = ${join(home, "attributes")}\n`,
      attributes: "b.txt diff=evil filter=evil\n",
      ".config/git/attributes": "*.cfg diff=evil filter=evil\n",
    });
    // The repository is made before HOME points at the drivers.
    const repo = await makeRepo(FILES);
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, ".config") };

    const { result, out, patch } = await runEdit(repo, env, ["--apply"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await kit.ran()).toEqual([]);
    expect(patch).not.toMatch(/TEXTCONV-RAN|EXTERNAL-RAN|CLEANED|SMUDGED/);
    expect(patch).toContain("+new");
    expect(patch).toContain("+more");
    expect(patch).toContain("+added");
    expect(await appliedToFreshClone(repo, join(out, "patch.diff"))).toEqual(AFTER);
    // --apply wrote the same bytes into the user's checkout.
    expect(result.stdout).toContain("the patch was applied");
    for (const [name, content] of Object.entries(AFTER)) expect(await readFile(join(repo, name), "utf8")).toBe(content);
    expect(await kit.ran()).toEqual([]);
  });

  test("the source repository's own .git/config: no driver runs, with --apply either, and the patch is the agent's change", async () => {
    const kit = await driverKit();
    const repo = await makeRepo(FILES);
    await writeFile(join(repo, ".git", "config"), `${await readFile(join(repo, ".git", "config"), "utf8")}${kit.config}`);

    const { result, out, patch } = await runEdit(repo, {}, ["--apply"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await kit.ran()).toEqual([]);
    expect(patch).not.toMatch(/TEXTCONV-RAN|EXTERNAL-RAN|CLEANED|SMUDGED/);
    expect(await appliedToFreshClone(repo, join(out, "patch.diff"))).toEqual(AFTER);
    expect(result.stdout).toContain("the patch was applied");
    for (const [name, content] of Object.entries(AFTER)) expect(await readFile(join(repo, name), "utf8")).toBe(content);
    expect(await kit.ran()).toEqual([]);
  });

});
