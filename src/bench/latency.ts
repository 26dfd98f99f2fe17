/**
 * `--latency`: round-trip probes on a side channel. The client sends small
 * UDP probes to the server's port from a socket of their own (never queued
 * behind the test's data); a sockit server sends each one straight back.
 * Stock iperf3 does not answer them, and the client then says so.
 *
 * @module
 */

/** A probe: "SKLT", a sequence number and the send time (ms, float64). */
export const PROBE_LENGTH = 16;
const MAGIC = [0x53, 0x4b, 0x4c, 0x54]; // "SKLT"

/** Encodes a probe. */
export function encodeProbe(seq: number, sentMs: number): Uint8Array {
  const bytes = new Uint8Array(PROBE_LENGTH);
  bytes.set(MAGIC);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, seq >>> 0);
  view.setFloat64(8, sentMs);
  return bytes;
}

/** Decodes a probe, or undefined for anything else. */
export function parseProbe(bytes: Uint8Array): { seq: number; sentMs: number } | undefined {
  if (bytes.length !== PROBE_LENGTH) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { seq: view.getUint32(4), sentMs: view.getFloat64(8) };
}

/** Round-trip figures in milliseconds. */
export interface RttFigures {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Percentiles of round-trip times (nearest rank), or undefined without samples.
 *
 * @example
 * ```ts
 * import { rttFigures } from "./latency.ts";
 * rttFigures([3, 1, 2]); // { samples: 3, p50: 2, p99: 3, max: 3 }
 * ```
 */
export function rttFigures(rtts: readonly number[]): RttFigures | undefined {
  if (rtts.length === 0) return undefined;
  const sorted = [...rtts].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { samples: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted.at(-1)! };
}

/** The server side: answers probes that reach the bench port's UDP socket. */
export class LatencyResponder {
  #send: (data: Uint8Array, to: { hostname: string; port: number }) => Promise<void>;
  constructor(send: (data: Uint8Array, to: { hostname: string; port: number }) => Promise<void>) {
    this.#send = send;
  }
  /** Sends a probe back; false when the datagram is not a probe. */
  answer(datagram: Uint8Array, from: { hostname: string; port: number }): boolean {
    if (parseProbe(datagram) === undefined) return false;
    this.#send(datagram.slice(), from).catch(() => {});
    return true;
  }
}
