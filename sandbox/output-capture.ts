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
      this.#head += text.slice(0, room);
      text = text.slice(room);
    }
    this.#tail += text;
    // Trimming lazily, at twice the size, keeps the copying linear in the output's length.
    if (this.#tail.length > 2 * this.#tailChars) this.#trimTail(this.#tailChars);
  }

  #trimTail(keep: number): void {
    if (this.#tail.length <= keep) return;
    this.#elided += this.#tail.length - keep;
    this.#tail = this.#tail.slice(-keep);
  }
}
