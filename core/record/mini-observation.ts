/**
 * Reads a command's result back out of the observation message a mini-SWE-agent-style loop
 * (molt included) showed the model. The exit code is -1 where the message does not say it.
 */

export const UNKNOWN_EXIT_CODE = -1;

export interface ObservedResult {
  exitCode: number;
  output: string;
  outputTail: string;
  elidedChars: number;
  timedOut: boolean;
  /** Text around the output that is not part of it: molt's notes, a preamble. */
  notes: string[];
}

const RETURNCODE = /<returncode>\s*(-?\d+)\s*<\/returncode>\n?/;
const TIMED_OUT = /timed out/i;

/** `extra` is mini-SWE-agent 2's per-message metadata, which holds the raw output when present. */
export function parseObservation(text: string, extra?: Readonly<Record<string, unknown>>): ObservedResult {
  return fromExtra(extra) ?? fromJson(text) ?? fromTags(text) ?? unparsed(text);
}

/** Whether the message reports a command's result at all, rather than being some other text. */
export function isStructuredObservation(text: string, extra?: Readonly<Record<string, unknown>>): boolean {
  return typeof extra?.raw_output === "string" || RETURNCODE.test(text) || fromJson(text) !== undefined;
}

function result(partial: Partial<ObservedResult> & { output: string }): ObservedResult {
  return { exitCode: UNKNOWN_EXIT_CODE, outputTail: "", elidedChars: 0, timedOut: false, notes: [], ...partial };
}

function fromExtra(extra: Readonly<Record<string, unknown>> | undefined): ObservedResult | undefined {
  if (typeof extra?.raw_output !== "string") return undefined;
  const info = typeof extra.exception_info === "string" ? extra.exception_info : "";
  return result({
    output: extra.raw_output,
    exitCode: Number.isInteger(extra.returncode) ? (extra.returncode as number) : UNKNOWN_EXIT_CODE,
    timedOut: TIMED_OUT.test(info),
    notes: info ? [info] : [],
  });
}

/** mini-SWE-agent 2's tool-calling template: `{"returncode": N, "output": "..."}` or its head and tail. */
function fromJson(text: string): ObservedResult | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || !trimmed.includes('"returncode"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const exitCode = Number.isInteger(fields.returncode) ? (fields.returncode as number) : UNKNOWN_EXIT_CODE;
  const info = typeof fields.exception_info === "string" ? fields.exception_info : "";
  const common = { exitCode, timedOut: TIMED_OUT.test(info), notes: info ? [info] : [] };
  if (typeof fields.output === "string") return result({ ...common, output: fields.output });
  if (typeof fields.output_head === "string" && typeof fields.output_tail === "string") {
    const elided = typeof fields.elided_chars === "number" && fields.elided_chars >= 0 ? Math.round(fields.elided_chars) : 0;
    return result({ ...common, output: fields.output_head, outputTail: fields.output_tail, elidedChars: elided });
  }
  return undefined;
}

/** `<returncode>N</returncode>` then `<output>` or `<output_head>`/`<elided_chars>`/`<output_tail>`, warnings between. */
function fromTags(text: string): ObservedResult | undefined {
  const code = RETURNCODE.exec(text);
  const timedOut = /<warning>[\s\S]*?timed out[\s\S]*?<\/warning>/i.test(text) || /^The last command <command>[\s\S]*?timed out/.test(text);
  const exitCode = code ? Number(code[1]) : UNKNOWN_EXIT_CODE;
  const preamble = code && code.index > 0 ? text.slice(0, code.index).trim() : "";
  const body = code ? text.slice(code.index + code[0].length) : text;

  const head = between(body, "<output_head>\n", "\n</output_head>");
  if (head) {
    const tail = between(body, "<output_tail>\n", "\n</output_tail>", head.end);
    const elided = /<elided_chars>\s*([\d,]+)\s*characters elided\s*<\/elided_chars>/.exec(body);
    if (tail) {
      return result({
        exitCode,
        timedOut,
        output: head.text,
        outputTail: tail.text,
        elidedChars: elided ? Number(elided[1]!.replace(/,/g, "")) : 0,
        notes: notesOf(preamble, body.slice(tail.end)),
      });
    }
  }
  const open = body.indexOf("<output>");
  // The output may itself hold "</output>" (the agent read this very format), so the last one closes it.
  const close = body.lastIndexOf("</output>");
  if ((code || timedOut) && open >= 0 && close > open) {
    let output = body.slice(open + "<output>".length, close);
    if (output.startsWith("\n")) output = output.slice(1);
    // mini-SWE-agent's timeout message puts a line break of its own before </output>.
    if (!code && output.endsWith("\n")) output = output.slice(0, -1);
    return result({ exitCode, timedOut, output, notes: notesOf(preamble, body.slice(close + "</output>".length)) });
  }
  if (code) return result({ exitCode, timedOut, output: body, notes: notesOf(preamble, "") });
  return undefined;
}

function unparsed(text: string): ObservedResult {
  return result({ output: text });
}

function between(text: string, open: string, close: string, from = 0): { text: string; end: number } | undefined {
  const start = text.indexOf(open, from);
  if (start < 0) return undefined;
  const stop = text.indexOf(close, start + open.length - 1);
  if (stop < 0) return undefined;
  return { text: text.slice(start + open.length, Math.max(stop, start + open.length)), end: stop + close.length };
}

/** molt writes its notes after the output, joined by line breaks: kept as one note, so the message renders back the same. */
function notesOf(preamble: string, after: string): string[] {
  const notes: string[] = [];
  if (preamble) notes.push(preamble);
  const rest = after.startsWith("\n") ? after.slice(1) : after;
  if (rest.trim() !== "") notes.push(rest);
  return notes;
}
