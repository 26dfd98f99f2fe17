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

import type { PartialWriter } from "./buffer.ts";

/**
 * The most bytes of small chunks copied into one write. Each queue copies
 * them into a buffer of its own, reused for every write, instead of a new
 * array per write: under a busy room that garbage, not the queues, was most
 * of the relay's memory.
 */
const COALESCE_BYTES = 16 * 1024;

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
  /** The first chunk of #pending not yet taken for a write. */
  #head = 0;
  #coalesce: Uint8Array | undefined;
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

  /** The next write: a large chunk as it is, or small ones copied together. */
  #take(): Uint8Array {
    const pending = this.#pending;
    const first = pending[this.#head]!;
    if (this.#head + 1 === pending.length || first.length >= COALESCE_BYTES / 2) {
      this.#head++;
      return first;
    }
    const buffer = this.#coalesce ??= new Uint8Array(COALESCE_BYTES);
    let filled = 0;
    while (this.#head < pending.length) {
      const chunk = pending[this.#head]!;
      if (filled + chunk.length > buffer.length) break;
      buffer.set(chunk, filled);
      filled += chunk.length;
      this.#head++;
    }
    return buffer.subarray(0, filled);
  }

  async #run(): Promise<void> {
    try {
      while (this.#head < this.#pending.length) {
        const data = this.#take();
        if (this.#head === this.#pending.length) {
          this.#pending = [];
          this.#head = 0;
        } else if (this.#head >= 1024 && this.#head * 2 >= this.#pending.length) {
          this.#pending = this.#pending.slice(this.#head);
          this.#head = 0;
        }
        try {
          for (let done = 0; done < data.length;) {
            done += await this.#writer.write(data.subarray(done));
            this.#progressAt = this.#now();
          }
        } catch (err) {
          this.#error = err;
          this.#pending = [];
          this.#head = 0;
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
