/**
 * iperf3's UDP datagram header and the receiver's figures: RFC 3550
 * interarrival jitter, loss and out-of-order packets counted separately,
 * duplicates ignored. Pure: arrival times are passed in.
 *
 * @module
 */

/** Header length: seconds, microseconds and a 32-bit sequence number. */
export const HEADER_32 = 12;
/** Header length with `--udp-counters-64bit`: a 64-bit sequence number. */
export const HEADER_64 = 16;

/** A datagram header's fields. */
export interface UdpHeader {
  /** Send time, whole seconds. */
  sec: number;
  /** Send time, microseconds within the second. */
  usec: number;
  /** Sequence number, from 1. */
  seq: number;
}

/**
 * Writes the header at the start of `datagram` (which must hold it).
 *
 * @example
 * ```ts
 * import { readHeader, writeHeader } from "./udp_stats.ts";
 * const d = new Uint8Array(100);
 * writeHeader(d, { sec: 1, usec: 2, seq: 3 }, false);
 * readHeader(d, false); // { sec: 1, usec: 2, seq: 3 }
 * ```
 */
export function writeHeader(datagram: Uint8Array, header: UdpHeader, counters64: boolean): void {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  view.setUint32(0, header.sec >>> 0);
  view.setUint32(4, header.usec >>> 0);
  if (counters64) view.setBigUint64(8, BigInt(header.seq));
  else view.setUint32(8, header.seq >>> 0);
}

/** Reads a header, or undefined when the datagram is too short to hold one. */
export function readHeader(datagram: Uint8Array, counters64: boolean): UdpHeader | undefined {
  if (datagram.length < (counters64 ? HEADER_64 : HEADER_32)) return undefined;
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const seq = counters64 ? Number(view.getBigUint64(8)) : view.getUint32(8);
  return { sec: view.getUint32(0), usec: view.getUint32(4), seq };
}

/**
 * Sequence numbers remembered behind the highest one seen: a datagram later
 * than this is counted as out of order without a duplicate check.
 */
const WINDOW = 1 << 16;

/** A snapshot of a receiver's counters. */
export interface UdpFigures {
  /** Distinct datagrams received. */
  received: number;
  /** Datagrams expected so far: the highest sequence number seen. */
  expected: number;
  /** Datagrams missing (sent, per the sequence numbers, and not received). */
  lost: number;
  /** Datagrams that arrived after a later one (not counted as lost). */
  outOfOrder: number;
  /** Datagrams seen twice (ignored). */
  duplicates: number;
  /** RFC 3550 jitter estimate now, in seconds. */
  jitter: number;
  /** Mean of the jitter estimate over every datagram so far, in seconds. */
  jitterSum: number;
  /** Datagrams that contributed to `jitterSum`. */
  jitterSamples: number;
}

/**
 * Counts what arrives on one UDP stream.
 *
 * @example A reordered pair is out of order, not lost
 * ```ts
 * import { UdpReceiver } from "./udp_stats.ts";
 * const r = new UdpReceiver();
 * for (const seq of [1, 3, 2, 4]) r.receive({ sec: 0, usec: seq, seq }, seq / 1e6);
 * r.figures().lost; // 0
 * r.figures().outOfOrder; // 1
 * ```
 */
export class UdpReceiver {
  #highest = 0;
  #received = 0;
  #outOfOrder = 0;
  #duplicates = 0;
  /** Bit `seq % WINDOW` is set when `seq` (within WINDOW of the highest) arrived. */
  #seen = new Uint32Array(WINDOW / 32);
  #jitter = 0;
  #jitterSum = 0;
  #jitterSamples = 0;
  #lastTransit: number | undefined;

  #bit(seq: number): [word: number, mask: number] {
    const slot = seq % WINDOW;
    return [slot >>> 5, 1 << (slot & 31)];
  }

  /**
   * One datagram arrived.
   *
   * @param header its header
   * @param arrival the arrival time in seconds, on a clock whose offset from the sender's does not matter
   */
  receive(header: UdpHeader, arrival: number): void {
    const { seq } = header;
    if (seq <= 0) return;
    if (seq > this.#highest) {
      // Forget the slots the window moves past (all of them after a long jump).
      if (seq - this.#highest >= WINDOW) this.#seen.fill(0);
      else {
        for (let s = this.#highest + 1; s < seq; s++) {
          const [word, mask] = this.#bit(s);
          this.#seen[word]! &= ~mask;
        }
      }
      const [word, mask] = this.#bit(seq);
      this.#seen[word]! |= mask;
      this.#highest = seq;
    } else if (this.#highest - seq >= WINDOW) {
      this.#outOfOrder++; // too late to tell a duplicate: counted as late
    } else {
      const [word, mask] = this.#bit(seq);
      if (this.#seen[word]! & mask) {
        this.#duplicates++;
        return;
      }
      this.#seen[word]! |= mask;
      this.#outOfOrder++;
    }
    this.#received++;
    const transit = arrival - (header.sec + header.usec / 1e6);
    if (this.#lastTransit !== undefined) {
      const d = Math.abs(transit - this.#lastTransit);
      this.#jitter += (d - this.#jitter) / 16;
      this.#jitterSum += this.#jitter;
      this.#jitterSamples++;
    }
    this.#lastTransit = transit;
  }

  /** The counters now. */
  figures(): UdpFigures {
    return {
      received: this.#received,
      expected: this.#highest,
      lost: Math.max(0, this.#highest - this.#received),
      outOfOrder: this.#outOfOrder,
      duplicates: this.#duplicates,
      jitter: this.#jitter,
      jitterSum: this.#jitterSum,
      jitterSamples: this.#jitterSamples,
    };
  }
}

/** The figures of the span between two snapshots (an interval), or of one snapshot from the start. */
export interface UdpSpan {
  received: number;
  expected: number;
  lost: number;
  outOfOrder: number;
  /** Mean RFC 3550 jitter over the span's datagrams, in seconds (0 without any). */
  jitter: number;
}

/** The span from `before` (or the start) to `after`. */
export function udpSpan(after: UdpFigures, before?: UdpFigures): UdpSpan {
  const samples = after.jitterSamples - (before?.jitterSamples ?? 0);
  const sum = after.jitterSum - (before?.jitterSum ?? 0);
  return {
    received: after.received - (before?.received ?? 0),
    expected: after.expected - (before?.expected ?? 0),
    lost: Math.max(0, after.lost - (before?.lost ?? 0)),
    outOfOrder: after.outOfOrder - (before?.outOfOrder ?? 0),
    jitter: samples > 0 ? sum / samples : (before === undefined ? 0 : after.jitter),
  };
}
