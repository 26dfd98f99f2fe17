/**
 * Where each valid byte sequence of an encoding starts and ends, found in
 * one pass without asking a decoder per position: what lets a display show
 * invalid bytes as `\xNN` in time linear in the input, whatever the bytes.
 * Pure.
 *
 * A reader returns, for the byte at `i`, the length of the valid sequence
 * that starts there and how many UTF-16 code units it decodes to, packed as
 * `length | units << 3`; 0 when no valid sequence starts at `i`.
 *
 * @module
 */

/** The multi-byte encodings whose sequences a reader can find. */
export type SequenceEncoding = "utf-8" | "gbk" | "gb18030" | "big5" | "shift_jis";

/** Reads the valid sequence at `i`: `length | units << 3`, or 0. */
export type SequenceReader = (bytes: Uint8Array, i: number) => number;

/** The length in bytes of a sequence a reader found. */
export function sequenceLength(found: number): number {
  return found & 7;
}

/** How many UTF-16 code units a sequence a reader found decodes to. */
export function sequenceUnits(found: number): number {
  return found >> 3;
}

const ONE = 1 | 1 << 3;

/** UTF-8 as Unicode defines it well-formed (table 3-7): no overlongs, surrogates or past U+10FFFF. */
function readUtf8(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return ONE;
  if (b0 < 0xc2 || b0 > 0xf4) return 0;
  const b1 = bytes[i + 1];
  if (b1 === undefined) return 0;
  if (b0 < 0xe0) return b1 >= 0x80 && b1 <= 0xbf ? 2 | 1 << 3 : 0;
  const low = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
  const high = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
  if (b1 < low || b1 > high || !continuation(bytes[i + 2])) return 0;
  if (b0 < 0xf0) return 3 | 1 << 3;
  return continuation(bytes[i + 3]) ? 4 | 2 << 3 : 0;
}

function continuation(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x80 && byte <= 0xbf;
}

/**
 * What the decoder of a legacy encoding accepts, learned from the decoder
 * itself in one call: for each non-ASCII byte whether it stands alone, and
 * for each pair starting with one the UTF-16 length it decodes to (0: not a
 * valid pair).
 */
interface LegacyTables {
  single: Uint8Array;
  pair: Uint8Array;
}

const tables = new Map<SequenceEncoding, LegacyTables>();

function legacyTables(encoding: SequenceEncoding): LegacyTables {
  let found = tables.get(encoding);
  if (found) return found;
  // Every byte 0x80-0xff alone, then followed by every byte but \n, each
  // candidate ended by \n: ASCII, which ends any sequence in these encodings,
  // so the decoded text splits on \n into one piece per candidate.
  const candidates: number[] = [];
  for (let lead = 0x80; lead <= 0xff; lead++) candidates.push(lead, 0x0a);
  for (let lead = 0x80; lead <= 0xff; lead++) {
    for (let trail = 0; trail <= 0xff; trail++) {
      if (trail !== 0x0a) candidates.push(lead, trail, 0x0a);
    }
  }
  const pieces = new TextDecoder(encoding).decode(new Uint8Array(candidates)).split("\n");
  const single = new Uint8Array(256);
  const pair = new Uint8Array(65536);
  let p = 0;
  for (let lead = 0x80; lead <= 0xff; lead++) {
    const piece = pieces[p++]!;
    if (piece.length === 1 && piece !== "\ufffd") single[lead] = 1;
  }
  for (let lead = 0x80; lead <= 0xff; lead++) {
    for (let trail = 0; trail <= 0xff; trail++) {
      if (trail === 0x0a) continue;
      const piece = pieces[p++]!;
      if (!single[lead] && !piece.includes("\ufffd")) pair[lead << 8 | trail] = piece.length;
    }
  }
  tables.set(encoding, found = { single, pair });
  return found;
}

/**
 * GB18030's four-byte sequences, by the WHATWG gb18030 decoder: the pointer
 * of `b1 b2 b3 b4` (bytes 81-FE, 30-39, 81-FE, 30-39) is valid up to 39419
 * (the Basic Multilingual Plane) and from 189000 to 1237575 (U+10000 to
 * U+10FFFF, two code units).
 */
function readGbFour(bytes: Uint8Array, i: number): number {
  const b1 = bytes[i]!, b2 = bytes[i + 1]!, b3 = bytes[i + 2], b4 = bytes[i + 3];
  if (b3 === undefined || b4 === undefined) return 0;
  if (b3 < 0x81 || b3 > 0xfe || b4 < 0x30 || b4 > 0x39) return 0;
  const pointer = ((b1 - 0x81) * 10 + (b2 - 0x30)) * 1260 + (b3 - 0x81) * 10 + (b4 - 0x30);
  if (pointer <= 39419) return 4 | 1 << 3;
  if (pointer >= 189000 && pointer <= 1237575) return 4 | 2 << 3;
  return 0;
}

function legacyReader(encoding: SequenceEncoding): SequenceReader {
  const { single, pair } = legacyTables(encoding);
  const four = encoding === "gbk" || encoding === "gb18030";
  return (bytes, i) => {
    const b0 = bytes[i]!;
    if (b0 < 0x80 || single[b0]) return ONE;
    const b1 = bytes[i + 1];
    if (b1 === undefined) return 0;
    if (four && b0 >= 0x81 && b0 <= 0xfe && b1 >= 0x30 && b1 <= 0x39) return readGbFour(bytes, i);
    const units = pair[b0 << 8 | b1]!;
    return units ? 2 | units << 3 : 0;
  };
}

/**
 * The reader of `encoding`. The first call for a legacy encoding decodes
 * each of its byte pairs once (about 100 KB, one decoder call).
 *
 * @example Finding a UTF-8 sequence
 * ```ts
 * import { sequenceLength, sequenceReader } from "./_sequences.ts";
 * const read = sequenceReader("utf-8");
 * sequenceLength(read(new Uint8Array([0xe4, 0xbd, 0xa0]), 0)); // 3
 * read(new Uint8Array([0xff]), 0); // 0
 * ```
 */
export function sequenceReader(encoding: SequenceEncoding): SequenceReader {
  return encoding === "utf-8" ? readUtf8 : legacyReader(encoding);
}
