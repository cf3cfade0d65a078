import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { describeIssue } from "./events-file.ts";
import type { MoltEvent } from "./events.ts";
import { parseRecordedEvent } from "./legacy.ts";

/**
 * A quick look into an events.jsonl: one read, and only the lines of the types asked for are
 * parsed, found by the `{"type":"…"` each line starts with, so a record of thousands of steps
 * costs a few milliseconds. Lines are parsed on demand (`parse`), so a caller may note where the
 * model replies are and read them only when it turns out to need them.
 */

export type EventType = MoltEvent["type"];

export interface LineAt {
  /** 1-based, for messages. */
  line: number;
  start: number;
  end: number;
  /** The last line with no newline after it: a run killed mid-write may have cut it short. */
  torn: boolean;
}

/** A line of the record is not a molt event; the message is one line naming it. */
export class ScanError extends Error {
  override readonly name = "ScanError";
}

const NEWLINE = 0x0a;
const PREFIX = Buffer.from('{"type":"');

export class EventsScan {
  readonly file: string;
  readonly #buffer: Buffer;
  readonly #found: Map<EventType, LineAt[]>;
  readonly #first: LineAt | undefined;
  #closed = false;

  private constructor(file: string, buffer: Buffer, types: readonly EventType[]) {
    this.file = file;
    this.#buffer = buffer;
    this.#found = new Map(types.map((type) => [type, []]));
    const wanted = types.map((type) => ({ type, bytes: Buffer.from(`${type}"`) }));
    let start = 0;
    let line = 0;
    let first: LineAt | undefined;
    while (start < buffer.length) {
      const newline = buffer.indexOf(NEWLINE, start);
      const end = newline < 0 ? buffer.length : newline;
      line++;
      const at: LineAt = { line, start, end, torn: newline < 0 };
      if (end > start) {
        first ??= at;
        const type = this.#typeAt(at, wanted);
        if (type !== undefined) this.#found.get(type)!.push(at);
      }
      start = end + 1;
    }
    this.#first = first;
  }

  /**
   * Reads the file once and notes where the events of these types are. The file is read into one
   * buffer that every call reuses (fresh memory for each of hundreds of large files costs more
   * than reading them), so the scan is valid only inside `use`.
   */
  static within<T>(file: string, types: readonly EventType[], use: (scan: EventsScan) => T): T {
    const scan = new EventsScan(file, readInto(file), types);
    try {
      return use(scan);
    } finally {
      scan.#closed = true;
    }
  }

  /** The first event of the record, parsed. */
  first(): MoltEvent | undefined {
    return this.#first ? this.parse(this.#first) : undefined;
  }

  at(type: EventType): readonly LineAt[] {
    return this.#found.get(type) ?? [];
  }

  /** The event on that line; undefined for a torn last line, a ScanError for any other bad line. */
  parse(at: LineAt): MoltEvent | undefined {
    if (this.#closed) throw new Error("EventsScan.within: the scan was used after its callback returned");
    let json: unknown;
    try {
      json = JSON.parse(this.#buffer.toString("utf8", at.start, at.end));
    } catch {
      if (at.torn) return undefined;
      throw new ScanError(`${this.file}:${at.line}: not a JSON line`);
    }
    const parsed = parseRecordedEvent(json);
    if (parsed.success) return parsed.data;
    if (at.torn) return undefined;
    throw new ScanError(`${this.file}:${at.line}: not a molt event (${describeIssue(parsed.error.issues[0])})`);
  }

  /** The line's JSON without checking it is an event: for callers that read a field or two of many lines. */
  json(at: LineAt): unknown {
    if (this.#closed) throw new Error("EventsScan.within: the scan was used after its callback returned");
    try {
      return JSON.parse(this.#buffer.toString("utf8", at.start, at.end));
    } catch {
      return undefined;
    }
  }

  all(type: EventType): MoltEvent[] {
    return this.at(type)
      .map((at) => this.parse(at))
      .filter((event): event is MoltEvent => event !== undefined);
  }

  #typeAt(at: LineAt, wanted: readonly { type: EventType; bytes: Buffer }[]): EventType | undefined {
    const buffer = this.#buffer;
    const from = at.start + PREFIX.length;
    if (!startsWith(buffer, at.start, at.end, PREFIX)) return this.#slowTypeAt(at);
    for (const { type, bytes } of wanted) if (startsWith(buffer, from, at.end, bytes)) return type;
    return undefined;
  }

  /** A line written some other way (its "type" not first): read whole, which is slower but rare. */
  #slowTypeAt(at: LineAt): EventType | undefined {
    const text = this.#buffer.toString("utf8", at.start, at.end);
    if (text.trim() === "") return undefined;
    try {
      const value: unknown = JSON.parse(text);
      const type = typeof value === "object" && value !== null && "type" in value ? value.type : undefined;
      return typeof type === "string" && this.#found.has(type as EventType) ? (type as EventType) : undefined;
    } catch {
      return undefined;
    }
  }
}

let scratch = Buffer.allocUnsafe(1 << 20);

function readInto(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
    let read = 0;
    while (read < size) {
      const count = readSync(fd, scratch, read, size - read, read);
      if (count === 0) break;
      read += count;
    }
    return scratch.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Byte by byte in JavaScript: on short prefixes, cheaper than a call into Buffer.compare for each of a million lines. */
function startsWith(buffer: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return false;
  return true;
}
