/**
 * The data streams of a test, for both ends: TCP blocks written and read as
 * fast as the socket takes them (or paced to `-b`), UDP datagrams carrying
 * iperf3's header, paced to `-b`. Each stream counts its bytes; a shared
 * budget stops the senders of an `-n` test.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { type UdpFigures, UdpReceiver, writeHeader } from "./udp_stats.ts";

/** Bytes still to send across a test's senders (`-n`), or unlimited. */
export class Budget {
  #left: number;
  constructor(total: number) {
    this.#left = total > 0 ? total : Number.POSITIVE_INFINITY;
  }
  /** Takes up to `n` bytes; 0 when the budget is spent. */
  take(n: number): number {
    const granted = Math.min(n, this.#left);
    this.#left -= granted;
    return granted;
  }
  /** True when nothing is left. */
  get spent(): boolean {
    return this.#left <= 0;
  }
}

/** One stream's counters, read by the reporters. */
export class StreamCounters {
  readonly id: number;
  /** True when this end sends on the stream. */
  readonly sending: boolean;
  bytes = 0;
  /** UDP datagrams sent. */
  packets = 0;
  /** UDP receiving side. */
  readonly udp: UdpReceiver | undefined;
  /** Seconds since the test started when this stream stopped counting. */
  endTime = 0;

  constructor(id: number, sending: boolean, udp: boolean) {
    this.id = id;
    this.sending = sending;
    this.udp = udp && !sending ? new UdpReceiver() : undefined;
  }

  /** The UDP receiver's figures, when this is a receiving UDP stream. */
  udpFigures(): UdpFigures | undefined {
    return this.udp?.figures();
  }
}

/** What a sender needs to know. */
export interface SendOptions {
  len: number;
  /** Bits per second for this stream; 0 is unlimited. */
  bandwidth: number;
  budget: Budget;
  /** True once the test is stopping. */
  stopped: () => boolean;
}

/** A block of pseudo-random bytes (so compression on the path does not flatter the figures). */
export function payload(len: number): Uint8Array {
  const block = new Uint8Array(len);
  let x = 0x2545f491;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block[i] = x & 0xff;
  }
  return block;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets timers and other sockets run: a socket write or read that completes at
 * once resolves without returning to the event loop, so a bulk loop yields
 * every few milliseconds (the control connection must still be heard). It
 * yields with `setImmediate` (a few µs), not `setTimeout(0)` (a few ms).
 */
class Yielder {
  #last = performance.now();
  async maybe(): Promise<void> {
    const now = performance.now();
    if (now - this.#last < 2) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#last = performance.now();
  }
}

/** How long to wait before sending more so that `bytes` since `started` stays within `bandwidth`. */
function paceDelay(bytes: number, started: number, bandwidth: number): number {
  if (bandwidth <= 0) return 0;
  const due = (bytes * 8 / bandwidth) * 1000;
  const ahead = due - (performance.now() - started);
  return ahead > 1 ? ahead : 0;
}

/** Writes blocks on a TCP stream until stopped or the budget is spent; errors end it quietly. */
export async function sendTcp(
  conn: Deno.Conn,
  counters: StreamCounters,
  options: SendOptions,
): Promise<void> {
  const { len, bandwidth, budget, stopped } = options;
  const block = payload(len);
  const started = performance.now();
  const yielder = new Yielder();
  try {
    while (!stopped()) {
      await yielder.maybe();
      const n = budget.take(len);
      if (n === 0) break;
      const chunk = n === len ? block : block.subarray(0, n);
      let done = 0;
      while (done < chunk.length) done += await conn.write(chunk.subarray(done));
      counters.bytes += n;
      const wait = paceDelay(counters.bytes, started, bandwidth);
      if (wait > 0) await pause(wait);
    }
  } catch {
    // The peer closed the stream: the control connection says why.
  }
}

/** Reads a TCP stream to its end, counting bytes while `counting()` holds. */
export async function receiveTcp(
  conn: Deno.Conn,
  counters: StreamCounters,
  counting: () => boolean,
  onBytes?: (n: number) => void,
): Promise<void> {
  const buffer = new Uint8Array(256 * 1024);
  const yielder = new Yielder();
  try {
    for (;;) {
      await yielder.maybe();
      const n = await conn.read(buffer);
      if (n === null) break;
      if (counting()) {
        counters.bytes += n;
        onBytes?.(n);
      }
    }
  } catch {
    // Reset or closed by us at the end of the test.
  }
}

/** A clock for UDP timestamps: seconds and microseconds since the epoch. */
export function udpClock(): { sec: number; usec: number } {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return { sec: Math.floor(micros / 1e6) % 2 ** 32, usec: micros % 1e6 };
}

/** Arrival time in seconds on the same clock as {@linkcode udpClock}. */
export function udpArrival(): number {
  return (performance.timeOrigin + performance.now()) / 1000 % 2 ** 32;
}

/** Sends paced UDP datagrams through `send` until stopped or the budget is spent. */
export async function sendUdp(
  send: (datagram: Uint8Array) => Promise<unknown>,
  counters: StreamCounters,
  options: SendOptions & { counters64: boolean },
): Promise<void> {
  const { len, bandwidth, budget, stopped, counters64 } = options;
  const datagram = payload(len);
  const started = performance.now();
  let seq = 0;
  const yielder = new Yielder();
  try {
    while (!stopped()) {
      await yielder.maybe();
      // A burst between pacing checks: at most 1 ms worth, at least one datagram.
      const wait = paceDelay(counters.bytes, started, bandwidth);
      if (wait > 0) {
        await pause(wait);
        continue;
      }
      for (let i = 0; i < 64 && !stopped(); i++) {
        if (budget.take(len) === 0) return;
        seq++;
        const { sec, usec } = udpClock();
        writeHeader(datagram, { sec, usec, seq }, counters64);
        await send(datagram);
        counters.bytes += len;
        counters.packets++;
        if (bandwidth > 0 && paceDelay(counters.bytes, started, bandwidth) > 0) break;
      }
    }
  } catch {
    // Socket closed at the end of the test, or the peer went away (ICMP).
  }
}
