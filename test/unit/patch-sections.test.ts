import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { PatchSections, sectionPath } from "../../sandbox/patch-sections.ts";

const dir = mkdtempSync(join(tmpdir(), "molt-sections-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function section(path: string, body: string): string {
  return `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n${body}`;
}

/** Feeds `text` in chunks of `size` bytes and gives what was kept and what was left out. */
function feed(text: string, size: number, limits: { file: number; total: number }) {
  const file = join(dir, `patch-${size}-${limits.file}-${limits.total}.diff`);
  const fd = openSync(file, "w");
  const sections = new PatchSections(fd, limits);
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) sections.write(bytes.subarray(at, at + size));
  const written = sections.end();
  closeSync(fd);
  return { kept: readFileSync(file, "utf8"), written, leftOut: sections.leftOut };
}

describe("PatchSections", () => {
  const small = section("a.txt", "-old\n+new\n");
  // A hunk line that looks like a header but is not at a line's start, and one that is content.
  const big = section("big.txt", `+${"x".repeat(300)} diff --git a/no b/no\n+diff --git in content\n`);
  const tail = section("z.txt", "-1\n+2\n");

  test.each([1, 2, 7, 11, 12, 13, 64, 4096])("keeps sections whole and cuts the one over its limit, in chunks of %i bytes", (size) => {
    const { kept, written, leftOut } = feed(small + big + tail, size, { file: 200, total: 10_000 });
    expect(kept).toBe(small + tail);
    expect(written).toBe(Buffer.byteLength(small + tail));
    expect(leftOut).toEqual([{ path: "big.txt", bytes: Buffer.byteLength(big), why: "file" }]);
  });

  test("leaves out what would take the patch past its own limit, and keeps later sections that fit", () => {
    const { kept, leftOut } = feed(small + big + tail, 5, { file: 10_000, total: Buffer.byteLength(small + tail) + 10 });
    expect(kept).toBe(small + tail);
    expect(leftOut.map((file) => [file.path, file.why])).toEqual([["big.txt", "total"]]);
  });

  test("an empty diff writes nothing", () => {
    expect(feed("", 3, { file: 10, total: 10 })).toEqual({ kept: "", written: 0, leftOut: [] });
  });
});

describe("sectionPath", () => {
  test("reads the path of a section, with spaces, and git's quoted form", () => {
    expect(sectionPath("diff --git a/src/x y.txt b/src/x y.txt\nnew file mode 100644\n")).toBe("src/x y.txt");
    expect(sectionPath('diff --git "a/caf\\303\\251 \\"q\\".txt" "b/caf\\303\\251 \\"q\\".txt"\n')).toBe('café "q".txt');
    expect(sectionPath("diff --git a/a b/a")).toBe("a");
  });
});
