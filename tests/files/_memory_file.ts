/**
 * An open file in memory for hashing and sending tests: its bytes and what
 * `stat` says can be changed between reads, as another process would.
 *
 * @module
 */

import type { FileSource } from "../../src/files/hash_cache.ts";
import type { FileVersion } from "../../src/share/version.ts";

export class MemoryFile implements FileSource {
  bytes: Uint8Array;
  version: FileVersion;
  #position = 0;
  /** Called before each read with the position, to change the file midway. */
  onRead: ((position: number) => void) | undefined;

  constructor(bytes: Uint8Array, version: Partial<FileVersion> = {}) {
    this.bytes = bytes;
    this.version = { dev: 1, ino: 1, size: bytes.length, mtime: 1000, ctime: 1000, ...version };
  }

  read(p: Uint8Array): Promise<number | null> {
    this.onRead?.(this.#position);
    if (this.#position >= this.bytes.length) return Promise.resolve(null);
    const n = Math.min(p.length, this.bytes.length - this.#position);
    p.set(this.bytes.subarray(this.#position, this.#position + n));
    this.#position += n;
    return Promise.resolve(n);
  }

  seek(offset: number): Promise<number> {
    this.#position = offset;
    return Promise.resolve(offset);
  }

  stat(): Promise<Deno.FileInfo> {
    const { dev, ino, size, mtime, ctime } = this.version;
    return Promise.resolve(
      { dev, ino, size, mtime: new Date(mtime), ctime: new Date(ctime) } as Deno.FileInfo,
    );
  }
}

/** `size` bytes counting up (mod 256). */
export function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i & 0xff;
  return bytes;
}
