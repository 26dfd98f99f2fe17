/**
 * Encoders for the legacy multi-byte encodings Windows peers send (GBK,
 * GB18030, Big5, Shift_JIS). `TextDecoder` decodes them but nothing built in
 * encodes them, so each encoder's table is the decoder run backwards: every
 * valid byte sequence is decoded once (lazily, on first use) and its code
 * point mapped back to the bytes. GB18030's supplementary planes are
 * algorithmic and need no table. Pure.
 *
 * @module
 */

/** The legacy encodings this module can encode. */
export type LegacyEncoding = "gbk" | "gb18030" | "big5" | "shift_jis";

type Table = Map<number, Uint8Array>;
const tables = new Map<LegacyEncoding, Table>();

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Every candidate byte sequence of an encoding, in preference order. */
function candidates(encoding: LegacyEncoding): Iterable<number[]> {
  switch (encoding) {
    case "gbk":
    case "gb18030":
      return gbSequences(encoding === "gb18030");
    case "big5":
      // The standard rows (lead 0xA1…) before the HKSCS extension rows, so common
      // characters get their usual Big5 bytes.
      return pairs([...range(0xa1, 0xfe), ...range(0x81, 0xa0)], [
        ...range(0x40, 0x7e),
        ...range(0xa1, 0xfe),
      ]);
    case "shift_jis":
      return [
        ...range(0x80, 0x80).map((b) => [b]),
        ...range(0xa1, 0xdf).map((b) => [b]),
        ...pairs([...range(0x81, 0x9f), ...range(0xe0, 0xfc)], [
          ...range(0x40, 0x7e),
          ...range(0x80, 0xfc),
        ]),
      ];
  }
}

function* pairs(leads: number[], trails: number[]): Iterable<number[]> {
  for (const lead of leads) for (const trail of trails) yield [lead, trail];
}

function* gbSequences(fourByte: boolean): Iterable<number[]> {
  // GBK encodes € as the single byte 0x80; GB18030 as A2 E3 (both decode 0x80 as €).
  if (!fourByte) yield [0x80];
  yield* pairs(range(0x81, 0xfe), [...range(0x40, 0x7e), ...range(0x80, 0xfe)]);
  if (!fourByte) return;
  // Four-byte sequences of the Basic Multilingual Plane.
  for (let b1 = 0x81; b1 <= 0x84; b1++) {
    for (let b2 = 0x30; b2 <= 0x39; b2++) {
      for (let b3 = 0x81; b3 <= 0xfe; b3++) {
        for (let b4 = 0x30; b4 <= 0x39; b4++) yield [b1, b2, b3, b4];
      }
    }
  }
}

function table(encoding: LegacyEncoding): Table {
  let map = tables.get(encoding);
  if (map) return map;
  map = new Map();
  const decoder = new TextDecoder(encoding === "gbk" ? "gbk" : encoding, { fatal: true });
  for (const sequence of candidates(encoding)) {
    let text: string;
    try {
      text = decoder.decode(new Uint8Array(sequence));
    } catch {
      continue;
    }
    const code = text.codePointAt(0);
    if (code === undefined || text.length !== (code > 0xffff ? 2 : 1) || code === 0xfffd) continue;
    if (!map.has(code)) map.set(code, new Uint8Array(sequence));
  }
  tables.set(encoding, map);
  return map;
}

/** GB18030 bytes for a supplementary-plane code point (U+10000…U+10FFFF). */
function gb18030Supplementary(code: number): Uint8Array {
  let linear = code - 0x10000;
  const b4 = 0x30 + (linear % 10);
  linear = Math.floor(linear / 10);
  const b3 = 0x81 + (linear % 126);
  linear = Math.floor(linear / 126);
  const b2 = 0x30 + (linear % 10);
  const b1 = 0x90 + Math.floor(linear / 10);
  return new Uint8Array([b1, b2, b3, b4]);
}

/**
 * Encodes text in a legacy encoding.
 *
 * @example GBK
 * ```ts
 * import { encodeLegacy } from "./legacy.ts";
 * encodeLegacy("你好", "gbk"); // Uint8Array [0xc4, 0xe3, 0xba, 0xc3]
 * ```
 * @throws {RangeError} `Cannot encode "…" as gbk: "😀" has no gbk bytes`
 */
export function encodeLegacy(text: string, encoding: LegacyEncoding): Uint8Array {
  const map = table(encoding);
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const mapped = map.get(code) ??
      (encoding === "gb18030" && code > 0xffff ? gb18030Supplementary(code) : undefined);
    if (!mapped) {
      throw new RangeError(
        `Cannot encode "${text}" as ${encoding}: "${ch}" (U+${
          code.toString(16).toUpperCase().padStart(4, "0")
        }) has no ${encoding} bytes`,
      );
    }
    bytes.push(...mapped);
  }
  return new Uint8Array(bytes);
}
