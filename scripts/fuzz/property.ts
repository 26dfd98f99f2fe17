/**
 * What a fuzz target checks and how it says so: a {@linkcode Violation} for a
 * property that does not hold, {@linkcode refused} to accept only the errors
 * a parser documents, and small helpers shared by the targets.
 *
 * @module
 */

import { isDeepStrictEqual } from "node:util";

/** A property of a target that did not hold; `property` names it (stable, for shrinking). */
export class Violation extends Error {
  readonly property: string;
  constructor(property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = "Violation";
    this.property = property;
  }
}

/** What a target made of an input. */
export type Verdict = "accepted" | "rejected";

/** Fails `property` unless `condition` holds; `detail` explains (a function: built only on failure). */
export function holds(
  condition: unknown,
  property: string,
  detail: string | (() => string) = "",
): asserts condition {
  if (!condition) throw new Violation(property, typeof detail === "string" ? detail : detail());
}

/** Fails `property` unless `actual` and `expected` are deeply equal. */
export function same(actual: unknown, expected: unknown, property: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Violation(property, `got ${show(actual)}, expected ${show(expected)}`);
  }
}

// Messages of errors the JavaScript engine throws by itself: a parser that
// lets one of these out has a bug, even when the class is one it documents.
const ENGINE =
  /^(?:Maximum call stack size exceeded|Invalid (?:array|string|typed array) length|Invalid regular expression|Array buffer allocation failed|Cannot read properties of|Cannot set properties of|Cannot convert|.* is not (?:a function|iterable|defined|a constructor)|Out of memory)/;

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Accepts `err` as a refusal when it is an instance of one of `types` (and
 * not an engine error such as a stack overflow); rethrows anything else, so
 * that the fuzzer reports it.
 */
export function refused(err: unknown, ...types: ErrorClass[]): "rejected" {
  if (!types.some((type) => err instanceof type)) throw err;
  const message = (err as Error).message;
  if (typeof message !== "string" || ENGINE.test(message)) throw err;
  if (refusals.length < 8) refusals.push(`${(err as Error).name}: ${message.slice(0, 200)}`);
  return "rejected";
}

/** The refusals {@linkcode refused} accepted during one check: why a valid input was turned down. */
export const refusals: string[] = [];

/**
 * The characters that must never reach a terminal raw: C0 controls, DEL, C1
 * controls, and the invisible format characters that reorder or break lines
 * (the set `src/text/escape.ts` escapes, without the backslash).
 */
export const UNSAFE_CHARS =
  // deno-lint-ignore no-control-regex
  /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const utf8 = new TextEncoder();
// Keeps a leading U+FEFF: a fuzz input's text is exactly its bytes.
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });
// As the servers decode a line (a leading byte order mark is dropped).
const strict = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of text. */
export function bytesOf(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Bytes as text, invalid sequences as U+FFFD (a leading U+FEFF kept): a text target's input. */
export function textOf(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}

/**
 * Bytes as the servers decode a line (`TextDecoder("utf-8", { fatal: true })`,
 * which drops a leading byte order mark), or undefined when not valid UTF-8.
 */
export function strictTextOf(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 length of text. */
export function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A short printable form of a value for a violation message. */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) {
      return `hex:${v.subarray(0, 64).toHex()}${v.length > 64 ? "…" : ""}`;
    }
    return v;
  }) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
