/**
 * `--latency`: round-trip probes on a side channel. The client sends small
 * UDP probes from a socket of their own to the server's port; a sockit
 * server answers the first ones there, adding the port of a UDP socket kept
 * for probes alone, and the client sends the rest to that port, so that
 * probes never wait in a queue behind the test's data at either end. Stock
 * iperf3 does not answer them, and the client then says so.
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

/** A probe's answer from the server's main port: the probe and the probe port (16-bit). */
export function encodeProbeReply(probe: Uint8Array, probePort: number): Uint8Array {
  const bytes = new Uint8Array(PROBE_LENGTH + 2);
  bytes.set(probe.subarray(0, PROBE_LENGTH));
  new DataView(bytes.buffer).setUint16(PROBE_LENGTH, probePort);
  return bytes;
}

/** A decoded probe or probe answer. */
export interface Probe {
  seq: number;
  sentMs: number;
  /** The server's probe port, in an answer from its main port. */
  probePort?: number;
}

/** Decodes a probe (or an answer with the probe port), or undefined for anything else. */
export function parseProbe(bytes: Uint8Array): Probe | undefined {
  if (bytes.length !== PROBE_LENGTH && bytes.length !== PROBE_LENGTH + 2) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const probe: Probe = { seq: view.getUint32(4), sentMs: view.getFloat64(8) };
  if (bytes.length === PROBE_LENGTH + 2) probe.probePort = view.getUint16(PROBE_LENGTH);
  return probe;
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

/** Sends a datagram to a peer. */
export type ProbeSend = (data: Uint8Array, to: { hostname: string; port: number }) => Promise<void>;

/**
 * The server side. {@linkcode answerMain} handles probes that reach the bench
 * port (answered with the probe port added); {@linkcode answerProbe} those
 * that reach the probe port (sent straight back).
 */
export class LatencyResponder {
  #main: ProbeSend;
  #probe: ProbeSend;
  #probePort: number;
  constructor(options: { main: ProbeSend; probe: ProbeSend; probePort: number }) {
    this.#main = options.main;
    this.#probe = options.probe;
    this.#probePort = options.probePort;
  }
  /** A datagram on the bench port: answered when it is a probe (false otherwise). */
  answerMain(datagram: Uint8Array, from: { hostname: string; port: number }): boolean {
    if (datagram.length !== PROBE_LENGTH || parseProbe(datagram) === undefined) return false;
    this.#main(encodeProbeReply(datagram, this.#probePort), from).catch(() => {});
    return true;
  }
  /** A datagram on the probe port: a probe goes straight back. */
  answerProbe(datagram: Uint8Array, from: { hostname: string; port: number }): void {
    if (datagram.length !== PROBE_LENGTH || parseProbe(datagram) === undefined) return;
    this.#probe(datagram.slice(), from).catch(() => {});
  }
}
