import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { cleanUp, makeRepo, molt, scriptedServers, tempDir } from "../helpers.ts";
import { writeTool } from "../tool-sources.ts";

// The tool checker runs outside the sandbox, so it must read no more than the agent can: a tool
// that imports a link to a hidden file, or names one in a /// <reference>, must not get the
// file's content back in a diagnostic; and a huge tool file is refused before it is read.

afterEach(cleanUp);
const serve = scriptedServers();

const SUBMIT = { command: "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" };

/** Everything the run left for a user to read: its output, its record and the trajectory, and what the model was sent. */
async function everythingSaid(out: string, result: { stdout: string; stderr: string }, requests: unknown[]): Promise<string> {
  const files = await Promise.all((await readdir(out)).filter((file) => /\.(jsonl|json|diff)$/.test(file)).map((file) => readFile(join(out, file), "utf8")));
  return [result.stdout, result.stderr, ...files, JSON.stringify(requests)].join("\n");
}

test("a tool that imports a link to a hidden file, or references one by its absolute path, never gets its content back", async () => {
  // Files in molt's own /tmp, which the sandbox hides: the agent cannot read them.
  const hidden = await tempDir("molt-hidden-");
  const token = `MOLT-SECRET-${randomBytes(6).toString("hex")}`;
  const globalToken = `MOLT-GLOBAL-SECRET-${randomBytes(6).toString("hex")}`;
  await writeFile(join(hidden, "secret-module.ts"), `export const token = "${token}";\n`);
  await writeFile(join(hidden, "secret-script.ts"), `const leaked = "${globalToken}";\n`);

  const viaLink = `import { defineTool, z } from "molt/tool";
import { token } from "./secret_link.ts";
const shown: typeof token = 0;
export default defineTool({ name: "via_link", description: "d", input: z.object({}), run() { return String(shown); } });
`;
  const viaReference = `/// <reference path="${join(hidden, "secret-script.ts")}" />
import { defineTool, z } from "molt/tool";
const shown: typeof leaked = 0;
export default defineTool({ name: "via_reference", description: "d", input: z.object({}), run() { return String(shown); } });
`;
  const repo = await makeRepo({ "a.txt": "a\n" });
  const out = join(await tempDir(), "run");
  const server = await serve([
    { command: `ln -s ${join(hidden, "secret-module.ts")} "$MOLT_EVOLVED/secret_link.ts" && cat "$MOLT_EVOLVED/secret_link.ts"; true` },
    { command: writeTool("via_link", viaLink) },
    { command: writeTool("via_reference", viaReference) },
    SUBMIT,
  ]);
  const result = await molt(["run", "--repo", repo, "--issue", "read a secret", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);

  const said = await everythingSaid(out, result, server.requests);
  expect(said).not.toContain(token);
  expect(said).not.toContain(globalToken);
  // The agent is told why, in terms of its own files.
  const observations = server.requests.map((request) => String(request.messages.at(-1)?.content));
  expect(observations[2]).toMatch(/\[molt\] tool via_link v1 rejected: evolved\/via_link\.ts:2:\d+ /);
  expect(observations[3]).toMatch(/\[molt\] tool via_reference v1 rejected: evolved\/via_reference\.ts:1:\d+ molt:reference /);
});

test("a tool file over 1 MiB is refused with one clear line, and its content is not recorded", async () => {
  // Written by a loop: a command line itself may not be that long.
  const writeHuge = [
    `{ echo 'import { defineTool, z } from "molt/tool";'`,
    `for i in $(seq 2100); do printf '// %01000d\\n' 0; done`,
    `echo 'export default defineTool({ name: "huge", description: "d", input: z.object({}), run() { return "ok"; } });'; } > "$MOLT_EVOLVED/huge.ts"`,
  ].join("; ");
  const repo = await makeRepo({ "a.txt": "a\n" });
  const out = join(await tempDir(), "run");
  const server = await serve([{ command: writeHuge }, { command: "huge; echo exit=$?" }, SUBMIT]);
  const result = await molt(["run", "--repo", repo, "--issue", "write a huge tool", "--model", "m", "--base-url", server.url, "--output", out]);
  expect(result.exitCode).toBe(0);

  const observations = server.requests.map((request) => String(request.messages.at(-1)?.content));
  expect(observations[1]).toMatch(/\[molt\] tool huge rejected: evolved\/huge\.ts is 2\.\d MiB; a tool file may be at most 1 MiB/);
  expect(observations[2]).toContain("exit=127");
  const record = await readFile(join(out, "events.jsonl"), "utf8");
  expect(record).not.toContain("0".repeat(1000));
});
