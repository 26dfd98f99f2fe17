/**
 * The text encodings of `--encoding`: what is sent (text → bytes) and what
 * is shown (bytes → one escaped line, or JSON fields). Invalid bytes are
 * never dropped: they are shown as `\xNN` escapes, and JSON adds `base64`.
 * Pure.
 *
 * @module
 */

import { encodeLegacy } from "./legacy.ts";
import { escapeText } from "./escape.ts";
import { sequenceLength, sequenceReader, sequenceUnits } from "./_sequences.ts";

/** Every `--encoding` name. */
export const ENCODINGS = [
  "utf-8",
  "gbk",
  "gb18030",
  "big5",
  "shift_jis",
  "latin1",
  "hex",
  "base64",
] as const;

/** One of {@linkcode ENCODINGS}. */
export type Encoding = typeof ENCODINGS[number];

const utf8 = new TextEncoder();

/**
 * Turns text into bytes: UTF-8, a legacy encoding, ISO-8859-1, or the
 * bytes that hex/base64 text stands for.
 *
 * @example GBK
 * ```ts
 * import { encodeText } from "./encoding.ts";
 * encodeText("你好", "gbk"); // c4 e3 ba c3
 * encodeText("68 69", "hex"); // "hi"
 * ```
 * @throws {RangeError|SyntaxError} naming the text that cannot be encoded
 */
export function encodeText(text: string, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case "utf-8":
      return utf8.encode(text);
    case "latin1": {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0xff) {
          throw new RangeError(`Cannot encode "${text}" as latin1: "${text[i]}" is not in latin1`);
        }
        bytes[i] = code;
      }
      return bytes;
    }
    case "hex": {
      const compact = text.replace(/[\s:]/g, "");
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(compact)) {
        throw new SyntaxError(`Cannot parse hex "${text}": expected pairs of hex digits`);
      }
      return Uint8Array.fromHex(compact);
    }
    case "base64":
      try {
        return Uint8Array.fromBase64(text.trim());
      } catch {
        throw new SyntaxError(`Cannot parse base64 "${text}"`);
      }
    default:
      return encodeLegacy(text, encoding);
  }
}

/** Decoders, one per encoding, created on first use. */
const decoders = new Map<string, TextDecoder>();
function decoder(encoding: string): TextDecoder {
  let d = decoders.get(encoding);
  // A byte order mark is one of the peer's characters: keep it, so text is the bytes exactly.
  if (!d) decoders.set(encoding, d = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }));
  return d;
}

/** Decoders for display, which keep a byte order mark: it is one of the peer's characters. */
const displayDecoders = new Map<string, TextDecoder>();
function displayDecoder(encoding: string): TextDecoder {
  let d = displayDecoders.get(encoding);
  if (!d) {
    displayDecoders.set(encoding, d = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }));
  }
  return d;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/** `\xNN` for every byte value. */
const HEX_ESCAPES = Array.from({ length: 256 }, (_, b) => `\\x${b.toString(16).padStart(2, "0")}`);

/**
 * Bytes as one printable line: decoded in `encoding`, with controls and
 * invalid bytes escaped (`\xNN`), or as hex/base64 text. At each position
 * the valid sequence that starts there is shown, else the byte is escaped
 * and the next position tried. Linear in the input whatever the bytes: at
 * most two decoder calls.
 *
 * @example Invalid UTF-8 is escaped, not dropped
 * ```ts
 * import { displayText } from "./encoding.ts";
 * displayText(new Uint8Array([0x68, 0x69, 0xff, 0x0a]), "utf-8"); // "hi\\xff\\n"
 * ```
 */
export function displayText(bytes: Uint8Array, encoding: Encoding): string {
  if (encoding === "hex") return bytes.toHex();
  if (encoding === "base64") return bytes.toBase64();
  if (encoding === "latin1") return escapeText(latin1(bytes));
  const d = displayDecoder(encoding);
  try {
    return escapeText(d.decode(bytes));
  } catch {
    // invalid somewhere: find the sequences first, then decode them all at once
  }
  const read = sequenceReader(encoding);
  const valid = new Uint8Array(bytes.length);
  /** Pairs of (UTF-16 offset in the decoded valid bytes, invalid byte). */
  const invalid: number[] = [];
  let kept = 0;
  let units = 0;
  for (let i = 0; i < bytes.length;) {
    const found = read(bytes, i);
    if (found === 0) {
      invalid.push(units, bytes[i]!);
      i++;
      continue;
    }
    units += sequenceUnits(found);
    for (const end = i + sequenceLength(found); i < end; i++) valid[kept++] = bytes[i]!;
  }
  let text: string;
  try {
    text = d.decode(valid.subarray(0, kept));
  } catch {
    text = "";
  }
  // Never expected: should the reader and the decoder ever disagree, show every
  // byte that is not printable ASCII as an escape rather than misplace one.
  if (text.length !== units) return showAscii(bytes);
  const pieces: string[] = [];
  let at = 0;
  for (let k = 0; k < invalid.length; k += 2) {
    const offset = invalid[k]!;
    if (offset > at) pieces.push(escapeText(text.slice(at, offset)));
    pieces.push(HEX_ESCAPES[invalid[k + 1]!]!);
    at = offset;
  }
  if (at < text.length) pieces.push(escapeText(text.slice(at)));
  return pieces.join("");
}

function showAscii(bytes: Uint8Array): string {
  const pieces: string[] = [];
  for (const byte of bytes) {
    pieces.push(byte < 0x80 ? escapeText(String.fromCharCode(byte)) : HEX_ESCAPES[byte]!);
  }
  return pieces.join("");
}

/**
 * Bytes as JSON fields: `text` (the decoded text; lossy when invalid) and,
 * when the bytes are not valid in `encoding`, `base64` with the exact bytes.
 */
export function jsonText(bytes: Uint8Array, encoding: Encoding): { text: string; base64?: string } {
  if (encoding === "hex") return { text: bytes.toHex() };
  if (encoding === "base64") return { text: bytes.toBase64() };
  if (encoding === "latin1") return { text: latin1(bytes) };
  try {
    return { text: decoder(encoding).decode(bytes) };
  } catch {
    const lossy = new TextDecoder(encoding).decode(bytes);
    return { text: lossy, base64: bytes.toBase64() };
  }
}
