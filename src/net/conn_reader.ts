/**
 * Buffered reading of a byte stream that mixes lines and exact-length
 * bodies (a header line, then N bytes): the shape of the file protocol on
 * both ends.
 *
 * @module
 */

/** Something with a `read` like `Deno.Conn`. */
export interface Readable {
  read(p: Uint8Array): Promise<number | null>;
}

/** A line was longer than allowed. */
export class LineTooLongError extends Error {
  constructor(max: number) {
    super(`line over ${max} bytes`);
    this.name = "LineTooLongError";
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** Reads lines and exact byte counts from one stream, with one internal buffer. */
export class ConnReader {
  #source: Readable;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  #eof = false;

  constructor(source: Readable, bufferSize = 256 * 1024) {
    this.#source = source;
    this.#buffer = new Uint8Array(bufferSize);
  }

  /** Bytes received and not yet taken (the start of the next line, say). */
  get buffered(): number {
    return this.#end - this.#start;
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) return true;
    const n = await this.#source.read(this.#buffer.subarray(this.#end));
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  /**
   * The next line without its line end (CR dropped), or null at end of
   * stream (an unterminated last line is returned as a line).
   *
   * @throws {LineTooLongError} when no LF comes within `max` bytes
   */
  async readLine(max: number): Promise<Uint8Array | null> {
    let scanned = 0;
    for (;;) {
      const at = this.#buffer.subarray(this.#start + scanned, this.#end).indexOf(LF);
      if (at >= 0) {
        const end = this.#start + scanned + at;
        let line = this.#buffer.slice(this.#start, end);
        this.#start = end + 1;
        if (line[line.length - 1] === CR) line = line.subarray(0, -1);
        if (line.length > max) throw new LineTooLongError(max);
        return line;
      }
      scanned = this.#end - this.#start;
      if (scanned > max + 1) throw new LineTooLongError(max);
      if (!(await this.#fill())) {
        if (this.#end === this.#start) return null;
        const line = this.#buffer.slice(this.#start, this.#end);
        this.#start = this.#end;
        if (line.length > max) throw new LineTooLongError(max);
        return line;
      }
    }
  }

  /**
   * Passes exactly `length` bytes to `sink` in chunks (views valid during
   * the call), and returns how many arrived before end of stream.
   */
  async readExact(
    length: number,
    sink: (chunk: Uint8Array) => Promise<void> | void,
  ): Promise<number> {
    let done = 0;
    while (done < length) {
      if (this.#start === this.#end && !(await this.#fill())) break;
      const take = Math.min(length - done, this.#end - this.#start);
      await sink(this.#buffer.subarray(this.#start, this.#start + take));
      this.#start += take;
      done += take;
    }
    return done;
  }
}
