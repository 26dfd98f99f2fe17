/**
 * Writes a response body straight from the buffers it was read into: two
 * read buffers alternate, the body bytes of one read go out as one write
 * while the next read fills the other buffer, and a buffer is read into
 * again only once its write is done (while a write is going, a short read
 * is followed in the same buffer, after it). No batch copy: at loopback speeds a
 * copy of every byte into a large batch, and writes of megabytes that hold
 * the socket unread meanwhile, cost more than a write per read.
 *
 * @module
 */

/** The buffers, the writes in flight and the body bytes of the current read. */
export class BodyWriter {
  /** Where body bytes go (in order, each call awaited before its bytes are reused); none: dropped. */
  sink: ((data: Uint8Array) => Promise<void>) | undefined;
  readonly #buffers: [Uint8Array, Uint8Array];
  /** The last write of each buffer's bytes. */
  readonly #writes: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  #slot = 0;
  /** Body bytes of the current read gathered at the buffer's front: [start, end) not yet queued. */
  #start = 0;
  #end = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Writes queued and not finished. */
  #busy = 0;
  /** The current read continues the current buffer (see {@linkcode next}). */
  #gathering = false;

  /** @param size bytes per read buffer */
  constructor(size: number) {
    this.#buffers = [new Uint8Array(size), new Uint8Array(size)];
  }

  /**
   * The buffer to read into next, once the write of what was last read into
   * it is done.
   *
   * @throws what a write threw
   */
  async next(): Promise<Uint8Array> {
    const buffer = this.#buffers[this.#slot]!;
    // While a write is still going, a read that left room (a quarter of the buffer) is
    // followed in the same buffer: small reads (a chunked body's pieces) make one write, not
    // one each. Once the writes are done, what was gathered goes out at once, whether or not
    // more arrives (a slow stream's bytes are never held back for the next read).
    if (
      this.sink && this.#busy > 0 && this.#end > this.#start &&
      buffer.length - this.#end >= buffer.length / 4
    ) {
      this.#gathering = true;
      return buffer.subarray(this.#end);
    }
    this.#gathering = false;
    this.#queueGathered();
    this.#slot ^= 1;
    this.#start = this.#end = 0;
    await this.#writes[this.#slot];
    return this.#buffers[this.#slot]!;
  }

  /**
   * Takes body bytes of the current read: a view into the buffer last
   * returned by {@linkcode next} is moved (within that buffer) to follow
   * the body bytes before it, so one read's body is one write; other bytes
   * are copied.
   */
  add(data: Uint8Array): void {
    if (!this.sink || data.length === 0) return;
    const buffer = this.#buffers[this.#slot]!;
    const offset = data.byteOffset - buffer.byteOffset;
    const inside = data.buffer === buffer.buffer && offset >= this.#end &&
      offset + data.length <= buffer.length;
    if (!inside) {
      this.#queueGathered();
      this.#queue(data.slice());
      return;
    }
    // Body views of one read come in order, each after the last, so moving one down never
    // overwrites bytes still to come.
    if (offset !== this.#end) buffer.copyWithin(this.#end, offset, offset + data.length);
    this.#end += data.length;
  }

  /**
   * Queues bytes that are not body bytes of a read (the header for `-i`),
   * after everything taken so far.
   */
  addCopy(data: Uint8Array): void {
    if (!this.sink) return;
    this.#queueGathered();
    this.#queue(data.slice());
  }

  /**
   * Writes everything taken and waits for every write.
   *
   * @throws what a write threw
   */
  async flush(): Promise<void> {
    this.#gathering = false;
    this.#queueGathered();
    await this.#chain;
  }

  #queueGathered(): void {
    if (this.#end === this.#start) return;
    const bytes = this.#buffers[this.#slot]!.subarray(this.#start, this.#end);
    this.#start = this.#end;
    this.#writes[this.#slot] = this.#queue(bytes);
  }

  #queue(bytes: Uint8Array): Promise<void> {
    const sink = this.sink!;
    this.#busy++;
    this.#chain = this.#chain.then(() => sink(bytes)).finally(() => {
      if (--this.#busy === 0 && this.#gathering) this.#queueGathered();
    });
    this.#chain.catch(() => {}); // awaited by next() or flush()
    return this.#chain;
  }
}
