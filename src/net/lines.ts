/**
 * Line framing over a byte stream, and LF → CRLF translation. Pure.
 *
 * @module
 */

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** The longest line, in bytes without its line end. @default {8192} */
  maxLength?: number;
  /**
   * What happens to a longer line: `split` cuts it into pieces of
   * `maxLength` (nothing is lost); `drop` discards it up to its line end and
   * counts it in {@linkcode LineSplitter.takeDropped} (chat: refuse the line,
   * keep the connection). @default {"split"}
   */
  overlong?: "split" | "drop";
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits bytes into lines on LF; a CR before the LF is dropped. Lines are
 * returned without their terminator. Memory stays bounded by `maxLength`.
 *
 * @example Splitting
 * ```ts
 * import { LineSplitter } from "./lines.ts";
 * const splitter = new LineSplitter();
 * splitter.push(new TextEncoder().encode("a\r\nb")); // [ "a" ]
 * splitter.flush(); // "b"
 * ```
 */
export class LineSplitter {
  #maxLength: number;
  #drop: boolean;
  #pending: Uint8Array = new Uint8Array(0);
  /** In drop mode: inside an over-long line, discarding until its LF. */
  #discarding = false;
  #dropped = 0;

  constructor(options: LineSplitterOptions = {}) {
    const { maxLength = 8192, overlong = "split" } = options;
    if (!(maxLength >= 1)) throw new RangeError(`Cannot split lines: maxLength ${maxLength} < 1`);
    this.#maxLength = maxLength;
    this.#drop = overlong === "drop";
  }

  /** Bytes waiting for their line end. */
  get pending(): number {
    return this.#pending.length;
  }

  /** How many over-long lines were dropped since the last call (drop mode). */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  /** Feeds a chunk; returns the complete lines it finished (copies, safe to keep). */
  push(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let data = chunk;
    if (this.#pending.length > 0) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending);
      data.set(chunk, this.#pending.length);
    }
    let start = 0;
    for (;;) {
      const end = data.indexOf(LF, start);
      if (end < 0) break;
      const line = data.subarray(start, end > start && data[end - 1] === CR ? end - 1 : end);
      if (this.#discarding) {
        this.#discarding = false;
        this.#dropped++;
      } else if (line.length > this.#maxLength && this.#drop) {
        this.#dropped++;
      } else {
        this.#emit(lines, line);
      }
      start = end + 1;
    }
    let rest = data.subarray(start);
    // A trailing CR may be half of a CRLF: keep it with the bytes before it (one byte over
    // the limit), so a line is never cut between its text and its line end.
    const over = (bytes: Uint8Array) =>
      bytes.length > this.#maxLength + (bytes[bytes.length - 1] === CR ? 1 : 0);
    if (over(rest) || (this.#discarding && rest.length > 0)) {
      if (this.#drop) {
        this.#discarding = true;
        rest = rest.subarray(rest.length);
      } else {
        while (over(rest)) {
          lines.push(rest.slice(0, this.#maxLength));
          rest = rest.subarray(this.#maxLength);
        }
      }
    }
    this.#pending = rest.slice();
    return lines;
  }

  /** The unterminated rest at end of stream (CR dropped), or undefined when there is none. */
  flush(): Uint8Array | undefined {
    if (this.#discarding) {
      this.#discarding = false;
      this.#dropped++;
    }
    if (this.#pending.length === 0) return undefined;
    let rest = this.#pending;
    if (rest[rest.length - 1] === CR) rest = rest.subarray(0, -1);
    this.#pending = new Uint8Array(0);
    if (rest.length > this.#maxLength && this.#drop) {
      this.#dropped++;
      return undefined;
    }
    return rest;
  }

  #emit(lines: Uint8Array[], line: Uint8Array): void {
    if (line.length === 0) {
      lines.push(new Uint8Array(0));
      return;
    }
    for (let i = 0; i < line.length; i += this.#maxLength) {
      lines.push(line.slice(i, i + this.#maxLength));
    }
  }
}

/**
 * Translates lone LF to CRLF across chunk boundaries (`--crlf`).
 *
 * @example Translating
 * ```ts
 * import { CrlfEncoder } from "./lines.ts";
 * new CrlfEncoder().encode(new TextEncoder().encode("a\nb\r\n")); // "a\r\nb\r\n"
 * ```
 */
export class CrlfEncoder {
  #lastWasCr = false;

  /** Returns the chunk with every LF not already preceded by CR turned into CRLF. */
  encode(chunk: Uint8Array): Uint8Array {
    const startedAfterCr = this.#lastWasCr;
    let extra = 0;
    let before = startedAfterCr;
    for (const byte of chunk) {
      if (byte === LF && !before) extra++;
      before = byte === CR;
    }
    if (chunk.length > 0) this.#lastWasCr = before;
    if (extra === 0) return chunk;
    const result = new Uint8Array(chunk.length + extra);
    let j = 0;
    before = startedAfterCr;
    for (const byte of chunk) {
      if (byte === LF && !before) result[j++] = CR;
      result[j++] = byte;
      before = byte === CR;
    }
    return result;
  }
}
