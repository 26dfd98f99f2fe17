/**
 * LAN discovery of file servers, as a pure codec and rate limiter: the
 * messages `files serve --announce` and `files find` exchange over UDP
 * (docs/file-protocol.md, "Discovery"). A message is one JSON object of at
 * most {@linkcode MAX_MESSAGE} bytes with exactly the documented keys;
 * anything else is not a message and is dropped.
 *
 * @module
 */

/** The multicast group (administratively scoped, RFC 2365). */
export const DISCOVERY_GROUP = "239.255.90.90";
/** The UDP port that servers and finders both use. */
export const DISCOVERY_PORT = 9009;
/** The broadcast address that every message is also sent to. */
export const DISCOVERY_BROADCAST = "255.255.255.255";
/** Longest message, in bytes. */
export const MAX_MESSAGE = 512;
/** Longest server name, in characters. */
export const MAX_NAME = 64;

/** `files find` asks who is there; `nonce` is echoed by every answer. */
export interface Query {
  kind: "find";
  nonce: string;
}

/** A server says where it is: to everyone (`nonce` null) or answering a query. */
export interface Announcement {
  kind: "here";
  nonce: string | null;
  /** What the server calls itself (its shared folder's name unless told otherwise). */
  name: string;
  /** The file protocol's port. */
  files: number;
  /** The HTTP face's port, if any. */
  http: number | null;
  /** Whether the ports speak TLS. */
  tls: boolean;
  /** The SHA-256 fingerprint of the TLS certificate (64 hex digits), when `tls`. */
  fingerprint: string | null;
}

export type DiscoveryMessage = Query | Announcement;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const NONCE = /^[0-9a-f]{16}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The bytes of `message`, as sent. @throws {RangeError} over {@linkcode MAX_MESSAGE} bytes */
export function encodeMessage(message: DiscoveryMessage): Uint8Array {
  const wire = message.kind === "find" ? { sockit: "find", v: 1, nonce: message.nonce } : {
    sockit: "here",
    v: 1,
    nonce: message.nonce,
    name: message.name,
    files: message.files,
    http: message.http,
    tls: message.tls,
    fingerprint: message.fingerprint,
  };
  const bytes = encoder.encode(JSON.stringify(wire));
  if (bytes.length > MAX_MESSAGE) throw new RangeError("Cannot announce: message too long");
  return bytes;
}

/** A name fit to announce: control characters dropped, at most {@linkcode MAX_NAME} characters. */
export function announceName(name: string): string {
  const clean = [...name].filter((c) => !CONTROL.test(c)).join("").trim();
  return [...clean].slice(0, MAX_NAME).join("") || "sockit";
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

function hasExactly(object: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(object);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(object, k));
}

/**
 * Parses a datagram; undefined for anything that is not exactly a valid
 * message (too long, not UTF-8 JSON, a key missing or extra, a value of the
 * wrong type or range, a name with control characters).
 */
export function parseMessage(bytes: Uint8Array): DiscoveryMessage | undefined {
  if (bytes.length > MAX_MESSAGE) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  if (m.v !== 1) return undefined;
  if (m.sockit === "find") {
    if (!hasExactly(m, ["sockit", "v", "nonce"])) return undefined;
    if (typeof m.nonce !== "string" || !NONCE.test(m.nonce)) return undefined;
    return { kind: "find", nonce: m.nonce };
  }
  if (m.sockit !== "here") return undefined;
  if (!hasExactly(m, ["sockit", "v", "nonce", "name", "files", "http", "tls", "fingerprint"])) {
    return undefined;
  }
  const { nonce, name, files, http, tls, fingerprint } = m;
  if (nonce !== null && (typeof nonce !== "string" || !NONCE.test(nonce))) return undefined;
  if (
    typeof name !== "string" || name === "" || [...name].length > MAX_NAME || CONTROL.test(name)
  ) {
    return undefined;
  }
  if (!isPort(files) || (http !== null && !isPort(http)) || typeof tls !== "boolean") {
    return undefined;
  }
  if (fingerprint !== null && (typeof fingerprint !== "string" || !FINGERPRINT.test(fingerprint))) {
    return undefined;
  }
  if (fingerprint !== null && !tls) return undefined;
  return { kind: "here", nonce, name, files, http, tls, fingerprint };
}

/** Options for {@linkcode AnswerLimiter}. */
export interface AnswerLimiterOptions {
  /** Least time between two answers to one address, in ms. @default {1000} */
  perSourceMs?: number;
  /** Most answers in one second, whoever asks. @default {10} */
  perSecond?: number;
  /** Most addresses remembered (the oldest are forgotten first). @default {1024} */
  maxSources?: number;
}

/**
 * Decides whether a server answers a query: at most one answer per address
 * per `perSourceMs`, and `perSecond` in all, so a flood of queries (spoofed
 * sources included) cannot make the server flood the LAN. Memory is bounded
 * by `maxSources`. Pure: the caller passes the clock.
 */
export class AnswerLimiter {
  #last = new Map<string, number>();
  #window = 0;
  #count = 0;
  #perSourceMs: number;
  #perSecond: number;
  #maxSources: number;

  constructor(options: AnswerLimiterOptions = {}) {
    const { perSourceMs = 1000, perSecond = 10, maxSources = 1024 } = options;
    this.#perSourceMs = perSourceMs;
    this.#perSecond = perSecond;
    this.#maxSources = maxSources;
  }

  /** True when a query from `source` at time `now` (ms) may be answered; counts it if so. */
  allow(source: string, now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.#window) {
      this.#window = second;
      this.#count = 0;
    }
    if (this.#count >= this.#perSecond) return false;
    const last = this.#last.get(source);
    if (last !== undefined && now - last < this.#perSourceMs) return false;
    this.#last.delete(source);
    this.#last.set(source, now);
    if (this.#last.size > this.#maxSources) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    this.#count++;
    return true;
  }
}
