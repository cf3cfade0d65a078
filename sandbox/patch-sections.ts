import { ftruncateSync, writeSync } from "node:fs";

/** The most one file's part of a patch may take: a bigger change (a large binary, say) is left out. */
export const MAX_FILE_PATCH_BYTES = 10 * 1024 * 1024;
/** The most a whole patch may take: it is held in memory, in the record and in a batch's preds.json. */
export const MAX_PATCH_BYTES = 32 * 1024 * 1024;

/**
 * A file the patch leaves out because its change is too big: its part of the patch was over the
 * limit for one file ("file", `bytes` that part), or would have taken the patch past its own
 * ("total"), or it is a new file too big to be read at all ("new", `bytes` the file's size).
 */
export interface LeftOutFile {
  path: string;
  bytes: number;
  why: "file" | "total" | "new";
}

export interface PatchLimits {
  file: number;
  total: number;
}

const BOUNDARY = Buffer.from("\ndiff --git ");

/**
 * Writes git's diff output to a file as it comes, one file's part (a `diff --git` section) after
 * another, leaving out a part that grows past its limit or would take the patch past its own:
 * what was written of it is cut off the file again, and the rest of it is only counted. So the
 * patch is never held in memory, and what is left is a patch of the other files, byte for byte.
 * A section starts at "diff --git " at the start of a line: inside a hunk every line starts with
 * a space, "+", "-" or "\", and binary data is base85, which has no space.
 */
export class PatchSections {
  readonly #fd: number;
  readonly #limits: PatchLimits;
  /** Where the file ends: everything before it is kept. */
  #written = 0;
  /** Where the current section starts in the file, its size so far, and whether it was dropped. */
  #sectionStart = 0;
  #sectionBytes = 0;
  #dropped: LeftOutFile["why"] | undefined;
  /** The current section's first bytes, for its path. */
  #head: Buffer[] = [];
  #headBytes = 0;
  /** The last bytes seen, held back until it is known whether a boundary runs through them. */
  #carry = Buffer.alloc(0);
  readonly leftOut: LeftOutFile[] = [];

  constructor(fd: number, limits: PatchLimits = { file: MAX_FILE_PATCH_BYTES, total: MAX_PATCH_BYTES }) {
    this.#fd = fd;
    this.#limits = limits;
  }

  /** The bytes of the patch kept so far. */
  get bytes(): number {
    return this.#written;
  }

  write(chunk: Buffer): void {
    const data = this.#carry.length > 0 ? Buffer.concat([this.#carry, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const at = data.indexOf(BOUNDARY, from);
      if (at < 0) break;
      this.#take(data.subarray(from, at + 1));
      this.#endSection();
      from = at + 1;
    }
    // Holds back as many bytes as a boundary could begin with, so one split across chunks is found.
    const keep = Math.min(BOUNDARY.length - 1, data.length - from);
    this.#take(data.subarray(from, data.length - keep));
    this.#carry = Buffer.from(data.subarray(data.length - keep));
  }

  /** Takes the last bytes and ends the last section; returns the patch's size. */
  end(): number {
    this.#take(this.#carry);
    this.#carry = Buffer.alloc(0);
    this.#endSection();
    return this.#written;
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.#headBytes < 4096) {
      this.#head.push(Buffer.from(bytes.subarray(0, 4096 - this.#headBytes)));
      this.#headBytes += Math.min(bytes.length, 4096 - this.#headBytes);
    }
    this.#sectionBytes += bytes.length;
    if (this.#dropped) return;
    if (this.#sectionBytes > this.#limits.file) this.#drop("file");
    else if (this.#sectionStart + this.#sectionBytes > this.#limits.total) this.#drop("total");
    else {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset, this.#written + offset);
      this.#written += bytes.length;
    }
  }

  #drop(why: LeftOutFile["why"]): void {
    this.#dropped = why;
    ftruncateSync(this.#fd, this.#sectionStart);
    this.#written = this.#sectionStart;
  }

  #endSection(): void {
    if (this.#sectionBytes > 0 && this.#dropped) {
      this.leftOut.push({ path: sectionPath(Buffer.concat(this.#head).toString("utf8")), bytes: this.#sectionBytes, why: this.#dropped });
    }
    this.#sectionStart = this.#written;
    this.#sectionBytes = 0;
    this.#dropped = undefined;
    this.#head = [];
    this.#headBytes = 0;
  }
}

/** The path a section is about, from its first line: `diff --git a/P b/P` (no renames, so both are P), quoted when git quotes it. */
export function sectionPath(section: string): string {
  const line = section.split("\n", 1)[0] ?? "";
  const rest = line.startsWith("diff --git ") ? line.slice("diff --git ".length) : line;
  if (rest.startsWith('"')) {
    const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
    return quoted ? unquote(quoted[1]!).replace(/^a\//, "") : rest;
  }
  const length = (rest.length - 5) / 2;
  return Number.isInteger(length) && length > 0 ? rest.slice(2, 2 + length) : rest;
}

/** Undoes git's C-style quoting of a path (`\"`, `\\`, `\n`, `\t`, octal bytes). */
function unquote(text: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '"': 34, "\\": 92 };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== "\\") {
      bytes.push(...Buffer.from(char, "utf8"));
      continue;
    }
    const next = text[i + 1] ?? "";
    const octal = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
