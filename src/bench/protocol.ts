/**
 * The iperf3 control protocol's vocabulary: the one-byte states, the cookie
 * that names a test, the length-prefixed JSON frames, and the test
 * parameters a client sends and a server checks. Pure: no sockets, no clock.
 *
 * @module
 */

/** The one-byte messages of the control connection (signed bytes on the wire). */
export const State = {
  TEST_START: 1,
  TEST_RUNNING: 2,
  TEST_END: 4,
  PARAM_EXCHANGE: 9,
  CREATE_STREAMS: 10,
  SERVER_TERMINATE: 11,
  CLIENT_TERMINATE: 12,
  EXCHANGE_RESULTS: 13,
  DISPLAY_RESULTS: 14,
  IPERF_START: 15,
  IPERF_DONE: 16,
  ACCESS_DENIED: -1,
  SERVER_ERROR: -2,
} as const;

/** A state's name, for messages (`TEST_END`), or `state N` for an unknown byte. */
export function stateName(value: number): string {
  for (const [name, n] of Object.entries(State)) if (n === value) return name;
  return `state ${value}`;
}

/** The state as the byte that goes on the wire. */
export function stateByte(state: number): Uint8Array {
  return Uint8Array.of(state & 0xff);
}

/** A wire byte read back as a signed state. */
export function signedState(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}

/** Cookie length on the wire: 36 characters and a NUL. */
export const COOKIE_LENGTH = 37;

const COOKIE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * A fresh cookie: 36 characters of iperf3's alphabet (lower-case letters and
 * 2-7) and the terminating NUL, made from `random` (36 random bytes).
 *
 * @example
 * ```ts
 * import { makeCookie } from "./protocol.ts";
 * makeCookie(new Uint8Array(36)).length; // 37
 * ```
 */
export function makeCookie(random: Uint8Array): Uint8Array {
  if (random.length < 36) throw new RangeError("Cannot make a cookie: need 36 random bytes");
  const cookie = new Uint8Array(COOKIE_LENGTH);
  for (let i = 0; i < 36; i++) cookie[i] = COOKIE_ALPHABET.charCodeAt(random[i]! & 31);
  return cookie;
}

/** The cookie's 36 characters, or undefined when the bytes are not a cookie (wrong length, no NUL, not printable). */
export function cookieText(bytes: Uint8Array): string | undefined {
  if (bytes.length !== COOKIE_LENGTH || bytes[36] !== 0) return undefined;
  let text = "";
  for (let i = 0; i < 36; i++) {
    const b = bytes[i]!;
    if (b < 0x21 || b > 0x7e) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
}

/** Largest JSON frame accepted (parameters, results): iperf3's own results stay far below. */
export const MAX_JSON_FRAME = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A JSON value as iperf3 frames it: 4-byte big-endian length, then the text. */
export function encodeJsonFrame(value: unknown): Uint8Array {
  const text = encoder.encode(JSON.stringify(value));
  const frame = new Uint8Array(4 + text.length);
  new DataView(frame.buffer).setUint32(0, text.length);
  frame.set(text, 4);
  return frame;
}

/** An error in what the peer sent on the control connection. */
export class BenchProtocolError extends Error {
  /** iperf3's error number to send back in SERVER_ERROR, when there is one. */
  readonly code: number;
  constructor(message: string, code: number = IperfError.RECV_MESSAGE) {
    super(message);
    this.name = "BenchProtocolError";
    this.code = code;
  }
}

/** The iperf3 error numbers sockit sends in SERVER_ERROR (the client prints its own text for each). */
export const IperfError = {
  DURATION: 5,
  NUM_STREAMS: 6,
  BLOCK_SIZE: 7,
  UDP_BLOCK_SIZE: 20,
  END_CONDITIONS: 16,
  REVERSE_BIDIR: 25,
  RECV_COOKIE: 106,
  MESSAGE: 110,
  RECV_MESSAGE: 112,
  RECV_PARAMS: 114,
  RECV_RESULTS: 117,
  ACCESS_DENIED: 121,
  STREAM_CONNECT: 130,
} as const;

/** Parses a JSON frame's text into an object. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new BenchProtocolError(`Cannot parse ${what}: not JSON`, IperfError.RECV_PARAMS);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BenchProtocolError(`Cannot parse ${what}: not a JSON object`, IperfError.RECV_PARAMS);
  }
  return value as Record<string, unknown>;
}

/** Which way the data flows. */
export type Direction = "up" | "down" | "bidir";

/** A test as the client asked for it (the fields sockit reads from iperf3's parameters). */
export interface TestParams {
  protocol: "tcp" | "udp";
  /** Seconds; 0 with `bytes` set. */
  time: number;
  /** Total bytes to send (iperf3 `num`); 0 means by time. */
  bytes: number;
  /** Blocks to send (iperf3 `blockcount`); 0 means unused. */
  blocks: number;
  /** Streams per direction. */
  parallel: number;
  /** `up`: client sends; `down`: server sends (`-R`); `bidir`: both. */
  direction: Direction;
  /** Block (TCP write) or datagram (UDP payload) size. */
  len: number;
  /** Bits per second per stream; 0 is unlimited. */
  bandwidth: number;
  /** UDP sequence numbers are 64-bit. */
  counters64: boolean;
  /** The client asked for a latency side channel (sockit extension). */
  latency: boolean;
  /** The client's version string, for logs. */
  clientVersion: string;
}

/** iperf3's limits, which sockit keeps so that a stock client and a sockit one meet the same rules. */
export const LIMITS = {
  maxStreams: 128,
  maxTime: 86_400,
  maxBlock: 1024 * 1024,
  minUdpBlock: 16,
  maxUdpBlock: 65_507,
} as const;

/** UDP payload size iperf3 uses when `-l` is not given. */
export const DEFAULT_UDP_LEN = 1460;
/** TCP block size iperf3 uses when `-l` is not given. */
export const DEFAULT_TCP_LEN = 128 * 1024;
/** UDP rate when `-b` is not given: 1 Mbit/s. */
export const DEFAULT_UDP_RATE = 1024 * 1024;

function integerField(json: Record<string, unknown>, name: string, fallback = 0): number {
  const value = json[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || !Number.isInteger(value)) {
    throw new BenchProtocolError(
      `Cannot accept parameter "${name}": must be an integer`,
      IperfError.RECV_PARAMS,
    );
  }
  return value;
}

function flag(json: Record<string, unknown>, name: string): boolean {
  const value = json[name];
  return value === true || value === 1;
}

/**
 * Reads and checks the parameters a client sent. Fields sockit does not use
 * (omit, window, MSS, TOS, congestion, pacing timer…) are ignored.
 *
 * @throws {BenchProtocolError} with iperf3's error number for anything out of bounds
 */
export function parseParams(json: Record<string, unknown>): TestParams {
  const udp = flag(json, "udp");
  const time = integerField(json, "time", 10);
  const bytes = integerField(json, "num");
  const blocks = integerField(json, "blockcount");
  const parallel = integerField(json, "parallel", 1);
  const len = integerField(json, "len", udp ? DEFAULT_UDP_LEN : DEFAULT_TCP_LEN);
  // A stock client leaves "bandwidth" out for `-b 0`: unlimited.
  const bandwidth = integerField(json, "bandwidth");
  const reverse = flag(json, "reverse");
  const bidir = flag(json, "bidirectional");
  if (time < 0 || time > LIMITS.maxTime) {
    throw new BenchProtocolError(
      `Cannot run a test of ${time} s: must be 0-${LIMITS.maxTime}`,
      IperfError.DURATION,
    );
  }
  if (bytes < 0 || blocks < 0) {
    throw new BenchProtocolError("Cannot run a test of a negative size", IperfError.RECV_PARAMS);
  }
  if (parallel < 1 || parallel > LIMITS.maxStreams) {
    throw new BenchProtocolError(
      `Cannot open ${parallel} streams: must be 1-${LIMITS.maxStreams}`,
      IperfError.NUM_STREAMS,
    );
  }
  if (udp && (len < LIMITS.minUdpBlock || len > LIMITS.maxUdpBlock)) {
    throw new BenchProtocolError(
      `Cannot send ${len}-byte datagrams: must be ${LIMITS.minUdpBlock}-${LIMITS.maxUdpBlock}`,
      IperfError.UDP_BLOCK_SIZE,
    );
  }
  if (!udp && (len < 1 || len > LIMITS.maxBlock)) {
    throw new BenchProtocolError(
      `Cannot write ${len}-byte blocks: must be 1-${LIMITS.maxBlock}`,
      IperfError.BLOCK_SIZE,
    );
  }
  if (bandwidth < 0) {
    throw new BenchProtocolError("Cannot send at a negative rate", IperfError.RECV_PARAMS);
  }
  if (reverse && bidir) {
    throw new BenchProtocolError(
      "Cannot run a test both reverse and bidirectional",
      IperfError.REVERSE_BIDIR,
    );
  }
  const version = json["client_version"];
  return {
    protocol: udp ? "udp" : "tcp",
    time,
    bytes,
    blocks,
    parallel,
    direction: bidir ? "bidir" : reverse ? "down" : "up",
    len,
    bandwidth,
    counters64: flag(json, "udp_counters_64bit"),
    latency: flag(json, "sockit_latency"),
    clientVersion: typeof version === "string" ? version.slice(0, 40) : "",
  };
}

/** The parameters object a client sends for `params` (iperf3's field names). */
export function paramsJson(params: TestParams, version: string): Record<string, unknown> {
  return {
    ...(params.protocol === "udp" ? { udp: true } : { tcp: true }),
    omit: 0,
    time: params.time,
    num: params.bytes,
    blockcount: params.blocks,
    parallel: params.parallel,
    ...(params.direction === "down" ? { reverse: true } : {}),
    ...(params.direction === "bidir" ? { bidirectional: true } : {}),
    len: params.len,
    ...(params.bandwidth > 0 ? { bandwidth: params.bandwidth } : {}),
    ...(params.counters64 ? { udp_counters_64bit: 1 } : {}),
    pacing_timer: 1000,
    ...(params.latency ? { sockit_latency: 1 } : {}),
    client_version: version,
  };
}

/**
 * How many data streams the client opens: `parallel` per direction.
 */
export function streamCount(params: TestParams): number {
  return params.direction === "bidir" ? params.parallel * 2 : params.parallel;
}

/**
 * The id of the stream opened `index`-th (0-based): iperf3 numbers them 1, 3,
 * 4, 5, … (2 is never used), and both ends must agree for the results exchange.
 */
export function streamId(index: number): number {
  return index === 0 ? 1 : index + 2;
}

/**
 * Whether the stream opened `index`-th carries data from the client: with
 * `--bidir` the first `parallel` streams do, the rest carry the server's.
 */
export function clientSends(params: TestParams, index: number): boolean {
  if (params.direction === "up") return true;
  if (params.direction === "down") return false;
  return index < params.parallel;
}

/** One stream's figures in the results exchange (iperf3's names). */
export interface StreamResult {
  id: number;
  bytes: number;
  retransmits: number;
  /** Seconds. */
  jitter: number;
  errors: number;
  packets: number;
  start_time: number;
  end_time: number;
  /** Datagrams that arrived late (sockit servers only; stock iperf3 does not send it). */
  out_of_order?: number;
}

/** A side's results in the exchange. */
export interface Results {
  cpu_util_total: number;
  cpu_util_user: number;
  cpu_util_system: number;
  sender_has_retransmits: number;
  streams: StreamResult[];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/**
 * Reads the peer's results; streams without a numeric `id` are dropped,
 * missing numbers read as 0 (iperf3 sends -1 as an unsigned 64-bit number
 * for "not known", read here as -1).
 */
export function parseResults(json: Record<string, unknown>): Results {
  const streams: StreamResult[] = [];
  const list = Array.isArray(json["streams"]) ? json["streams"] as unknown[] : [];
  for (const item of list.slice(0, LIMITS.maxStreams * 2)) {
    if (typeof item !== "object" || item === null) continue;
    const s = item as Record<string, unknown>;
    if (typeof s["id"] !== "number") continue;
    const retransmits = numberOr(s["retransmits"], -1);
    streams.push({
      id: s["id"],
      bytes: Math.max(0, numberOr(s["bytes"], 0)),
      retransmits: retransmits >= 2 ** 63 ? -1 : retransmits,
      jitter: Math.max(0, numberOr(s["jitter"], 0)),
      errors: Math.max(0, numberOr(s["errors"], 0)),
      packets: Math.max(0, numberOr(s["packets"], 0)),
      start_time: numberOr(s["start_time"], 0),
      end_time: numberOr(s["end_time"], 0),
      ...(typeof s["out_of_order"] === "number"
        ? { out_of_order: Math.max(0, s["out_of_order"]) }
        : {}),
    });
  }
  return {
    cpu_util_total: numberOr(json["cpu_util_total"], 0),
    cpu_util_user: numberOr(json["cpu_util_user"], 0),
    cpu_util_system: numberOr(json["cpu_util_system"], 0),
    sender_has_retransmits: numberOr(json["sender_has_retransmits"], 0) === 1 ? 1 : 0,
    streams,
  };
}
