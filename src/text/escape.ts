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
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return false;
  }
  return true;
}

/** True when `text` has nothing {@linkcode escapeText} would change. */
export function isSafeText(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const unsafe = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return !unsafe;
}
