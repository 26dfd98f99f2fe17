/**
 * Making text safe to print on one terminal line: control characters, ANSI
 * escape sequences, bidirectional overrides and line breaks become visible
 * escapes instead of acting on the terminal. Pure.
 *
 * @module
 */

// C0 controls, DEL, C1 controls, backslash, and the invisible format
// characters that reorder or break lines (LRM/RLM, LS/PS, bidi embeddings and isolates).
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\\\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

/**
 * Escapes everything that is not safe to print raw on a terminal line:
 * `\n` `\r` `\t` `\\`, `\xNN` for other C0 controls and DEL, `\u{NNNN}` for
 * C1 controls and invisible format characters.
 *
 * @example Escaping an ANSI sequence
 * ```ts
 * import { escapeText } from "./escape.ts";
 * escapeText("\x1b[31mred\n"); // "\\x1b[31mred\\n"
 * ```
 */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED[ch];
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * True when `bytes` are printable ASCII (space to `~`) without a backslash:
 * text {@linkcode escapeText} would leave as it is, known without decoding
 * it (the common case of a hot receive path). False says nothing: decode
 * and ask {@linkcode isSafeText}.
 */
export function isPrintableAscii(bytes: Uint8Array): boolean {
  const { length, byteOffset } = bytes;
  let i = 0;
  const head = Math.min(length, (4 - (byteOffset & 3)) & 3);
  for (; i < head; i++) if (!printableByte(bytes[i]!)) return false;
  // Four bytes at a time (a long datagram is the hot case). With no byte's top bit set
  // (`w` itself), adding 0x01 or 0x60 to each byte cannot carry into the next one, so
  // the sums' top bits are exact per byte: `w + 0x01` has it when a byte is 0x7f (DEL),
  // `w + 0x60` lacks it when a byte is below 0x20. A backslash is a zero byte of
  // `w ^ 0x5c5c5c5c`, found with the "haszero" test of "Bit Twiddling Hacks" (exact for
  // whether any byte is zero). When some top bit is set the answer is false whatever
  // the other terms give.
  const words = (length - i) >>> 2;
  if (words > 0) {
    // Int32 words and `| 0` after each sum keep the loop in 32-bit integer arithmetic.
    const view = new Int32Array(bytes.buffer, byteOffset + i, words);
    for (let j = 0; j < words; j++) {
      const w = view[j]!;
      const slash = w ^ 0x5c5c5c5c;
      if (
        ((w | ((w + 0x01010101) | 0) | ~((w + 0x60606060) | 0) |
          (((slash - 0x01010101) | 0) & ~slash)) & 0x80808080) !== 0
      ) {
        return false;
      }
    }
    i += words * 4;
  }
  for (; i < length; i++) if (!printableByte(bytes[i]!)) return false;
  return true;
}

function printableByte(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== 0x5c;
}

/** True when `text` has nothing {@linkcode escapeText} would change. */
export function isSafeText(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const unsafe = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return !unsafe;
}
