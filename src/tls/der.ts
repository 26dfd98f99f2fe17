/**
 * The few ASN.1 DER encodings an X.509 certificate needs (ITU-T X.690):
 * tag, length, value, nothing more. Pure; no parsing.
 *
 * @module
 */

/** Joins byte arrays into one. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * One DER element: `tag`, the definite length (short form below 128, long
 * form above), and the value.
 *
 * @example A NULL
 * ```ts
 * import assert from "node:assert/strict";
 * import { element } from "./der.ts";
 * assert.deepEqual([...element(0x05, new Uint8Array())], [0x05, 0x00]);
 * ```
 */
export function element(tag: number, value: Uint8Array): Uint8Array {
  const length = value.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return concat([Uint8Array.from(header), value]);
}

/** A SEQUENCE of already encoded elements. */
export function sequence(...items: Uint8Array[]): Uint8Array {
  return element(0x30, concat(items));
}

/** A SET of already encoded elements (callers pass one, so no ordering is needed). */
export function set(...items: Uint8Array[]): Uint8Array {
  return element(0x31, concat(items));
}

/**
 * An INTEGER from its unsigned big-endian bytes: leading zeros dropped, and
 * one zero put back where the top bit would make it negative.
 *
 * @example The top bit set
 * ```ts
 * import assert from "node:assert/strict";
 * import { unsignedInteger } from "./der.ts";
 * assert.deepEqual([...unsignedInteger(Uint8Array.of(0, 0, 0x80))], [0x02, 0x02, 0x00, 0x80]);
 * ```
 */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const value = (trimmed[0] ?? 0) & 0x80 ? concat([Uint8Array.of(0), trimmed]) : trimmed;
  return element(0x02, value.length === 0 ? Uint8Array.of(0) : value);
}

/** A small non-negative INTEGER. */
export function smallInteger(n: number): Uint8Array {
  return unsignedInteger(Uint8Array.of(n));
}

/**
 * An OBJECT IDENTIFIER from its dotted form.
 *
 * @example ecPublicKey
 * ```ts
 * import assert from "node:assert/strict";
 * import { oid } from "./der.ts";
 * assert.deepEqual(
 *   [...oid("1.2.840.10045.2.1")],
 *   [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
 * );
 * ```
 */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      groups.unshift(0x80 | (n & 0x7f));
    }
    bytes.push(...groups);
  }
  return element(0x06, Uint8Array.from(bytes));
}

/** A BIT STRING with no unused bits. */
export function bitString(bytes: Uint8Array): Uint8Array {
  return element(0x03, concat([Uint8Array.of(0), bytes]));
}

/** An OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array {
  return element(0x04, bytes);
}

/** A UTF8String. */
export function utf8String(text: string): Uint8Array {
  return element(0x0c, new TextEncoder().encode(text));
}

/** A BOOLEAN. */
export function boolean(value: boolean): Uint8Array {
  return element(0x01, Uint8Array.of(value ? 0xff : 0));
}

/**
 * A certificate time: UTCTime (`YYMMDDHHMMSSZ`) through 2049, GeneralizedTime
 * (`YYYYMMDDHHMMSSZ`) from 2050, as RFC 5280 §4.1.2.5 requires.
 */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2026-12-02T01:02:03.456Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? element(0x17, new TextEncoder().encode(digits.slice(2)))
    : element(0x18, new TextEncoder().encode(digits));
}

/** A context-specific constructed tag, `[n] EXPLICIT`. */
export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return element(0xa0 | n, inner);
}

/** A context-specific primitive tag, `[n] IMPLICIT` over primitive bytes. */
export function implicit(n: number, bytes: Uint8Array): Uint8Array {
  return element(0x80 | n, bytes);
}
