/**
 * TFTP transfers as sans-I/O state machines: fed packets and timer ticks,
 * they return actions (packets to send, data to write, timers to arm, done
 * or failed). Windows (RFC 7440), block numbers that wrap past 65535 to 0
 * (as tftp-hpa and curl do), retransmission only on timeout — never on a
 * duplicate ACK (the Sorcerer's Apprentice bug) — with exponential back-off
 * and a bounded number of retries.
 *
 * @module
 */

import type { Negotiated, Packet } from "./packet.ts";
import { errorText, TftpError } from "./packet.ts";

/** What the endpoint must do. */
export type Action =
  | { type: "send"; packet: Packet }
  /** Received data, in order; `last` marks the final block (written before its ACK goes out). */
  | { type: "write"; data: Uint8Array; last: boolean }
  | { type: "timer"; ms: number }
  | { type: "done" }
  | { type: "fail"; message: string };

/** Options shared by both sessions. */
export interface SessionOptions {
  params: Negotiated;
  /** Retransmissions before giving up. @default {5} */
  maxRetries?: number;
}

/** The upper bound of the exponential back-off, in ms. */
export const MAX_TIMEOUT_MS = 8000;

/** The wire number of absolute block index `i` (0 = the first DATA, numbered 1). */
export function wireBlock(index: number): number {
  return (index + 1) % 65536;
}

/**
 * Ends a transfer: an ERROR with `code` and `message` to the peer, then
 * failure with `failure` (for the local user; the message by default).
 */
export function abort(code: number, message: string, failure = message): Action[] {
  return [
    { type: "send", packet: { op: "ERROR", code, message } },
    { type: "fail", message: failure },
  ];
}

class Backoff {
  #base: number;
  #retries = 0;
  #limit: number;
  constructor(params: Negotiated, maxRetries: number) {
    this.#base = params.timeout * 1000;
    this.#limit = maxRetries;
  }
  /** The delay to arm now. */
  get ms(): number {
    return Math.min(MAX_TIMEOUT_MS, this.#base * 2 ** this.#retries);
  }
  /** Progress was made: back to the base delay. */
  reset(): void {
    this.#retries = 0;
  }
  /** A timeout fired: false once the retries are used up. */
  retry(): boolean {
    this.#retries++;
    return this.#retries <= this.#limit;
  }
}

/**
 * Sends a file: DATA in windows of `windowsize` blocks. `block(i)` returns
 * block `i`'s bytes; the first block shorter than blksize (possibly empty)
 * is the last, so the sender needs no size up front (a netascii stream
 * has none). Blocks are asked for again on retransmission.
 */
export class SendSession {
  readonly #blksize: number;
  readonly #windowsize: number;
  readonly #block: (index: number) => Uint8Array;
  readonly #backoff: Backoff;
  /** First block not yet acknowledged. */
  #base = 0;
  /** The index of the final (short) block, once read. */
  #last = Infinity;
  #finished = false;
  /** An OACK to (re)send first, answered by ACK 0. */
  #oack: Packet | undefined;

  /**
   * @param block reads block `index` (synchronously, so a window goes out back to back)
   */
  constructor(
    block: (index: number) => Uint8Array,
    options: SessionOptions & { oack?: Packet },
  ) {
    const { params, maxRetries = 5, oack } = options;
    this.#blksize = params.blksize;
    this.#windowsize = params.windowsize;
    this.#block = block;
    this.#backoff = new Backoff(params, maxRetries);
    this.#oack = oack;
  }

  /** Blocks acknowledged so far. */
  get acknowledged(): number {
    return this.#base;
  }

  /** The first block after the window in flight: the one a reader may fetch ahead. */
  get upcoming(): number {
    return Math.min(this.#last + 1, this.#base + this.#windowsize);
  }

  /** Block indices of the window in flight (empty while an OACK is unanswered). */
  window(): number[] {
    if (this.#oack) return [];
    const end = Math.min(this.#last + 1, this.#base + this.#windowsize);
    return Array.from({ length: end - this.#base }, (_, i) => this.#base + i);
  }

  /** Starts: the OACK, or the first window. */
  start(): Action[] {
    return this.#sendWindow();
  }

  #sendWindow(): Action[] {
    const actions: Action[] = [];
    if (this.#oack) {
      actions.push({ type: "send", packet: this.#oack });
    } else {
      const end = this.#base + this.#windowsize;
      for (let index = this.#base; index < end && index <= this.#last; index++) {
        const data = this.#block(index);
        if (data.length > this.#blksize) throw new RangeError(`block ${index} is over blksize`);
        if (data.length < this.#blksize) this.#last = index;
        actions.push({ type: "send", packet: { op: "DATA", block: wireBlock(index), data } });
      }
    }
    actions.push({ type: "timer", ms: this.#backoff.ms });
    return actions;
  }

  /** A packet from the peer's transfer ID. */
  receive(packet: Packet): Action[] {
    if (this.#finished) return [];
    if (packet.op === "ERROR") {
      this.#finished = true;
      return [{
        type: "fail",
        message: `the peer stopped: ${errorText(packet.code, packet.message)}`,
      }];
    }
    if (packet.op !== "ACK") return this.#illegal(`unexpected ${packet.op}`);
    if (this.#oack) {
      if (packet.block !== 0) return []; // not the answer to the OACK
      this.#oack = undefined;
      this.#backoff.reset();
      return this.#sendWindow();
    }
    // Which block of the window does this ACK name? Older or foreign ACKs are
    // ignored: a duplicate ACK never triggers a retransmission.
    const inWindow = this.window().findIndex((index) => wireBlock(index) === packet.block);
    if (inWindow < 0) return [];
    this.#base += inWindow + 1;
    this.#backoff.reset();
    if (this.#base > this.#last) {
      this.#finished = true;
      return [{ type: "done" }];
    }
    return this.#sendWindow();
  }

  /** The retransmission timer fired: resend the window (or give up). */
  tick(): Action[] {
    if (this.#finished) return [];
    if (!this.#backoff.retry()) {
      this.#finished = true;
      return timedOut("no answer from the peer: gave up after retries");
    }
    return this.#sendWindow();
  }

  #illegal(message: string): Action[] {
    this.#finished = true;
    return abort(TftpError.illegalOperation, message);
  }
}

/**
 * Receives a file: DATA in order, an ACK at the end of each window (or of
 * the transfer), and on a gap or a duplicate an ACK for the last block
 * received in order, so the sender resumes from there.
 */
export class ReceiveSession {
  readonly #blksize: number;
  readonly #windowsize: number;
  readonly #backoff: Backoff;
  /** Index of the next block expected. */
  #next = 0;
  #sinceAck = 0;
  #written = 0;
  #finished = false;
  /** What to resend on timeout before the first DATA (the RRQ, or ACK 0/OACK). */
  #opening: Packet | undefined;

  constructor(options: SessionOptions & { opening?: Packet }) {
    const { params, maxRetries = 5, opening } = options;
    this.#blksize = params.blksize;
    this.#windowsize = params.windowsize;
    this.#backoff = new Backoff(params, maxRetries);
    this.#opening = opening;
  }

  /** Bytes written so far. */
  get written(): number {
    return this.#written;
  }

  /** DATA blocks taken in order so far. */
  get blocks(): number {
    return this.#next;
  }

  /** Starts: sends the opening packet, if any, and arms the timer. */
  start(): Action[] {
    const actions: Action[] = [];
    if (this.#opening) actions.push({ type: "send", packet: this.#opening });
    actions.push({ type: "timer", ms: this.#backoff.ms });
    return actions;
  }

  #ack(): Packet {
    return { op: "ACK", block: this.#next === 0 ? 0 : wireBlock(this.#next - 1) };
  }

  /** A packet from the peer's transfer ID. */
  receive(packet: Packet): Action[] {
    if (this.#finished) {
      // The final ACK was lost: the sender repeats the last DATA; acknowledge it again.
      return packet.op === "DATA" ? [{ type: "send", packet: this.#ack() }] : [];
    }
    if (packet.op === "ERROR") {
      this.#finished = true;
      return [{
        type: "fail",
        message: `the peer stopped: ${errorText(packet.code, packet.message)}`,
      }];
    }
    if (packet.op !== "DATA") {
      this.#finished = true;
      return abort(TftpError.illegalOperation, `unexpected ${packet.op}`);
    }
    if (packet.data.length > this.#blksize) {
      this.#finished = true;
      const message = `DATA of ${packet.data.length} bytes is over blksize ${this.#blksize}`;
      return abort(TftpError.illegalOperation, message);
    }
    if (packet.block !== wireBlock(this.#next)) {
      // A gap (a block lost or reordered) or a duplicate: ACK what we have in order.
      return this.#next === 0 && this.#opening ? [] : [{ type: "send", packet: this.#ack() }];
    }
    this.#opening = undefined;
    // Every block in order is written, the empty last one too: it is what marks the end.
    const last = packet.data.length < this.#blksize;
    const actions: Action[] = [{ type: "write", data: packet.data, last }];
    this.#written += packet.data.length;
    this.#next++;
    this.#sinceAck++;
    this.#backoff.reset();
    if (last || this.#sinceAck >= this.#windowsize) {
      this.#sinceAck = 0;
      actions.push({ type: "send", packet: this.#ack() });
    }
    if (last) {
      this.#finished = true;
      actions.push({ type: "done" });
    } else {
      actions.push({ type: "timer", ms: this.#backoff.ms });
    }
    return actions;
  }

  /** The timer fired: resend the opening packet or the last ACK (or give up). */
  tick(): Action[] {
    if (this.#finished) return [];
    if (!this.#backoff.retry()) {
      this.#finished = true;
      return timedOut("no data from the peer: gave up after retries");
    }
    const packet = this.#opening ?? this.#ack();
    return [{ type: "send", packet }, { type: "timer", ms: this.#backoff.ms }];
  }
}

/** Gives up after the last retry: ERROR 0 "timed out" to the peer, `detail` locally. */
function timedOut(detail: string): Action[] {
  return abort(TftpError.notDefined, "timed out", detail);
}
