/**
 * Pure UDP rules: payload limits per family, the timestamp reply, and how a
 * received datagram is shown (text line or JSON event).
 *
 * @module
 */

import { displayText, type Encoding, jsonText } from "../text/encoding.ts";
import { isPrintableAscii, isSafeText } from "../text/escape.ts";

/** Largest UDP payload over IPv4: 65535 − 20 (IP header) − 8 (UDP header). */
export const MAX_PAYLOAD_IPV4 = 65507;
/** Largest UDP payload over IPv6 without jumbograms: 65535 − 8. */
export const MAX_PAYLOAD_IPV6 = 65527;

/**
 * The largest payload that can be sent to `hostname` (an IPv6 literal, or anything else).
 *
 * @example Limits
 * ```ts
 * import { maxPayload } from "./datagram.ts";
 * maxPayload("127.0.0.1"); // 65507
 * maxPayload("::1"); // 65527
 * ```
 */
export function maxPayload(hostname: string): number {
  return hostname.includes(":") ? MAX_PAYLOAD_IPV6 : MAX_PAYLOAD_IPV4;
}

/**
 * Checks a payload against the limit for its destination.
 *
 * @throws {RangeError} `Cannot send a 70000-byte datagram: the UDP limit over IPv4 is 65507 bytes`
 */
export function checkPayload(size: number, hostname: string): void {
  const limit = maxPayload(hostname);
  if (size > limit) {
    const family = limit === MAX_PAYLOAD_IPV4 ? "IPv4" : "IPv6";
    throw new RangeError(
      `Cannot send a ${size}-byte datagram: the UDP limit over ${family} is ${limit} bytes`,
    );
  }
}

const encoder = new TextEncoder();

/**
 * The timestamp service's reply: `[ISO-8601] ` followed by the datagram's
 * own bytes (so a trailing newline, when sent, comes back too).
 */
export function stampReply(data: Uint8Array, now: Date): Uint8Array {
  const prefix = encoder.encode(`[${now.toISOString()}] `);
  const reply = new Uint8Array(prefix.length + data.length);
  reply.set(prefix);
  reply.set(data, prefix.length);
  return reply;
}

/** A datagram as received. */
export interface Datagram {
  data: Uint8Array;
  /** `HOST:PORT` of the sender. */
  from: string;
  /** The sender's host (an IPv6 address without brackets) and port, to reply to. */
  hostname: string;
  port: number;
  /** The datagram was larger than the receive buffer and was cut. */
  truncated: boolean;
}

/** `HOST:PORT TEXT`, one line whatever the bytes. */
export function datagramLine(datagram: Datagram, encoding: Encoding): string {
  return `${datagram.from} ${displayText(datagram.data, encoding)}`;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

let lastFrom = "";
let lastPrefix = "";

/** `HOST:PORT `, made once while the same sender goes on (a string less per datagram). */
function prefixOf(from: string): string {
  if (from !== lastFrom) {
    lastFrom = from;
    lastPrefix = `${from} `;
  }
  return lastPrefix;
}

/**
 * The `HOST:PORT TEXT` line as a prefix plus a body: the datagram's own bytes
 * when they are valid UTF-8 with nothing to escape (printed as they are, no
 * re-encoding: the common case, and the fast one), else the escaped text.
 */
export function datagramLineParts(
  datagram: Datagram,
  encoding: Encoding,
): [prefix: string, body: Uint8Array | undefined] {
  if (encoding === "utf-8") {
    if (isPrintableAscii(datagram.data)) return [prefixOf(datagram.from), datagram.data];
    try {
      if (isSafeText(strictUtf8.decode(datagram.data))) {
        return [prefixOf(datagram.from), datagram.data];
      }
    } catch {
      // invalid UTF-8: escaped below
    }
  }
  return [datagramLine(datagram, encoding), undefined];
}

/** `{"event":"datagram","from":…,"size":…,"text":…[,"base64":…][,"truncated":true]}`. */
export function datagramEvent(
  datagram: Datagram,
  encoding: Encoding,
): { event: "datagram"; from: string; size: number; text: string } & Record<string, unknown> {
  return {
    event: "datagram",
    from: datagram.from,
    size: datagram.data.length,
    ...jsonText(datagram.data, encoding),
    ...(datagram.truncated ? { truncated: true } : {}),
  };
}
