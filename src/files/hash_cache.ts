/**
 * SHA-256 of shared files, computed once per file version (path, size,
 * mtime) and cached; concurrent requests for the same version share one
 * computation. Streaming, so memory stays constant whatever the file size.
 *
 * Requires `--allow-read` of the files.
 *
 * @module
 */

import { createHash } from "node:crypto";

interface Cached {
  size: number;
  mtime: number;
  sha256: Promise<string>;
}

/** Hashes a whole file, streaming. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buffer = new Uint8Array(256 * 1024);
  for (let n; (n = await file.read(buffer)) !== null;) hash.update(buffer.subarray(0, n));
  return hash.digest("hex");
}

/** A cache of file hashes keyed by real path and version. */
export class HashCache {
  #entries = new Map<string, Cached>();
  #limit: number;

  /** @param limit most files remembered (oldest forgotten first) */
  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** The SHA-256 of `path` as of `info` (its size and mtime). */
  sha256(path: string, info: Deno.FileInfo): Promise<string> {
    const size = info.size;
    const mtime = info.mtime?.getTime() ?? 0;
    const cached = this.#entries.get(path);
    if (cached && cached.size === size && cached.mtime === mtime) return cached.sha256;
    const sha256 = sha256File(path);
    this.#entries.delete(path);
    this.#entries.set(path, { size, mtime, sha256 });
    sha256.catch(() => this.#entries.delete(path));
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return sha256;
  }
}
