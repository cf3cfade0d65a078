import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { shaOf, ToolLibrary, type HistoryEntry } from "../../tools/library.ts";

let root: string;
let library: ToolLibrary;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "molt-library-test-"));
  library = new ToolLibrary(join(root, "evolved"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function version(number: number, source: string, status: "loaded" | "rejected", runId: string, reason?: string): HistoryEntry {
  return { kind: "version", version: number, sha: shaOf(source), status, source, runId, ts: 1_700_000_000_000 + number, ...(reason ? { reason } : {}) };
}

const V1 = 'export default "one";\n';
const V2 = 'export default "two";\n';
const V3 = 'export default "three";\n';

describe("history", () => {
  test("a tool the library has never seen has no history and latest version 0", () => {
    expect(library.history("nothing")).toEqual([]);
    expect(library.versions("nothing")).toEqual([]);
    expect(library.latestVersion("nothing")).toBe(0);
    expect(library.versionOf("nothing", V1)).toBeUndefined();
  });

  test("append records entries in order, one JSON line each, across calls", async () => {
    await library.append("count", [version(1, V1, "rejected", "run-a", "TS2322"), version(2, V2, "loaded", "run-a")]);
    await library.append("count", [{ kind: "used", version: 2, calls: 3, runId: "run-a", ts: 5 }]);
    const history = library.history("count");
    expect(history.map((entry) => entry.kind)).toEqual(["version", "version", "used"]);
    expect(history[0]).toMatchObject({ version: 1, status: "rejected", reason: "TS2322", source: V1 });
    const lines = (await readFile(join(library.dir, ".history", "count.jsonl"), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toEqual({ kind: "used", version: 2, calls: 3, runId: "run-a", ts: 5 });
  });

  test("append with no entries creates nothing", async () => {
    await library.append("count", []);
    expect(existsSync(join(library.dir, ".history"))).toBe(false);
  });

  test("versions, latestVersion and versionOf read the version entries", async () => {
    await library.append("count", [version(1, V1, "loaded", "run-a"), version(2, V2, "rejected", "run-a"), { kind: "used", version: 1, calls: 1, runId: "run-a", ts: 1 }]);
    await library.append("count", [version(3, V1, "loaded", "run-b")]);
    expect(library.versions("count").map((entry) => entry.version)).toEqual([1, 2, 3]);
    expect(library.latestVersion("count")).toBe(3);
    // The same source seen twice: the latest version with it.
    expect(library.versionOf("count", V1)).toBe(3);
    expect(library.versionOf("count", V2)).toBe(2);
    expect(library.versionOf("count", V3)).toBeUndefined();
  });

  test("histories of different tools are separate", async () => {
    await library.append("a", [version(1, V1, "loaded", "run-a")]);
    await library.append("b", [version(1, V2, "loaded", "run-a"), version(2, V3, "loaded", "run-a")]);
    expect(library.latestVersion("a")).toBe(1);
    expect(library.latestVersion("b")).toBe(2);
  });

  test("a corrupt or invalid history line is skipped, the rest is kept", async () => {
    await library.append("count", [version(1, V1, "loaded", "run-a")]);
    const file = join(library.dir, ".history", "count.jsonl");
    await appendFile(file, '{"kind": "version", "version": 2, "sha": "trunc\n');
    await appendFile(file, '{"kind": "used", "version": -1, "calls": 1, "runId": "x", "ts": 1}\n');
    await appendFile(file, "\n   \n");
    await library.append("count", [version(3, V3, "loaded", "run-b")]);
    expect(library.versions("count").map((entry) => entry.version)).toEqual([1, 3]);
    expect(library.history("count")).toHaveLength(2);
  });
});

describe("keep", () => {
  test("writes the source as <name>.ts, exactly, creating the folder", async () => {
    const source = "import { defineTool } from \"molt/tool\";\n// ünïcödé, no trailing newline";
    await library.keep("count", source);
    expect(await readFile(join(library.dir, "count.ts"), "utf8")).toBe(source);
  });

  test("replaces the previous version and leaves no temporary file behind", async () => {
    await library.keep("count", V1);
    await library.keep("count", V2);
    expect(await readFile(join(library.dir, "count.ts"), "utf8")).toBe(V2);
    expect(await readdir(library.dir)).toEqual(["count.ts"]);
  });

  test("files lists the kept modules, sorted, with their source", async () => {
    await library.keep("zeta", V1);
    await library.keep("_util", V2);
    await library.keep("alpha", V3);
    await writeFile(join(library.dir, "notes.md"), "not a module");
    const files = await library.files();
    expect(files.map((file) => file.name)).toEqual(["_util", "alpha", "zeta"]);
    expect(files[1]).toEqual({ name: "alpha", file: join(library.dir, "alpha.ts"), source: V3 });
  });

  test("files of a library folder that does not exist is empty", async () => {
    expect(await library.files()).toEqual([]);
  });
});

describe("remove", () => {
  test("deletes the file, keeps the history and records the removal", async () => {
    await library.append("count", [version(1, V1, "loaded", "run-a")]);
    await library.keep("count", V1);
    expect(await library.remove("count")).toBe(true);
    expect(existsSync(join(library.dir, "count.ts"))).toBe(false);
    const history = library.history("count");
    expect(history.map((entry) => entry.kind)).toEqual(["version", "removed"]);
    expect(library.latestVersion("count")).toBe(1);
  });

  test("returns false for a tool that is not in the library, and records nothing", async () => {
    expect(await library.remove("ghost")).toBe(false);
    expect(library.history("ghost")).toEqual([]);
  });

  test("returns false for a tool removed already", async () => {
    await library.keep("count", V1);
    expect(await library.remove("count")).toBe(true);
    expect(await library.remove("count")).toBe(false);
    expect(library.history("count").filter((entry) => entry.kind === "removed")).toHaveLength(1);
  });
});

describe("copyInto", () => {
  test("copies every module, helpers too, but not the history", async () => {
    await library.keep("count", V1);
    await library.keep("_util", V2);
    await library.append("count", [version(1, V1, "loaded", "run-a")]);
    const folder = join(root, "run", "evolved");
    await library.copyInto(folder);
    expect((await readdir(folder)).sort()).toEqual(["_util.ts", "count.ts"]);
    expect(await readFile(join(folder, "count.ts"), "utf8")).toBe(V1);
    expect(await readFile(join(folder, "_util.ts"), "utf8")).toBe(V2);
  });

  test("from an empty library creates the folder and copies nothing", async () => {
    const folder = join(root, "run", "evolved");
    await library.copyInto(folder);
    expect(await readdir(folder)).toEqual([]);
  });
});

describe("summaries", () => {
  test("an empty library has no summaries", () => {
    expect(library.summaries()).toEqual([]);
  });

  test("a kept tool: current is the version of the file, uses summed over used entries, madeBy the first version's run", async () => {
    await library.append("count", [version(1, V1, "rejected", "run-a", "bad"), version(2, V2, "loaded", "run-a")]);
    await library.append("count", [{ kind: "used", version: 2, calls: 4, runId: "run-a", ts: 1 }]);
    await library.append("count", [version(3, V3, "loaded", "run-b"), { kind: "used", version: 3, calls: 2, runId: "run-b", ts: 2 }, { kind: "used", version: 2, calls: 1, runId: "run-b", ts: 2 }]);
    await library.keep("count", V2);
    expect(library.summaries()).toEqual([{ name: "count", current: 2, latest: 3, status: "kept", uses: 7, madeBy: "run-a" }]);
  });

  test("a tool whose versions were all rejected is 'rejected' with no current version", async () => {
    await library.append("broken", [version(1, V1, "rejected", "run-x", "TS1005"), version(2, V2, "rejected", "run-y", "molt:name")]);
    expect(library.summaries()).toEqual([{ name: "broken", current: undefined, latest: 2, status: "rejected", uses: 0, madeBy: "run-x" }]);
  });

  test("a removed tool is 'removed' and keeps its uses", async () => {
    await library.append("gone", [version(1, V1, "loaded", "run-a"), { kind: "used", version: 1, calls: 5, runId: "run-a", ts: 1 }]);
    await library.keep("gone", V1);
    await library.remove("gone");
    expect(library.summaries()).toEqual([{ name: "gone", current: undefined, latest: 1, status: "removed", uses: 5, madeBy: "run-a" }]);
  });

  test("a file written by hand, with no history, is kept, made 'by hand', with no known version", async () => {
    await library.keep("manual", V1);
    expect(library.summaries()).toEqual([{ name: "manual", current: undefined, latest: 0, status: "kept", uses: 0, madeBy: "by hand" }]);
  });

  test("a kept file edited by hand since its last version has no current version", async () => {
    await library.append("count", [version(1, V1, "loaded", "run-a")]);
    await library.keep("count", V1 + "// edited\n");
    expect(library.summaries()).toEqual([expect.objectContaining({ name: "count", current: undefined, latest: 1, status: "kept" })]);
  });

  test("lists every tool, from files and from histories, sorted by name", async () => {
    await library.keep("zeta", V1);
    await library.append("alpha", [version(1, V1, "rejected", "run-a")]);
    await library.keep("mid", V2);
    await library.append("mid", [version(1, V2, "loaded", "run-b")]);
    await mkdir(join(library.dir, ".history"), { recursive: true });
    await writeFile(join(library.dir, ".history", "README.txt"), "not a history");
    const summaries = library.summaries();
    expect(summaries.map((summary) => [summary.name, summary.status])).toEqual([
      ["alpha", "rejected"],
      ["mid", "kept"],
      ["zeta", "kept"],
    ]);
    expect(summaries[1]).toMatchObject({ current: 1, madeBy: "run-b" });
  });
});
