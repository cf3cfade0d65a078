import { closeSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import type { z } from "zod";
import type { EventSink } from "./event-bus.ts";
import { isTransient, type MoltEvent } from "./events.ts";
import { parseRecordedEvent } from "./legacy.ts";

/**
 * The record of a run: one JSON event per line, appended and handed to the OS as each
 * event happens, so a run killed at any point keeps every event before the kill.
 * Appending never rewrites what is there: the cost per event is flat however long the run.
 */
export class EventsFile implements EventSink {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, "a");
  }

  onEvent(event: MoltEvent): void {
    if (this.#fd === undefined || isTransient(event)) return;
    writeSync(this.#fd, JSON.stringify(event) + "\n");
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Reads a record back. A torn last line (a run killed mid-write) is dropped; any other bad line is an error. */
export function readEvents(path: string): MoltEvent[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const events: MoltEvent[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    // Only a final line with no newline after it can have been cut short by a kill.
    const isLast = index === lines.length - 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (isLast) break;
      throw new Error(`${path}:${index + 1}: not a JSON line`);
    }
    const result = parseRecordedEvent(parsed);
    if (!result.success) throw new Error(`${path}:${index + 1}: not a molt event (${describeIssue(result.error.issues[0])})`);
    events.push(result.data);
  }
  return events;
}

/** What is wrong with an event, in a few words: the field and the problem, or the unknown type. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "invalid";
  if (issue.code === "invalid_union" && issue.path.join(".") === "type") return "unknown event type";
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}

/** Cuts a torn last line (a run killed mid-write) off the record, so that appending starts on a line of its own. */
export function repairEvents(path: string): void {
  const text = readFileSync(path, "utf8");
  if (text === "" || text.endsWith("\n")) return;
  truncateSync(path, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
}
