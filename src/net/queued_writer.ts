/**
 * A bounded outgoing queue for one connection: writes never block the
 * caller, and a peer that stops reading is detected once the queue is full
 * instead of stalling everyone who sends to it.
 *
 * @module
 */

import { type PartialWriter, writeAll } from "./buffer.ts";

/** Options for {@linkcode QueuedWriter}. */
export interface QueuedWriterOptions {
  /** Most bytes waiting to be sent. @default {1048576} */
  limit?: number;
}

/** Queues writes to one connection, in order, up to a byte limit. */
export class QueuedWriter {
  #writer: PartialWriter;
  #limit: number;
  #queued = 0;
  #chain: Promise<void> = Promise.resolve();
  #error: unknown = undefined;

  constructor(writer: PartialWriter, options: QueuedWriterOptions = {}) {
    const { limit = 1024 * 1024 } = options;
    this.#writer = writer;
    this.#limit = limit;
  }

  /** Bytes queued and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /** The error a write failed with, if one did (later writes are dropped). */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Queues `bytes` (the caller must not change them afterwards).
   *
   * @returns false, queuing nothing, when the queue would go over its limit or a write failed
   */
  write(bytes: Uint8Array): boolean {
    if (this.#error !== undefined || this.#queued + bytes.length > this.#limit) return false;
    this.#queued += bytes.length;
    this.#chain = this.#chain.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await writeAll(this.#writer, bytes);
      } catch (err) {
        this.#error = err;
      } finally {
        this.#queued -= bytes.length;
      }
    });
    return true;
  }

  /** Resolves once everything queued so far has been written (or failed). */
  drain(): Promise<void> {
    return this.#chain;
  }
}
