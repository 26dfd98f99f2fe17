/**
 * A QR Code encoder (ISO/IEC 18004): byte mode (with the UTF-8 ECI when the
 * bytes are not ASCII), error correction level M,
 * versions 1 to 10 (up to 213 bytes: any URL sockit prints), Reed–Solomon
 * over GF(256), all eight masks tried and the one with the lowest penalty
 * (the standard's four rules) kept; and the code drawn for a terminal with
 * Unicode half blocks, two rows of modules per line of text. Pure.
 *
 * Written here rather than taken from npm: byte mode at one level is a few
 * hundred lines with no tables beyond ten rows, and the project keeps to
 * Deno and `node:` built-ins; the tests read every version back with zbar.
 *
 * @module
 */

/** A QR symbol: `size`×`size` modules, true for dark. */
export interface QrCode {
  version: number;
  size: number;
  mask: number;
  modules: boolean[][];
}

/** Level M, versions 1-10: [EC codewords per block, blocks, total codewords]. */
const LEVEL_M: readonly (readonly [number, number, number])[] = [
  [10, 1, 26],
  [16, 1, 44],
  [26, 1, 70],
  [18, 2, 100],
  [24, 2, 134],
  [16, 4, 172],
  [18, 4, 196],
  [22, 4, 242],
  [22, 5, 292],
  [26, 5, 346],
];

/** Centres of the alignment patterns, versions 1-10. */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
];

/** Level M's two bits in the format information. */
const FORMAT_M = 0b00;

/** The most bytes a level-M code of version 1-10 holds (ASCII; UTF-8 text: 1 less). */
export const QR_MAX_BYTES = 213;

function dataCapacity(version: number): number {
  const [ec, blocks, total] = LEVEL_M[version - 1]!;
  return total - ec * blocks;
}

/** Options for {@linkcode encodeQr}. */
export interface EncodeQrOptions {
  /** Use this mask (0-7) instead of the one with the lowest penalty (for tests). */
  mask?: number;
}

/**
 * Encodes `data` in the smallest version (1-10) that holds it.
 *
 * @throws {RangeError} over {@linkcode QR_MAX_BYTES} bytes
 * @example A URL
 * ```ts
 * import { encodeQr } from "./qr.ts";
 * encodeQr(new TextEncoder().encode("http://192.168.1.20:8080/")).version; // 2
 * ```
 */
export function encodeQr(data: Uint8Array, options: EncodeQrOptions = {}): QrCode {
  let version = 1;
  // Byte mode means ISO-8859-1 unless an ECI says otherwise: UTF-8 text says so (ECI 26).
  const utf8 = data.some((byte) => byte >= 0x80);
  const bitsFor = (v: number) => (utf8 ? 12 : 0) + 4 + (v < 10 ? 8 : 16) + 8 * data.length;
  while (version <= 10 && bitsFor(version) > dataCapacity(version) * 8) version++;
  if (version > 10) {
    throw new RangeError(
      `Cannot encode ${data.length} bytes as a QR code: at most ${QR_MAX_BYTES}`,
    );
  }
  // The bit stream: mode (byte), count, the bytes, a terminator, padding.
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  if (utf8) {
    put(0b0111, 4);
    put(26, 8);
  }
  put(0b0100, 4);
  put(data.length, version < 10 ? 8 : 16);
  for (const byte of data) put(byte, 8);
  const capacity = dataCapacity(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - bits.length % 8) % 8);
  const codewords: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    codewords.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  }
  for (let pad = 0xec; codewords.length < capacity / 8; pad ^= 0xec ^ 0x11) codewords.push(pad);
  const symbol = new QrMatrix(version);
  symbol.drawCodewords(interleave(version, codewords));
  let best = 0;
  let bestPenalty = Infinity;
  for (let mask = 0; mask < 8; mask++) {
    symbol.applyMask(mask);
    symbol.drawFormat(mask);
    const penalty = symbol.penalty();
    if (penalty < bestPenalty) {
      best = mask;
      bestPenalty = penalty;
    }
    symbol.applyMask(mask); // undo (XOR)
  }
  if (options.mask !== undefined) best = options.mask;
  symbol.applyMask(best);
  symbol.drawFormat(best);
  return { version, size: symbol.size, mask: best, modules: symbol.modules };
}

/** Splits data codewords into blocks, adds each block's EC codewords, interleaves them. */
function interleave(version: number, data: number[]): number[] {
  const [ecLength, blockCount, total] = LEVEL_M[version - 1]!;
  const shortBlocks = blockCount - (total % blockCount);
  const shortLength = Math.floor(total / blockCount); // data + EC of a short block
  const divisor = rsDivisor(ecLength);
  const blocks: number[][] = [];
  for (let i = 0, k = 0; i < blockCount; i++) {
    const length = shortLength - ecLength + (i < shortBlocks ? 0 : 1);
    const block = data.slice(k, k + length);
    k += length;
    const ec = rsRemainder(block, divisor);
    if (i < shortBlocks) block.push(0); // a placeholder, skipped below
    blocks.push([...block, ...ec]);
  }
  const out: number[] = [];
  for (let i = 0; i < blocks[0]!.length; i++) {
    blocks.forEach((block, j) => {
      if (i !== shortLength - ecLength || j >= shortBlocks) out.push(block[i]!);
    });
  }
  return out;
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1. */
function gfMultiply(x: number, y: number): number {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

/** The generator polynomial of degree `degree` (leading 1 left out), highest terms first. */
function rsDivisor(degree: number): number[] {
  const result = new Array<number>(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = gfMultiply(result[j]!, root);
      if (j + 1 < degree) result[j] = result[j]! ^ result[j + 1]!;
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

function rsRemainder(data: readonly number[], divisor: readonly number[]): number[] {
  const result = divisor.map(() => 0);
  for (const byte of data) {
    const factor = byte ^ result.shift()!;
    result.push(0);
    divisor.forEach((coefficient, i) => {
      result[i] = result[i]! ^ gfMultiply(coefficient, factor);
    });
  }
  return result;
}

const MASKS: readonly ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

/** The matrix being drawn: modules, and which of them are function patterns. */
class QrMatrix {
  readonly size: number;
  readonly modules: boolean[][];
  readonly #function: boolean[][];

  constructor(readonly version: number) {
    this.size = version * 4 + 17;
    this.modules = Array.from(
      { length: this.size },
      () => new Array<boolean>(this.size).fill(false),
    );
    this.#function = Array.from(
      { length: this.size },
      () => new Array<boolean>(this.size).fill(false),
    );
    this.#drawFunctionPatterns();
  }

  #set(x: number, y: number, dark: boolean): void {
    this.modules[y]![x] = dark;
    this.#function[y]![x] = true;
  }

  #drawFunctionPatterns(): void {
    const size = this.size;
    for (let i = 0; i < size; i++) {
      this.#set(6, i, i % 2 === 0);
      this.#set(i, 6, i % 2 === 0);
    }
    for (const [x, y] of [[3, 3], [size - 4, 3], [3, size - 4]] as const) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const distance = Math.max(Math.abs(dx), Math.abs(dy));
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && xx < size && yy >= 0 && yy < size) {
            this.#set(xx, yy, distance !== 2 && distance !== 4);
          }
        }
      }
    }
    const centres = ALIGNMENT[this.version - 1]!;
    const last = centres.length - 1;
    centres.forEach((cy, i) => {
      centres.forEach((cx, j) => {
        // Not over the three finder patterns.
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            this.#set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
          }
        }
      });
    });
    this.drawFormat(0); // reserves the format areas; redrawn once the mask is chosen
    if (this.version >= 7) {
      let remainder = this.version;
      for (let i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >>> 11) * 0x1f25);
      const bits = (this.version << 12) | remainder;
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1;
        const a = size - 11 + (i % 3);
        const b = Math.floor(i / 3);
        this.#set(a, b, dark);
        this.#set(b, a, dark);
      }
    }
  }

  /** The 15 format bits (level M, `mask`), BCH-protected, in both copies. */
  drawFormat(mask: number): void {
    const data = (FORMAT_M << 3) | mask;
    let remainder = data;
    for (let i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
    const bits = ((data << 10) | remainder) ^ 0x5412;
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    const size = this.size;
    for (let i = 0; i <= 5; i++) this.#set(8, i, bit(i));
    this.#set(8, 7, bit(6));
    this.#set(8, 8, bit(7));
    this.#set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.#set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.#set(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.#set(8, size - 15 + i, bit(i));
    this.#set(8, size - 8, true); // the dark module
  }

  /** Places the codewords in the zigzag of two-module columns, right to left. */
  drawCodewords(codewords: readonly number[]): void {
    const size = this.size;
    let i = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing pattern
      for (let vertical = 0; vertical < size; vertical++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? size - 1 - vertical : vertical;
          if (this.#function[y]![x] || i >= codewords.length * 8) continue;
          this.modules[y]![x] = ((codewords[i >>> 3]! >>> (7 - (i & 7))) & 1) === 1;
          i++;
        }
      }
    }
  }

  /** XORs mask `mask` over every module that is not a function pattern. */
  applyMask(mask: number): void {
    const rule = MASKS[mask]!;
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) {
        if (!this.#function[y]![x] && rule(x, y)) this.modules[y]![x] = !this.modules[y]![x];
      }
    }
  }

  /** The penalty score of the four rules: runs, 2×2 blocks, finder-like patterns, balance. */
  penalty(): number {
    const size = this.size;
    const m = this.modules;
    let score = 0;
    const lines: boolean[][] = [];
    for (let i = 0; i < size; i++) {
      lines.push(m[i]!);
      lines.push(m.map((row) => row[i]!));
    }
    const finderA = [true, false, true, true, true, false, true, false, false, false, false];
    const finderB = [...finderA].reverse();
    for (const line of lines) {
      let run = 1;
      for (let i = 1; i <= size; i++) {
        if (i < size && line[i] === line[i - 1]) {
          run++;
        } else {
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
      }
      for (let i = 0; i + 11 <= size; i++) {
        if (
          finderA.every((v, k) => line[i + k] === v) || finderB.every((v, k) => line[i + k] === v)
        ) {
          score += 40;
        }
      }
    }
    for (let y = 0; y + 1 < size; y++) {
      for (let x = 0; x + 1 < size; x++) {
        const c = m[y]![x];
        if (c === m[y]![x + 1] && c === m[y + 1]![x] && c === m[y + 1]![x + 1]) score += 3;
      }
    }
    let dark = 0;
    for (const row of m) for (const module of row) if (module) dark++;
    const total = size * size;
    score += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
    return score;
  }
}

/**
 * The code as lines of text for a terminal with a dark background: light
 * modules (and the quiet zone of `quiet` modules, 4 as the standard asks, around the code) are drawn
 * with block characters, dark ones left blank; each line holds two rows of
 * modules (`█`, `▀`, `▄` or a space).
 */
export function qrHalfBlocks(code: QrCode, quiet = 4): string[] {
  const size = code.size + 2 * quiet;
  const light = (x: number, y: number) => {
    const cx = x - quiet;
    const cy = y - quiet;
    if (cx < 0 || cy < 0 || cx >= code.size || cy >= code.size) return true;
    return !code.modules[cy]![cx];
  };
  const lines: string[] = [];
  for (let y = 0; y < size; y += 2) {
    let line = "";
    for (let x = 0; x < size; x++) {
      const top = light(x, y);
      const bottom = y + 1 < size ? light(x, y + 1) : false;
      line += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    lines.push(line);
  }
  return lines;
}
