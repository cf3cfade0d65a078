// Reading a file of the evolved folder from outside the sandbox. The agent writes that folder, so
// a name in it may be a link to a secret, a FIFO that never answers, or a file of any size: molt
// opens the name itself (never what it points to), without waiting, and reads only a regular file
// of a tool's size. The check and the read are one open file, so nothing can be swapped in between.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** The largest tool or helper file molt reads, checks and records. */
export const TOOL_FILE_MAX_BYTES = 1024 ** 2;

export type EvolvedFile =
  | { ok: true; text: string; size: number }
  | { ok: false; problem: "missing" | "link" | "not a file" | "too large"; size?: number };

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The text of a regular file at `path`, if it is one (not a link) and at most `maxBytes` long. */
export function readEvolvedFile(path: string, maxBytes = TOOL_FILE_MAX_BYTES): EvolvedFile {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === "ELOOP" ? "link" : code === "ENOENT" || code === "ENOTDIR" ? "missing" : "not a file" };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { ok: false, problem: "not a file" };
    if (info.size > maxBytes) return { ok: false, problem: "too large", size: info.size };
    // At most one byte past the limit: a file that grows while it is read is not read on and on.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) return { ok: false, problem: "too large", size: length };
    return { ok: true, text: buffer.toString("utf8", 0, length), size: length };
  } finally {
    closeSync(fd);
  }
}

/** "2.0 MiB", "512 KiB": a size for a diagnostic. */
export function sizeInWords(bytes: number): string {
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** What a diagnostic says about a tool file that is too large. */
export function tooLargeMessage(displayPath: string, bytes: number): string {
  return `${displayPath} is ${sizeInWords(bytes)}; a tool file may be at most ${sizeInWords(TOOL_FILE_MAX_BYTES).replace(".0 ", " ")}`;
}
