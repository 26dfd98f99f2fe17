/**
 * A small seeded PRNG for the fuzzer: xoshiro128** seeded through
 * splitmix32, so that a run is fully determined by its seed and the same
 * seed gives the same inputs on every machine. Not for cryptography.
 *
 * @module
 */

/** One splitmix32 step: a well-mixed 32-bit value from any 32-bit value. */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over bytes or the UTF-16 code units of a string, as an unsigned 32-bit value. */
export function hash32(data: string | Uint8Array, start = 0x811c9dc5): number {
  let h = start >>> 0;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    h ^= typeof data === "string" ? data.charCodeAt(i) : data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic stream of random numbers. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed any number; only its low 32 bits count */
  constructor(seed: number) {
    let s = seed >>> 0;
    this.#a = s = mix32(s);
    this.#b = s = mix32(s);
    this.#c = s = mix32(s);
    this.#d = mix32(s) | 1; // never all zero
  }

  /**
   * The generator of input `index` of `target` in the run seeded `seed`:
   * every input can be regenerated on its own.
   */
  static forInput(seed: number, target: string, index: number): Rng {
    return new Rng(mix32(hash32(target, mix32(seed)) ^ mix32(index)) ^ index);
  }

  /** The generator an input's own bytes pick (chunk splits, options): the input alone replays it. */
  static forBytes(data: Uint8Array | string): Rng {
    return new Rng(hash32(data));
  }

  /** The next unsigned 32-bit value (xoshiro128**). */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** An integer in [0, n) (n ≥ 1). */
  below(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** A random 128-bit value. */
  bigint128(): bigint {
    let value = 0n;
    for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(this.next());
    return value;
  }

  /** A small size, most often tiny: `min` + a geometric number of doublings. */
  size(min: number, max: number): number {
    let limit = 2;
    while (limit < max && this.chance(0.5)) limit *= 2;
    return Math.min(max, min + this.below(limit));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
