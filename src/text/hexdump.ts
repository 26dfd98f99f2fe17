/**
 * Hex dumps in the layout of `hexdump -C` (and `ncat -x`): an offset, 16
 * bytes per row in hex (a gap after the eighth), and the same bytes as
 * printable ASCII between bars, every other byte shown as `.`, so nothing a
 * peer sends can act on the terminal. Pure.
 *
 * @module
 */

/** Options for {@linkcode hexdumpLines}. */
export interface HexdumpOptions {
  /** The offset of the first byte (bytes of this direction seen before). @default {0} */
  offset?: number;
  /** Put before every row, e.g. `< ` or `127.0.0.1:50312 > `. @default {""} */
  prefix?: string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const PRINTABLE = Array.from(
  { length: 256 },
  (_, i) => i >= 0x20 && i <= 0x7e ? String.fromCharCode(i) : ".",
);

/** Width of the hex column: 16 bytes, spaced, with a gap after the eighth. */
const HEX_WIDTH = 16 * 3 - 1 + 1;

/**
 * Formats bytes as hex dump rows (without line ends).
 *
 * @example A short chunk
 * ```ts
 * import { hexdumpLines } from "./hexdump.ts";
 * hexdumpLines(new TextEncoder().encode("hi\n"), { prefix: "< " });
 * // ["< 00000000  68 69 0a                                          |hi.|"]
 * ```
 */
export function hexdumpLines(bytes: Uint8Array, options: HexdumpOptions = {}): string[] {
  const { offset = 0, prefix = "" } = options;
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += 16) {
    const row = bytes.subarray(start, Math.min(start + 16, bytes.length));
    let hex = "";
    let ascii = "";
    for (let i = 0; i < row.length; i++) {
      const byte = row[i]!;
      hex += (i === 0 ? "" : i === 8 ? "  " : " ") + HEX[byte];
      ascii += PRINTABLE[byte];
    }
    const at = (offset + start).toString(16).padStart(8, "0");
    lines.push(`${prefix}${at}  ${hex.padEnd(HEX_WIDTH)}  |${ascii}|`);
  }
  return lines;
}
