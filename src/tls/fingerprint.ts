/**
 * Certificate fingerprints: the SHA-256 of a certificate's DER bytes, the
 * form `--pin` takes and a server prints next to `listening on`.
 *
 * @module
 */

/** SHA-256 of `der`, lower-case hex, no separators. */
export async function fingerprintOf(der: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A `--pin` that is not a SHA-256 fingerprint. */
export class PinSyntaxError extends SyntaxError {
  override name = "PinSyntaxError";
}

/**
 * Reads a pin as people copy it: hex with or without colons, any case, an
 * optional `sha256:` or `SHA256 ` prefix (as `openssl x509 -fingerprint` and
 * sockit's own `tls fingerprint SHA256 …` line print it).
 *
 * @example Both spellings
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePin } from "./fingerprint.ts";
 * const hex = "ab".repeat(32);
 * assert.equal(parsePin(`SHA256 ${hex.toUpperCase()}`), hex);
 * assert.equal(parsePin(hex.match(/../g)!.join(":")), hex);
 * ```
 * @throws {PinSyntaxError} naming what is wrong
 */
export function parsePin(text: string): string {
  const body = text.trim().replace(/^sha-?256(\s+fingerprint)?\s*[:= ]\s*/i, "");
  const hex = body.replaceAll(":", "").toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex)) {
    throw new PinSyntaxError(`Cannot read pin "${text}": expected hex digits (colons optional)`);
  }
  if (hex.length !== 64) {
    throw new PinSyntaxError(
      `Cannot read pin "${text}": a SHA-256 fingerprint has 64 hex digits, got ${hex.length}`,
    );
  }
  return hex;
}

/** A fingerprint for people: upper-case hex pairs joined by colons, as openssl prints it. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(":");
}
