/**
 * SHA-256 of shared files, computed once per file version (device, inode,
 * size, mtime and ctime: see `share/version.ts`) and cached; concurrent
 * requests for the same version share one computation. Only settled
 * versions are cached: a file changed within the last second is hashed
 * again each time, because its version cannot show a further change yet.
 * Streaming, so memory stays constant whatever the file size.
 *
 * Requires `--allow-read` of the files.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type FileVersion, sameVersion, versionOf } from "../share/version.ts";

/** A file changed while it was read: what was read is not one version of it. */
export class FileChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileChangedError";
  }
}

/** An open file, as hashing and sending read it (`Deno.FsFile` is one). */
export interface FileSource {
  read(p: Uint8Array): Promise<number | null>;
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  stat(): Promise<Deno.FileInfo>;
}

/** Hashes a whole file by path, streaming. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buffer = new Uint8Array(256 * 1024);
  for (let n; (n = await file.read(buffer)) !== null;) hash.update(buffer.subarray(0, n));
  return hash.digest("hex");
}

/**
 * Hashes an open file from its start, which must be `version` throughout:
 * its size is what was read and its version the same once read.
 *
 * @throws {FileChangedError} when the file changed while it was read
 */
export async function sha256Of(file: FileSource, version: FileVersion): Promise<string> {
  const hash = createHash("sha256");
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  for (let n; (n = await file.read(buffer)) !== null;) {
    hash.update(buffer.subarray(0, n));
    total += n;
  }
  if (total !== version.size || !sameVersion(versionOf(await file.stat()), version)) {
    throw new FileChangedError("the file changed while it was hashed");
  }
  return hash.digest("hex");
}

interface Cached {
  version: FileVersion;
  sha256: Promise<string>;
}

/** A cache of file hashes keyed by real path and version. */
export class HashCache {
  #entries = new Map<string, Cached>();
  #limit: number;

  /** @param limit most files remembered (oldest forgotten first) */
  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /**
   * The SHA-256 remembered for `version` of the file at `path` (it may still
   * be being computed), or undefined.
   */
  known(path: string, version: FileVersion): Promise<string> | undefined {
    const cached = this.#entries.get(path);
    return cached && sameVersion(cached.version, version) ? cached.sha256 : undefined;
  }

  /**
   * Remembers `sha256` for `version` of the file at `path`, computed by the
   * caller from one version throughout; only a settled version is remembered.
   */
  remember(path: string, version: FileVersion, sha256: string, settled: boolean): void {
    this.#entries.delete(path);
    if (!settled) return;
    this.#entries.set(path, { version, sha256: Promise.resolve(sha256) });
    this.#trim();
  }

  #trim(): void {
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /**
   * The SHA-256 of the open `file`, whose real path is `path` and whose
   * version is `version`; remembered for that version only when `settled`.
   *
   * @throws {FileChangedError} when the file changed while it was hashed
   */
  sha256(path: string, file: FileSource, version: FileVersion, settled: boolean): Promise<string> {
    const cached = this.#entries.get(path);
    if (cached && sameVersion(cached.version, version)) return cached.sha256;
    const sha256 = sha256Of(file, version);
    if (!settled) {
      this.#entries.delete(path);
      return sha256;
    }
    this.#entries.delete(path);
    this.#entries.set(path, { version, sha256 });
    sha256.catch(() => {
      if (this.#entries.get(path)?.sha256 === sha256) this.#entries.delete(path);
    });
    this.#trim();
    return sha256;
  }
}
