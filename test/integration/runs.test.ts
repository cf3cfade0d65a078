import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { z } from "zod";
import { startScriptedServer, type ScriptReply } from "../../bin/runtime/scripted-server.ts";
import { COUNT_WORDS, COUNT_WORDS_TYPE_ERROR, writeTool } from "../tool-sources.ts";
import { cleanUp, makeRepo, molt, tempDir } from "../helpers.ts";

// `molt runs` over real runs of ./bin/molt against the scripted server, plus the folders it meets in the wild:
// a mini-SWE-agent trajectory, a run killed before it finished, a record that cannot be read.

const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };
let runs: string;

async function run(name: string, script: ScriptReply[], extra: string[]): Promise<void> {
  const repo = await makeRepo({ "notes.txt": "the cat saw the dog\n" });
  const server = await startScriptedServer({ script });
  try {
    const result = await molt(["run", "--repo", repo, "--model", "m", "--base-url", server.url, "--output", join(runs, name), ...extra]);
    expect(result.exitCode).toBeLessThan(2);
  } finally {
    await server.close();
  }
}

beforeAll(async () => {
  runs = join(await tempDir("molt-runs-"), "molt-runs");
  await mkdir(runs);
  // Oldest first: a run that wrote a tool (rejected once, then kept) and submitted.
  await run(
    "evolved",
    [{ command: writeTool("count_words", COUNT_WORDS_TYPE_ERROR) }, { command: writeTool("count_words", COUNT_WORDS) }, { command: "count_words --path notes.txt" }, SUBMIT],
    ["--issue", "Count the words in notes.txt\n\nThe second line of the issue."],
  );
  // A run stopped by its step limit; the endpoint read most of its input from its prompt cache.
  await run("limited", [{ command: "ls", usage: { prompt: 1000, completion: 10, cached: 800 } }, { command: "ls" }, SUBMIT], ["--issue", "List the files", "--step-limit", "1"]);

  // The limited run as it was before it finished: its record without the last line, under another id.
  const lines = (await readFile(join(runs, "limited", "events.jsonl"), "utf8")).trimEnd().split("\n");
  const started = JSON.parse(lines[0]!) as { runId: string; ts: number };
  lines[0] = JSON.stringify({ ...started, runId: "unfinished-run", ts: started.ts + 1 });
  await mkdir(join(runs, "unfinished"));
  await writeFile(join(runs, "unfinished", "events.jsonl"), lines.slice(0, -1).join("\n") + "\n");

  // A mini-SWE-agent trajectory, on its own in a folder (its time is the file's: the newest).
  await mkdir(join(runs, "from-mini"));
  const trajectory = {
    info: { exit_status: "LimitsExceeded", submission: "", model_stats: { instance_cost: 1.25, api_calls: 2 }, config: { model: { model_name: "claude" } } },
    messages: [
      { role: "system", content: "s" },
      { role: "user", content: "Please solve this issue: Fix the parser\n\nYou can execute bash commands and edit files." },
      { role: "assistant", content: "```bash\nls\n```" },
      { role: "user", content: "<returncode>0</returncode>\n<output>\na.py\n</output>" },
      { role: "assistant", content: "```bash\ncat a.py\n```" },
      { role: "user", content: "<returncode>0</returncode>\n<output>\nx = 1\n</output>" },
    ],
    trajectory_format: "mini-swe-agent-1",
  };
  await writeFile(join(runs, "from-mini", "astropy__astropy-12907.traj.json"), JSON.stringify(trajectory));

  // A record that is not JSON.
  // Not a run: a folder with no record (a batch's library, say) is left out.
  await mkdir(join(runs, "library", "count_words"), { recursive: true });
  await mkdir(join(runs, "broken"));
  await writeFile(join(runs, "broken", "events.jsonl"), "this is not json\n");
}, 120_000);

afterAll(cleanUp);

const Listed = z.array(
  z.union([
    z.object({ runId: z.string(), dir: z.string(), status: z.literal("unreadable"), problem: z.string(), startedAt: z.string().nullable() }),
    z.object({
      runId: z.string(),
      dir: z.string(),
      kind: z.enum(["molt", "mini-swe-agent"]),
      repo: z.string(),
      issue: z.string(),
      model: z.string(),
      status: z.string(),
      exitStatus: z.string().nullable(),
      steps: z.number(),
      cost: z.number(),
      promptTokens: z.number(),
      cachedTokens: z.number(),
      toolsCreated: z.number(),
      toolsRejected: z.number(),
      startedAt: z.string().nullable(),
    }),
  ]),
);

test("--json lists every run, newest first, with what each did", async () => {
  const result = await molt(["runs", runs, "--json"]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const listed = Listed.parse(JSON.parse(result.stdout));
  const byDir = Object.fromEntries(listed.map((entry) => [entry.dir.split("/").at(-1), entry]));
  expect(Object.keys(byDir).sort()).toEqual(["broken", "evolved", "from-mini", "limited", "unfinished"]);

  expect(byDir.evolved).toMatchObject({ kind: "molt", issue: "Count the words in notes.txt", model: "m", status: "Submitted", steps: 4, toolsCreated: 1, toolsRejected: 1 });
  expect(byDir.evolved && "repo" in byDir.evolved && byDir.evolved.repo.endsWith("/repo")).toBe(true);
  expect(byDir.limited).toMatchObject({ status: "LimitsExceeded", exitStatus: "LimitsExceeded", steps: 1, promptTokens: 1000, cachedTokens: 800, toolsCreated: 0, toolsRejected: 0 });
  // Counted from its replies, as it has no end.
  expect(byDir.unfinished).toMatchObject({ runId: "unfinished-run", status: "running/interrupted", exitStatus: null, steps: 1, promptTokens: 1000, cachedTokens: 800 });
  expect(byDir["from-mini"]).toMatchObject({ kind: "mini-swe-agent", runId: "astropy__astropy-12907", issue: "Fix the parser", model: "claude", status: "LimitsExceeded", steps: 2, cost: 1.25 });
  expect(byDir.broken).toMatchObject({ status: "unreadable", problem: "events.jsonl:1: not a JSON line" });

  // Newest first: the runs in the order they were made, the last made on top.
  const order = listed.map((entry) => entry.dir.split("/").at(-1)).filter((name) => name !== "broken");
  expect(order).toEqual(["from-mini", "unfinished", "limited", "evolved"]);
});

test("the table, piped, has a header and one row per run, cut to the width with …", async () => {
  const wide = await molt(["runs", runs], { env: { COLUMNS: "200" } });
  expect(wide.exitCode).toBe(0);
  const lines = wide.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^run\s+repo\s+issue\s+status\s+steps\s+cost\s+cached\s+tools new\/rej\s+date$/);
  expect(lines).toHaveLength(6);
  const evolved = lines.find((line) => line.includes("Count the words"))!;
  expect(evolved).toMatch(/\brepo\s+Count the words in notes\.txt\s+Submitted\s+4\s+\$0\.0000\s+-\s+1\/1\s+\d{4}-\d\d-\d\d \d\d:\d\d$/);
  expect(lines.find((line) => line.startsWith("unfinished-run"))).toMatch(/running\/interrupted\s+1\s+\$\d\.\d{4}\s+80%\s/);
  expect(lines.find((line) => line.startsWith("broken"))).toMatch(/events\.jsonl:1: not a JSON line\s+unreadable/);

  const narrow = await molt(["runs", runs], { env: { COLUMNS: "90" } });
  const narrowLines = narrow.stdout.trimEnd().split("\n");
  expect(narrowLines).toHaveLength(6);
  for (const line of narrowLines) expect(line.length).toBeLessThanOrEqual(90);
  expect(narrow.stdout).toContain("…");
  // Too narrow for every column even cut: the cache share goes first, the status and cost stay.
  expect(narrowLines[0]).toMatch(/^run\s+repo\s+issue\s+status\s+steps\s+cost\s+tools new\/rej\s+date$/);

  const eighty = await molt(["runs", runs], { env: { COLUMNS: "80" } });
  for (const line of eighty.stdout.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  expect(eighty.stdout).toMatch(/^run\s+repo\s+issue\s+status\s+steps\s+cost\s+tools new\/rej$/m);
});

test("a run's own folder lists as that run", async () => {
  const result = await molt(["runs", join(runs, "limited"), "--json"]);
  expect(Listed.parse(JSON.parse(result.stdout)).map((entry) => entry.status)).toEqual(["LimitsExceeded"]);
});

test("an empty folder has no runs; a missing one is one line and exit code 2", async () => {
  const empty = await tempDir();
  const none = await molt(["runs", empty]);
  expect(none).toMatchObject({ exitCode: 0, stdout: `no runs in ${empty}`, stderr: "" });
  expect((await molt(["runs", empty, "--json"])).stdout.trim()).toBe("[]");

  const missing = await molt(["runs", join(empty, "nope")]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stdout).toBe("");
  expect(missing.stderr).toBe(`molt: ${join(empty, "nope")}: no such folder`);

  // With no folder named, the user's runs folder, from wherever molt runs: none yet is no error.
  const data = await tempDir("molt-data-");
  const noneYet = await molt(["runs"], { cwd: empty, env: { XDG_DATA_HOME: data } });
  expect(noneYet).toMatchObject({ exitCode: 0, stdout: `no runs in ${join(data, "molt", "runs")}` });
});

test("bad usage is one line and exit code 2", async () => {
  const unknown = await molt(["runs", runs, "--bogus"]);
  expect(unknown).toMatchObject({ exitCode: 2, stderr: "molt: unknown option --bogus" });
  const two = await molt(["runs", runs, runs]);
  expect(two.exitCode).toBe(2);
  expect(two.stderr.trim().split("\n")).toHaveLength(1);
  const help = await molt(["help", "runs"]);
  expect(help.stdout).toContain("Usage: molt runs [DIR] [--json]");
  expect((await molt(["--help"])).stdout).toMatch(/^ {2}runs {4}list the past runs/m);
});
