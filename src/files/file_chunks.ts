/**
 * Reading a byte range of an open file for sending, such that a file that
 * changes meanwhile is never passed off as one version: its version is
 * checked every few MiB and before the last chunk goes out, and where the
 * version cannot show a change (a file changed within the last second, see
 * `share/version.ts`) the whole file is hashed on the way and the last
 * chunk held back until the hash is the one announced. A change cuts the
 * transfer short; the peer sees a short transfer, never a whole wrong one.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type FileVersion, sameVersion, versionOf } from "../share/version.ts";
import { FileChangedError, type FileSource } from "./hash_cache.ts";

/** Options for {@linkcode fileChunks}. */
export interface FileChunksOptions {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
  /** The version announced (headers, hash): the file must still be it. */
  version: FileVersion;
  /**
   * The whole file's SHA-256 as announced: the file is then read and hashed
   * from its start (bytes before `start` are not passed on) and to its end,
   * and the last chunk is passed on only when the hash matches.
   */
  sha256?: string | undefined;
  /**
   * A buffer to reuse: each chunk is then a view valid until the next one is
   * asked for. Without it every chunk is a new array.
   */
  buffer?: Uint8Array;
}

/** How many bytes pass between two checks of the version. */
const CHECK_EVERY = 4 * 1024 * 1024;
const CHUNK = 256 * 1024;

/**
 * The bytes `start` to `end` of `file`, in chunks of at most 256 KiB.
 *
 * @throws {FileChangedError} (before the chunk that would complete the range)
 * when the file is no longer `version`, shrank, or no longer hashes to `sha256`
 */
export async function* fileChunks(
  file: FileSource,
  options: FileChunksOptions,
): AsyncGenerator<Uint8Array> {
  const { start, end, version, sha256, buffer } = options;
  const hash = sha256 === undefined ? undefined : createHash("sha256");
  const next = () => buffer ?? new Uint8Array(CHUNK);
  const unchanged = async () => {
    if (!sameVersion(versionOf(await file.stat()), version)) {
      throw new FileChangedError("the file changed while being sent");
    }
  };
  let position = hash ? 0 : start;
  await file.seek(position, Deno.SeekMode.Start);
  while (hash && position < start) {
    const scratch = next();
    const n = await file.read(scratch.subarray(0, Math.min(scratch.length, start - position)));
    if (n === null) throw new FileChangedError("the file shrank while being sent");
    hash.update(scratch.subarray(0, n));
    position += n;
  }
  let unchecked = 0;
  while (position < end) {
    const chunk = next();
    const n = await file.read(chunk.subarray(0, Math.min(chunk.length, end - position)));
    if (n === null) throw new FileChangedError("the file shrank while being sent");
    const data = chunk.subarray(0, n);
    hash?.update(data);
    position += n;
    unchecked += n;
    if (position === end) {
      if (hash) {
        const scratch = new Uint8Array(CHUNK);
        for (let m; (m = await file.read(scratch)) !== null;) hash.update(scratch.subarray(0, m));
        if (hash.digest("hex") !== sha256) {
          throw new FileChangedError("the file changed while being sent");
        }
      }
      await unchanged();
    } else if (unchecked >= CHECK_EVERY) {
      await unchanged();
      unchecked = 0;
    }
    yield data;
  }
}
