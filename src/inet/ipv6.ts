/**
 * Strict IPv6 text ⇄ 128-bit `bigint`, every RFC 4291 text form (full,
 * `::`-compressed, embedded IPv4), zone IDs kept apart; RFC 5952 output.
 *
 * @module
 */

import { parseIPv4 } from "./ipv4.ts";

/** A parsed IPv6 address. */
export interface IPv6Address {
  /** The 128-bit value. */
  value: bigint;
  /** The zone ID after `%` (e.g. `eth0`), if any. */
  zone?: string;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9A-Za-z._~-]{1,64}$/;

/**
 * Parses an IPv6 address (without brackets).
 *
 * @example Parsing
 * ```ts
 * import { parseIPv6 } from "./ipv6.ts";
 * parseIPv6("::1").value; // 1n
 * ```
 * @throws {SyntaxError} `Cannot parse IPv6 address "…": …`
 */
export function parseIPv6(text: string): IPv6Address {
  const fail = (why: string) => new SyntaxError(`Cannot parse IPv6 address "${text}": ${why}`);
  let body = text;
  let zone: string | undefined;
  const percent = text.indexOf("%");
  if (percent >= 0) {
    body = text.slice(0, percent);
    zone = text.slice(percent + 1);
    if (!ZONE.test(zone)) throw fail(`bad zone ID "${zone}"`);
  }
  const halves = body.split("::");
  if (halves.length > 2) throw fail(`"::" may appear only once`);
  const head = groups(halves[0] ?? "", fail);
  const tail = halves.length === 2 ? groups(halves[1] ?? "", fail) : [];
  const words = [...head, ...tail];
  // An embedded IPv4 address counts as two groups, and only at the very end.
  const lastIndex = words.length - 1;
  const expanded: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word.includes(".")) {
      if (i !== lastIndex) throw fail("an IPv4 part may only come last");
      let v4: number;
      try {
        v4 = parseIPv4(word);
      } catch {
        throw fail(`bad embedded IPv4 "${word}"`);
      }
      expanded.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!HEXTET.test(word)) throw fail(`bad group "${word}"`);
      expanded.push(Number.parseInt(word, 16));
    }
  }
  if (halves.length === 2) {
    const headCount = head.some((w) => w.includes(".")) ? head.length + 1 : head.length;
    if (expanded.length > 7) throw fail('too many groups for "::"');
    const zeros = new Array<number>(8 - expanded.length).fill(0);
    expanded.splice(headCount, 0, ...zeros);
  } else if (expanded.length !== 8) {
    throw fail(`expected 8 groups, found ${expanded.length}`);
  }
  let value = 0n;
  for (const word of expanded) value = (value << 16n) | BigInt(word);
  return zone === undefined ? { value } : { value, zone };
}

function groups(part: string, fail: (why: string) => SyntaxError): string[] {
  if (part === "") return [];
  const words = part.split(":");
  if (words.some((w) => w === "")) throw fail("empty group");
  return words;
}

/**
 * Formats a 128-bit value in RFC 5952 canonical form: lowercase, no leading
 * zeros, the longest run (≥ 2) of zero groups as `::`, leftmost on ties.
 *
 * @example Formatting
 * ```ts
 * import { formatIPv6 } from "./ipv6.ts";
 * formatIPv6(1n); // "::1"
 * ```
 */
export function formatIPv6(value: bigint): string {
  const words: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) words.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}
