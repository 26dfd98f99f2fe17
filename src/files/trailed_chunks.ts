/**
 * Reading a byte range of an open file for a version 2 `GET`: the bytes go
 * out as they are read and the SHA-256 of the whole file is computed on the
 * way (the bytes before the range are read and hashed first), so a file
 * never seen before is read once. What the reply ends with is a trailer:
 * the hash, or the news that the file changed while it was sent (shrank,
 * grew, or was rewritten), in which case the rest of the announced length
 * is zeros and the peer must discard what it got. The peer's framing stays
 * intact either way.
 *
 * A file changed within the last second cannot show a further change in its
 * version (see `share/version.ts`); for such a file the whole file is read
 * again once sent and must hash the same.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type FileVersion, sameVersion, versionOf } from "../share/version.ts";
import type { FileSource } from "./hash_cache.ts";

/** Options for {@linkcode trailedChunks}. */
export interface TrailedChunksOptions {
  /** First byte sent. */
  start: number;
  /** One past the last byte sent: the file's size as announced. */
  end: number;
  /** The version announced: the file must still be it when the last byte has gone. */
  version: FileVersion;
  /** The version's SHA-256 when already known (a settled version): nothing is hashed then. */
  known?: string | undefined;
  /** The version is settled: a change would show in it. @default {true} */
  settled?: boolean;
  /** A buffer to reuse: each chunk is a view valid until the next one is asked for. */
  buffer?: Uint8Array;
}

/** How the reply ends: the whole file's SHA-256, or why what was sent is not one version. */
export type Trailer = { sha256: string; changed?: undefined } | { changed: string };

/** How many bytes pass between two checks of the version. */
const CHECK_EVERY = 4 * 1024 * 1024;
const CHUNK = 256 * 1024;

/**
 * The bytes `start` to `end` of `file`, exactly `end - start` of them, and
 * then (as the generator's return value) the trailer.
 */
export async function* trailedChunks(
  file: FileSource,
  options: TrailedChunksOptions,
): AsyncGenerator<Uint8Array, Trailer, void> {
  const { start, end, version, known, settled = true } = options;
  const buffer = options.buffer ?? new Uint8Array(CHUNK);
  const hash = known === undefined ? createHash("sha256") : undefined;
  let changed: string | undefined;
  let position = start;
  if (hash && start > 0) {
    await file.seek(0, Deno.SeekMode.Start);
    for (let at = 0; at < start;) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, start - at)));
      if (n === null) {
        changed = "the file shrank while being sent";
        break;
      }
      hash.update(buffer.subarray(0, n));
      at += n;
    }
  } else {
    await file.seek(start, Deno.SeekMode.Start);
  }
  let unchecked = 0;
  while (changed === undefined && position < end) {
    const n = await file.read(buffer.subarray(0, Math.min(buffer.length, end - position)));
    if (n === null) {
      changed = "the file shrank while being sent";
      break;
    }
    const data = buffer.subarray(0, n);
    hash?.update(data);
    position += n;
    unchecked += n;
    yield data;
    if (unchecked >= CHECK_EVERY && position < end) {
      unchecked = 0;
      if (!sameVersion(versionOf(await file.stat()), version)) {
        changed = "the file changed while being sent";
      }
    }
  }
  if (position < end) {
    // Keep the peer's framing: the rest of the announced length, as zeros.
    buffer.fill(0);
    while (position < end) {
      const n = Math.min(buffer.length, end - position);
      position += n;
      yield buffer.subarray(0, n);
    }
  }
  if (changed !== undefined) return { changed };
  if (!sameVersion(versionOf(await file.stat()), version)) {
    return { changed: "the file changed while being sent" };
  }
  const sha256 = known ?? hash!.digest("hex");
  if (!settled && !(await hashesTo(file, sha256, version.size, buffer))) {
    return { changed: "the file changed while being sent" };
  }
  return { sha256 };
}

/** Reads the whole file again: true when it is `size` bytes hashing to `sha256`. */
async function hashesTo(
  file: FileSource,
  sha256: string,
  size: number,
  buffer: Uint8Array,
): Promise<boolean> {
  const hash = createHash("sha256");
  await file.seek(0, Deno.SeekMode.Start);
  let total = 0;
  for (let n; (n = await file.read(buffer)) !== null;) {
    hash.update(buffer.subarray(0, n));
    total += n;
  }
  return total === size && hash.digest("hex") === sha256;
}
