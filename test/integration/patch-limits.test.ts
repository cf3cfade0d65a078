import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, expect, test } from "vitest";
import { MoltEvent } from "../../core/events/events.ts";
import { cleanUp, makeRepo, MOLT, scriptedServers, tempDir } from "../helpers.ts";

// A change too big for a patch (a 300 MB binary the agent wrote) is left out of it, with a line
// that says so, and the run ends as any other: its patch of the other files, its record, its
// trajectory, its workspace removed. molt never holds the big change in memory.

const SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT";
const serve = scriptedServers();

afterEach(cleanUp);

/** Runs molt and follows its peak resident memory (VmHWM) while it runs. */
async function moltMeasured(args: string[], env: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string; peakMiB: number }> {
  const child = execa(process.execPath, [MOLT, ...args], {
    env: { OPENAI_API_KEY: "test-key", MOLT_LIBRARY: join(await tempDir("molt-library-"), "evolved"), ...env },
    input: "",
    reject: false,
    timeout: 240_000,
  });
  let peakKiB = 0;
  const watch = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, "utf8")
      .then((status) => {
        const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
        if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
      })
      .catch(() => undefined);
  }, 20);
  const result = await child;
  clearInterval(watch);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, peakMiB: peakKiB / 1024 };
}

test(
  "a 300 MB binary is left out of the patch with a note; the text change, the record, the trajectory are there and the workspace is removed",
  async () => {
    const repo = await makeRepo({ "a.txt": "old\n" });
    const server = await serve([{ command: "head -c 300000000 /dev/urandom > big.bin && printf 'new\\n' > a.txt && ls -l big.bin" }, { command: SUBMIT }]);
    const out = join(await tempDir(), "run");
    const workspaces = await tempDir("molt-workspaces-");

    const result = await moltMeasured(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve"], { MOLT_WORKSPACES: workspaces });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/patch +left out of the patch: big\.bin, a new file of 286 MiB \(a file's change may take at most 10 MiB of the patch\)/);

    const patch = await readFile(join(out, "patch.diff"), "utf8");
    expect(patch).toContain("+new");
    expect(patch).not.toContain("big.bin");

    const events = (await readFile(join(out, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => MoltEvent.parse(JSON.parse(line)));
    const end = events.at(-1);
    expect(end?.type).toBe("run_finished");
    if (end?.type !== "run_finished") return;
    expect(end.exitStatus).toBe("Submitted");
    expect(end.patch).toBe(patch);
    expect(end.patchNotes).toEqual(["left out of the patch: big.bin, a new file of 286 MiB (a file's change may take at most 10 MiB of the patch)"]);

    const trajectory = (await readdir(out)).find((name) => name.endsWith(".traj.json"));
    expect(trajectory).toBeDefined();
    const info = (JSON.parse(await readFile(join(out, trajectory!), "utf8")) as { info: { submission: string; molt: { patchNotes?: string[] } } }).info;
    expect(info.submission).toBe(patch);
    expect(info.molt.patchNotes?.join("\n")).toContain("big.bin");

    expect(await readdir(workspaces)).toEqual([]);
    // molt itself never held the change: 300 MB of data is some 380 MB of patch text.
    expect(result.peakMiB).toBeGreaterThan(0);
    expect(result.peakMiB).toBeLessThan(300);
  },
  300_000,
);

test("a change to a tracked file that is too big for the patch, and files past the patch's own limit, are left out and named", async () => {
  const repo = await makeRepo({ "a.txt": "old\n", "data.bin": "\u0000small\n" });
  // data.bin becomes 12 MB of random bytes (its part of the patch is over 10 MiB); five new files
  // of 7 MB (some 9 MB of patch each) would each fit, but not all of them in a patch of at most 32 MiB.
  const server = await serve([
    { command: "head -c 12000000 /dev/urandom > data.bin && for i in 1 2 3 4 5; do head -c 7000000 /dev/urandom > part$i.bin; done && printf 'new\\n' > a.txt" },
    { command: SUBMIT },
  ]);
  const out = join(await tempDir(), "run");
  const result = await moltMeasured(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve"], {});
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const patch = await readFile(join(out, "patch.diff"), "utf8");
  expect(patch).toContain("+new");
  expect(patch).not.toContain("data.bin");
  expect(result.stdout).toMatch(/patch +left out of the patch: data\.bin, whose change takes 1\d MiB \(a file's change may take at most 10 MiB of the patch\)/);
  // The parts are taken in order while they fit: three of them.
  const kept = ["part1.bin", "part2.bin", "part3.bin", "part4.bin", "part5.bin"].filter((name) => patch.includes(`b/${name}`));
  expect(kept).toEqual(["part1.bin", "part2.bin", "part3.bin"]);
  expect(result.stdout).toMatch(/patch +left out of the patch: part4\.bin, whose change takes \d\.\d MiB \(the patch had reached its limit of 32 MiB\)/);
  expect(result.stdout).toMatch(/patch +left out of the patch: part5\.bin/);
  expect(patch.length).toBeLessThanOrEqual(32 * 1024 * 1024);
  // What is left is a patch that applies.
  const clone = join(await tempDir(), "clone");
  await execa("git", ["clone", "--quiet", repo, clone]);
  await execa("git", ["apply", join(out, "patch.diff")], { cwd: clone });
  expect(await readFile(join(clone, "a.txt"), "utf8")).toBe("new\n");
  expect((await readFile(join(clone, "part3.bin"))).length).toBe(7_000_000);
});

test("a patch is byte for byte the change, also for text that is not UTF-8", async () => {
  const repo = await makeRepo({ "latin1.txt": "caf\n" });
  const server = await serve([{ command: "printf 'caf\\351\\n' > latin1.txt" }, { command: SUBMIT }]);
  const out = join(await tempDir(), "run");
  const result = await moltMeasured(["run", "--repo", repo, "--issue", "x", "--model", "m", "--base-url", server.url, "--output", out, "--no-evolve"], {});
  expect(result.exitCode).toBe(0);
  const clone = join(await tempDir(), "clone");
  await execa("git", ["clone", "--quiet", repo, clone]);
  await execa("git", ["apply", join(out, "patch.diff")], { cwd: clone });
  expect(await readFile(join(clone, "latin1.txt"))).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  expect(existsSync(join(out, "events.jsonl"))).toBe(true);
});
