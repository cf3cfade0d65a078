import { closeSync, openSync, readSync } from "node:fs";
import { UsageError } from "./usage-error.ts";

/** The largest issue molt takes: far more than any issue, and more than a model's context holds. */
export const MAX_ISSUE_BYTES = 1024 ** 2;
const LIMIT = "1 MiB";

/** An issue file's text: refused, in one line, when it is larger than MAX_ISSUE_BYTES or is not UTF-8 text. */
export function readIssueFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readAtMost(file, MAX_ISSUE_BYTES + 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    throw new UsageError(`cannot read the issue file ${file}: ${why}`);
  }
  return issueText(bytes, `the issue file ${file}`);
}

/** The issue piped on standard input, read no further than one byte past the limit. */
export async function readIssueStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    if (size > MAX_ISSUE_BYTES) break;
  }
  return issueText(Buffer.concat(chunks), "the issue on standard input");
}

function issueText(bytes: Buffer, what: string): string {
  if (bytes.length > MAX_ISSUE_BYTES) throw new UsageError(`${what} is larger than ${LIMIT}, the most molt takes`);
  if (bytes.includes(0)) throw new UsageError(`${what} is not text: it holds NUL bytes`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${what} is not UTF-8 text`);
  }
}

/** The first `most` bytes of a file (of a device or a pipe too, which may never end). */
function readAtMost(file: string, most: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(most);
    let filled = 0;
    for (;;) {
      const read = readSync(fd, buffer, filled, most - filled, null);
      if (read === 0) break;
      filled += read;
      if (filled === most) break;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
