import { constants } from "node:fs";
import { open, rm } from "node:fs/promises";

/*
 * Files molt itself writes and reads, on the host, in a folder that sandboxed commands can write
 * too (an evaluation's scratch folder). What is there may be a link a command planted, to a file
 * of the user's: molt must never write through it, nor read through it. Nothing sandboxed runs
 * while molt does either.
 */

/** Writes a new file at `path`: whatever was there (a link, a file) is removed first, never written through. */
export async function writeNewFile(path: string, data: string): Promise<void> {
  await rm(path, { force: true });
  const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await file.writeFile(data);
  } finally {
    await file.close();
  }
}

/**
 * Reads the regular file at `path` as text; a link, a pipe or anything else is refused (ELOOP, or
 * "not a file"). Of a file over `maxBytes`, its start and its end, with a line between them.
 */
export async function readPlainFile(path: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error(`${path} is not a file`);
    const size = info.size;
    if (size <= maxBytes) return await file.readFile("utf8");
    const half = Math.floor(maxBytes / 2);
    const head = Buffer.alloc(half);
    const tail = Buffer.alloc(half);
    await file.read(head, 0, half, 0);
    await file.read(tail, 0, half, size - half);
    return `${head.toString("utf8")}\n[… ${size - 2 * half} bytes left out …]\n${tail.toString("utf8")}`;
  } finally {
    await file.close();
  }
}
