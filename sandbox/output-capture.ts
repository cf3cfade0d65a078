import { StringDecoder } from "node:string_decoder";

export interface CapturedOutput {
  /** The whole output when nothing was elided, else its head. */
  output: string;
  /** The end of the output when characters were elided, else "". */
  outputTail: string;
  elidedChars: number;
}

/**
 * Keeps the first `headChars` and the last `tailChars` characters of a stream and counts the
 * rest, so that a command printing gigabytes costs a bounded amount of memory.
 */
export class OutputCapture {
  readonly #decoder = new StringDecoder("utf8");
  readonly #headChars: number;
  readonly #tailChars: number;
  #head = "";
  #tail = "";
  #elided = 0;

  constructor(headChars = 5000, tailChars = 5000) {
    this.#headChars = headChars;
    this.#tailChars = tailChars;
  }

  write(chunk: Buffer): void {
    this.#take(this.#decoder.write(chunk));
  }

  finish(): CapturedOutput {
    this.#take(this.#decoder.end());
    this.#trimTail(this.#tailChars);
    if (this.#elided === 0) return { output: this.#head + this.#tail, outputTail: "", elidedChars: 0 };
    return { output: this.#head, outputTail: this.#tail, elidedChars: this.#elided };
  }

  #take(text: string): void {
    if (text === "") return;
    const room = this.#headChars - this.#head.length;
    if (room > 0) {
      // Never split a surrogate pair between the head and the rest.
      const cut = isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room;
      this.#head += text.slice(0, cut);
      text = text.slice(cut);
    }
    this.#tail += text;
    // Trimming lazily, at twice the size, keeps the copying linear in the output's length.
    if (this.#tail.length > 2 * this.#tailChars) this.#trimTail(this.#tailChars);
  }

  #trimTail(keep: number): void {
    if (this.#tail.length <= keep) return;
    let drop = this.#tail.length - keep;
    if (isLowSurrogate(this.#tail.charCodeAt(drop))) drop++;
    this.#elided += drop;
    this.#tail = this.#tail.slice(drop);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
