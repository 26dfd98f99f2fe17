/**
 * The mutator: turns a valid input into a hostile one with a few stacked
 * byte-level edits (bit flips, random and boundary bytes, insertions,
 * deletions, truncation, duplication, splicing with another input, numbers
 * replaced by huge or edge values, tokens from a dictionary, invalid UTF-8,
 * control bytes, case flips, and now and then a huge length). Deterministic
 * for a given {@linkcode Rng}.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** What the mutator may draw on besides the input itself. */
export interface MutateContext {
  /** Other inputs to splice with (the corpus and what was accepted so far). */
  pool: readonly Uint8Array[];
  /** Byte strings that mean something to this target (and the shared ones). */
  tokens: readonly Uint8Array[];
  /** The longest input a mutation may make. */
  maxBytes: number;
}

const encoder = new TextEncoder();

/** Text or bytes as bytes (text as UTF-8). */
export function asBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** Numbers at and around every boundary a parser may get wrong. */
export const EDGE_NUMBERS: readonly string[] = [
  "0",
  "1",
  "-1",
  "00",
  "007",
  "+1",
  "1.5",
  "1e3",
  "0x10",
  " 1",
  "255",
  "256",
  "511",
  "512",
  "1023",
  "1024",
  "4096",
  "4097",
  "65464",
  "65465",
  "65535",
  "65536",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "9999999999999999",
  "18446744073709551615",
  "18446744073709551616",
  "99999999999999999999",
  "1".padEnd(310, "0"),
  "9".repeat(1000),
  "fffffffffffffff",
  "ffffffffffffffff",
  "7fffffff",
  "NaN",
  "Infinity",
];

const INVALID_UTF8: readonly Uint8Array[] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc3],
  [0xe0, 0x80, 0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff, 0xfe],
  [0xef, 0xbb, 0xbf],
].map((bytes) => new Uint8Array(bytes));

/** Tokens every target gets: controls, escapes, look-alikes, path and number syntax. */
export const SHARED_TOKENS: readonly Uint8Array[] = [
  "\0",
  "\t",
  "\n",
  "\r",
  "\r\n",
  "\n\n",
  "\r\n\r\n",
  "\r\r",
  "\x0b",
  "\x0c",
  "\x1b",
  "\x7f",
  "\x1b[2J",
  "\x1b[31m",
  "\x1b]0;PWNED\x07",
  "\x1b]8;;http://x\x1b\\",
  "\u0085",
  "\u009b",
  "\u200b",
  "\u200e",
  "\u202e",
  "\u2028",
  "\u2029",
  "\u2066",
  "\ufeff",
  "\ufffd",
  "\u0410da",
  "\uff21da",
  "e\u0301",
  "\u{1f600}",
  "\u00ff",
  " ",
  "  ",
  "/",
  "//",
  "\\",
  ".",
  "..",
  "../",
  "%",
  "%%",
  "%00",
  "%0a",
  "%2e%2e",
  "%2F",
  "%5C",
  "%ff",
  "%c3%28",
  "%e2%80%ae",
  "%G0",
  ":",
  "::",
  "[",
  "]",
  ";",
  ",",
  "=",
  "-",
  '"',
  "__proto__",
  "constructor",
  "prototype",
  "toString",
].map(asBytes);

/** Splices `insert` into `bytes` at `at`, replacing `remove` bytes. */
function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  remove = Math.min(remove, bytes.length - at);
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function randomRange(bytes: Uint8Array, rng: Rng): [number, number] {
  const start = rng.below(bytes.length + 1);
  const length = rng.size(0, bytes.length - start);
  return [start, length];
}

/** Digits runs (decimal or hex) in `bytes`, as [start, length]. */
function numberRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < bytes.length;) {
    if (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
      let j = i;
      while (j < bytes.length && isHexDigit(bytes[j]!)) j++;
      runs.push([i, j - i]);
      i = j;
    } else {
      i++;
    }
  }
  return runs;
}

function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
}

type Operator = (bytes: Uint8Array, rng: Rng, context: MutateContext) => Uint8Array;

const BOUNDARY_BYTES = [
  0x00,
  0x09,
  0x0a,
  0x0d,
  0x1b,
  0x20,
  0x25,
  0x2e,
  0x2f,
  0x3a,
  0x5c,
  0x7f,
  0x80,
  0xff,
];

const OPERATORS: readonly [weight: number, operator: Operator][] = [
  // Bit flip.
  [6, (bytes, rng) => {
    if (bytes.length === 0) return bytes;
    const out = bytes.slice();
    const at = rng.below(out.length);
    out[at] = out[at]! ^ (1 << rng.below(8));
    return out;
  }],
  // Random byte, or a boundary byte.
  [6, (bytes, rng) => {
    if (bytes.length === 0) return new Uint8Array([rng.below(256)]);
    const out = bytes.slice();
    out[rng.below(out.length)] = rng.chance(0.5) ? rng.below(256) : rng.pick(BOUNDARY_BYTES);
    return out;
  }],
  // Insert a few random bytes.
  [4, (bytes, rng) => splice(bytes, rng.below(bytes.length + 1), 0, rng.bytes(rng.int(1, 8)))],
  // Insert a control byte.
  [4, (bytes, rng) => {
    const control = rng.chance(0.9) ? rng.below(0x20) : 0x7f;
    return splice(bytes, rng.below(bytes.length + 1), 0, new Uint8Array([control]));
  }],
  // Delete a range.
  [6, (bytes, rng) => {
    const [start, length] = randomRange(bytes, rng);
    return splice(bytes, start, Math.max(1, length), new Uint8Array(0));
  }],
  // Truncate.
  [5, (bytes, rng) => bytes.slice(0, rng.below(bytes.length + 1))],
  // Duplicate a range in place.
  [4, (bytes, rng) => {
    const [start, length] = randomRange(bytes, rng);
    const copy = bytes.slice(start, start + length);
    return splice(bytes, rng.below(bytes.length + 1), 0, copy);
  }],
  // Splice with another input: this one's head, the other's tail (or a piece of it inserted).
  [6, (bytes, rng, { pool }) => {
    if (pool.length === 0) return bytes;
    const other = rng.pick(pool);
    if (rng.chance(0.5)) {
      return concatTwo(
        bytes.subarray(0, rng.below(bytes.length + 1)),
        other.subarray(rng.below(other.length + 1)),
      );
    }
    const [start, length] = randomRange(other, rng);
    return splice(bytes, rng.below(bytes.length + 1), 0, other.subarray(start, start + length));
  }],
  // A number replaced by an edge value (or one inserted where there is none).
  [8, (bytes, rng) => {
    const runs = numberRuns(bytes);
    const value = asBytes(rng.pick(EDGE_NUMBERS));
    if (runs.length === 0) return splice(bytes, rng.below(bytes.length + 1), 0, value);
    const [start, length] = rng.pick(runs);
    return splice(bytes, start, length, value);
  }],
  // A token inserted or written over.
  [10, (bytes, rng, { tokens }) => {
    const token = rng.pick(tokens);
    const at = rng.below(bytes.length + 1);
    const over = rng.chance(0.5) ? Math.min(token.length, bytes.length - at) : 0;
    return splice(bytes, at, over, token);
  }],
  // Invalid UTF-8.
  [5, (bytes, rng) => splice(bytes, rng.below(bytes.length + 1), 0, rng.pick(INVALID_UTF8))],
  // ASCII case flips over a range.
  [3, (bytes, rng) => {
    const out = bytes.slice();
    const [start, length] = randomRange(out, rng);
    for (let i = start; i < start + length; i++) {
      const b = out[i]!;
      if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) out[i] = b ^ 0x20;
    }
    return out;
  }],
  // Swap two ranges.
  [2, (bytes, rng) => {
    if (bytes.length < 2) return bytes;
    const cut = rng.int(1, bytes.length - 1);
    return concatTwo(bytes.subarray(cut), bytes.subarray(0, cut));
  }],
  // A huge length: one piece (or one byte) repeated up to a boundary size.
  [1, (bytes, rng, { maxBytes, tokens }) => {
    const target = Math.min(
      maxBytes,
      rng.pick([255, 256, 1024, 1025, 4095, 4096, 4097, 8192, 65464, 65507, 65536, maxBytes]),
    );
    let piece: Uint8Array;
    const source = rng.below(3);
    if (source === 0) piece = new Uint8Array([rng.pick(BOUNDARY_BYTES.concat([0x41, 0x30]))]);
    else if (source === 1) piece = rng.pick(tokens);
    else {
      const [start, length] = randomRange(bytes, rng);
      piece = bytes.slice(start, start + Math.max(1, length));
    }
    if (piece.length === 0) piece = new Uint8Array([0x41]);
    const room = Math.max(0, target - bytes.length);
    const filler = new Uint8Array(room);
    for (let i = 0; i < room; i += piece.length) filler.set(piece.subarray(0, room - i), i);
    return splice(bytes, rng.below(bytes.length + 1), 0, filler);
  }],
];

const TOTAL_WEIGHT = OPERATORS.reduce((sum, [weight]) => sum + weight, 0);

function concatTwo(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A mutated copy of `input`: one to a few stacked edits (more are rarer),
 * no longer than `context.maxBytes`.
 */
export function mutate(input: Uint8Array, rng: Rng, context: MutateContext): Uint8Array {
  let bytes = input;
  let edits = 1;
  while (edits < 8 && rng.chance(0.4)) edits++;
  for (let i = 0; i < edits; i++) {
    let pick = rng.below(TOTAL_WEIGHT);
    for (const [weight, operator] of OPERATORS) {
      if (pick < weight) {
        bytes = operator(bytes, rng, context);
        break;
      }
      pick -= weight;
    }
  }
  return bytes.length > context.maxBytes ? bytes.slice(0, context.maxBytes) : bytes;
}
