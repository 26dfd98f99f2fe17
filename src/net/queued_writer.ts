/**
 * A bounded outgoing queue for one connection: writes never block the
 * caller, queued chunks are coalesced into one write while the previous
 * one is in flight, and a peer that stops reading is detected once the
 * queue is full instead of stalling everyone who sends to it. How long bytes
 * have waited without any going out tells a slow reader (some progress)
 * from one that has stopped.
 *
 * @module
 */

import { concatBytes, type PartialWriter } from "./buffer.ts";

/** Options for {@linkcode QueuedWriter}. */
export interface QueuedWriterOptions {
  /** Most bytes waiting to be sent. @default {1048576} */
  limit?: number;
  /** Told every change of the queued byte count, as (before, after). */
  onChange?: (before: number, after: number) => void;
  /** The clock of {@linkcode QueuedWriter.stalledFor}, in ms. @default {performance.now} */
  now?: () => number;
}

/** Queues writes to one connection, in order, up to a byte limit. */
export class QueuedWriter {
  #writer: PartialWriter;
  #limit: number;
  #pending: Uint8Array[] = [];
  #queued = 0;
  #pump: Promise<void> | undefined;
  #error: unknown = undefined;
  #onChange: (before: number, after: number) => void;
  #now: () => number;
  /** When bytes last went out, or the queue last went from empty to waiting. */
  #progressAt: number;

  constructor(writer: PartialWriter, options: QueuedWriterOptions = {}) {
    const { limit = 1024 * 1024, onChange = () => {}, now = () => performance.now() } = options;
    this.#writer = writer;
    this.#limit = limit;
    this.#onChange = onChange;
    this.#now = now;
    this.#progressAt = now();
  }

  /** Bytes queued and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * How long bytes have been waiting with none going out, in ms: 0 when
   * nothing is queued. A peer that reads, however slowly, keeps this small.
   */
  stalledFor(now: number = this.#now()): number {
    return this.#queued === 0 ? 0 : Math.max(0, now - this.#progressAt);
  }

  /** The error a write failed with, if one did (later writes are refused). */
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
    if (this.#queued === 0) this.#progressAt = this.#now();
    this.#pending.push(bytes);
    this.#setQueued(this.#queued + bytes.length);
    this.#pump ??= this.#run();
    return true;
  }

  /** Resolves once everything queued so far has been written (or a write failed). */
  async drain(): Promise<void> {
    while (this.#pump) await this.#pump;
  }

  #setQueued(after: number): void {
    const before = this.#queued;
    this.#queued = after;
    this.#onChange(before, after);
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const chunks = this.#pending;
        this.#pending = [];
        const data = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
        try {
          for (let done = 0; done < data.length;) {
            done += await this.#writer.write(data.subarray(done));
            this.#progressAt = this.#now();
          }
        } catch (err) {
          this.#error = err;
          this.#pending = [];
          this.#setQueued(0);
          return;
        }
        this.#setQueued(this.#queued - data.length);
      }
    } finally {
      this.#pump = undefined;
    }
  }
}
