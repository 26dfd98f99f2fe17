/**
 * Batches many small writes into few large ones: bytes are copied into a
 * buffer and written when it fills (a copy costs far less than a write
 * call). Two buffers alternate, so one fills while the other is written;
 * writes stay in order and a failure surfaces on the next call.
 *
 * @module
 */

/** Options for {@linkcode BatchWriter}. */
export interface BatchWriterOptions {
  /** Bytes per write. @default {1048576} */
  size?: number;
}

/** Copies bytes into batches and hands each full batch to `sink`, in order. */
export class BatchWriter {
  #sink: (data: Uint8Array) => Promise<void>;
  #buffers: [Uint8Array, Uint8Array];
  #busy: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  #current = 0;
  #length = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(sink: (data: Uint8Array) => Promise<void>, options: BatchWriterOptions = {}) {
    const { size = 1024 * 1024 } = options;
    this.#sink = sink;
    this.#buffers = [new Uint8Array(size), new Uint8Array(size)];
  }

  /** Copies `data` in (the caller may reuse it at once); waits only when both buffers are busy. */
  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const buffer = this.#buffers[this.#current]!;
      const take = Math.min(buffer.length - this.#length, data.length - offset);
      buffer.set(data.subarray(offset, offset + take), this.#length);
      this.#length += take;
      offset += take;
      if (this.#length === buffer.length) await this.#hand();
    }
  }

  /** Writes what is buffered and waits for every write. */
  async flush(): Promise<void> {
    if (this.#length > 0) await this.#hand();
    await this.#chain;
  }

  /** Queues the current buffer and switches to the other, once its last write is done. */
  async #hand(): Promise<void> {
    const index = this.#current;
    const data = this.#buffers[index]!.subarray(0, this.#length);
    this.#chain = this.#chain.then(() => this.#sink(data));
    this.#chain.catch(() => {}); // awaited by the next hand-off or flush
    this.#busy[index] = this.#chain;
    this.#current = index ^ 1;
    this.#length = 0;
    await this.#busy[this.#current];
  }
}
