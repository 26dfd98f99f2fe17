/**
 * A read buffer that starts small and doubles when reads fill it: idle
 * connections cost little memory, bulk transfers get 256 KiB reads.
 *
 * @module
 */

/** Options for {@linkcode AdaptiveBuffer}. */
export interface AdaptiveBufferOptions {
  /** @default {4096} */
  initial?: number;
  /** @default {262144} */
  max?: number;
}

/** A reusable read buffer that grows while reads keep filling it. */
export class AdaptiveBuffer {
  #buffer: Uint8Array;
  #max: number;

  constructor(options: AdaptiveBufferOptions = {}) {
    const { initial = 4096, max = 256 * 1024 } = options;
    this.#buffer = new Uint8Array(initial);
    this.#max = max;
  }

  /** The buffer to read into next. */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  /**
   * Records a read of `n` bytes and returns them; the view is valid until
   * the next read (the buffer may be replaced by a larger one).
   */
  filled(n: number): Uint8Array {
    const view = this.#buffer.subarray(0, n);
    if (n === this.#buffer.length && n < this.#max) {
      this.#buffer = new Uint8Array(Math.min(this.#max, n * 2));
    }
    return view;
  }
}

/** Something with a `write` that may write part of its input, like `Deno.Conn`. */
export interface PartialWriter {
  write(p: Uint8Array): Promise<number>;
}

/** Writes every byte of `data` (repeating partial writes). */
export async function writeAll(writer: PartialWriter, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await writer.write(data.subarray(done));
}

/** Joins byte chunks into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const result = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    result.set(c, offset);
    offset += c.length;
  }
  return result;
}
