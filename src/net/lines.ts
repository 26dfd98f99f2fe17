/**
 * Line framing over a byte stream, and LF → CRLF translation. Pure.
 *
 * @module
 */

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** Lines longer than this are cut into pieces of this size. @default {8192} */
  maxLength?: number;
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
  #pending: Uint8Array = new Uint8Array(0);

  constructor(options: LineSplitterOptions = {}) {
    const { maxLength = 8192 } = options;
    if (!(maxLength >= 1)) throw new RangeError(`Cannot split lines: maxLength ${maxLength} < 1`);
    this.#maxLength = maxLength;
  }

  /** Bytes waiting for their line end. */
  get pending(): number {
    return this.#pending.length;
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
      this.#emit(lines, data.subarray(start, end > start && data[end - 1] === CR ? end - 1 : end));
      start = end + 1;
    }
    let rest = data.subarray(start);
    while (rest.length > this.#maxLength) {
      lines.push(rest.slice(0, this.#maxLength));
      rest = rest.subarray(this.#maxLength);
    }
    this.#pending = rest.slice();
    return lines;
  }

  /** The unterminated rest at end of stream (CR dropped), or undefined when there is none. */
  flush(): Uint8Array | undefined {
    if (this.#pending.length === 0) return undefined;
    let rest = this.#pending;
    if (rest[rest.length - 1] === CR) rest = rest.subarray(0, -1);
    this.#pending = new Uint8Array(0);
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
