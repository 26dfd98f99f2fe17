/**
 * Strict IPv4 text ⇄ number. Dotted quad only: four decimal octets 0-255,
 * no leading zeros, no hex, no shorthand, no spaces.
 *
 * @module
 */

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/**
 * Parses a dotted-quad IPv4 address into an unsigned 32-bit number.
 *
 * @example Parsing
 * ```ts
 * import { parseIPv4 } from "./ipv4.ts";
 * parseIPv4("192.168.1.10"); // 3232235786
 * ```
 * @throws {SyntaxError} `Cannot parse IPv4 address "1.2.3.256": …`
 */
export function parseIPv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new SyntaxError(`Cannot parse IPv4 address "${text}": expected four dotted numbers`);
  }
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) {
      const why = part === "" ? "empty part" : /^0\d/.test(part) ? "leading zero" : "not a number";
      throw new SyntaxError(`Cannot parse IPv4 address "${text}": ${why} "${part}"`);
    }
    const octet = Number(part);
    if (octet > 255) {
      throw new SyntaxError(`Cannot parse IPv4 address "${text}": ${octet} is over 255`);
    }
    value = value * 256 + octet;
  }
  return value;
}

/** True when `text` is a strict dotted-quad IPv4 address. */
export function isIPv4(text: string): boolean {
  try {
    parseIPv4(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Formats an unsigned 32-bit number as a dotted quad.
 *
 * @example Formatting
 * ```ts
 * import { formatIPv4 } from "./ipv4.ts";
 * formatIPv4(0x7f000001); // "127.0.0.1"
 * ```
 */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}
