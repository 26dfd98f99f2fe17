/**
 * netascii (RFC 764 as used by TFTP): on the wire a line ends in CR LF and a
 * lone CR is CR NUL. The encoder and decoder keep state across blocks, since
 * a pair may be split between two packets. Pure.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/** Local text → netascii: LF → CR LF, CR → CR NUL. */
export class NetasciiEncoder {
  /** Encodes a chunk. */
  encode(chunk: Uint8Array): Uint8Array {
    let extra = 0;
    for (const b of chunk) if (b === LF || b === CR) extra++;
    if (extra === 0) return chunk;
    const out = new Uint8Array(chunk.length + extra);
    let j = 0;
    for (const b of chunk) {
      if (b === LF) {
        out[j++] = CR;
        out[j++] = LF;
      } else if (b === CR) {
        out[j++] = CR;
        out[j++] = NUL;
      } else {
        out[j++] = b;
      }
    }
    return out;
  }
}

/** netascii → local text: CR LF → LF, CR NUL → CR (a pair may span chunks). */
export class NetasciiDecoder {
  #pendingCr = false;

  /** Decodes a chunk. */
  decode(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length + 1);
    let j = 0;
    for (const b of chunk) {
      if (this.#pendingCr) {
        this.#pendingCr = false;
        if (b === LF) out[j++] = LF;
        else if (b === NUL) out[j++] = CR;
        else {
          out[j++] = CR; // a bare CR, kept as it came
          if (b === CR) this.#pendingCr = true;
          else out[j++] = b;
        }
      } else if (b === CR) {
        this.#pendingCr = true;
      } else {
        out[j++] = b;
      }
    }
    return out.subarray(0, j);
  }

  /** At the end of the transfer: a trailing bare CR is kept. */
  flush(): Uint8Array {
    if (!this.#pendingCr) return new Uint8Array(0);
    this.#pendingCr = false;
    return new Uint8Array([CR]);
  }
}
