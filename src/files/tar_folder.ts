/**
 * A folder of the share as a tar archive, streamed: the folder is walked
 * depth first through the sandbox (so what the listings leave out, the
 * archive leaves out: hidden names unless shown, links that lead outside
 * the share or nowhere, FIFOs, sockets and devices), each file read in 256
 * KiB chunks as it goes out. Nothing is staged on disk and memory stays
 * bounded by one listing per open level. A link back to a folder being
 * archived is left out (no endless archive). A file that changes while it
 * is read ends the stream with an error, so the archive is never completed
 * with a torn file.
 *
 * Requires `--allow-read` of the share.
 *
 * @module
 */

import type { Resolved, Sandbox } from "../share/sandbox.ts";
import { isFileSystemError } from "../share/sandbox.ts";
import { ShareError } from "../share/share_error.ts";
import { versionOf } from "../share/version.ts";
import { fileChunks } from "./file_chunks.ts";
import { TAR_END, tarHeader, tarPadding } from "./tar.ts";

/**
 * The archive of `dir`, its members named `top/…`.
 *
 * @throws {FileChangedError} (mid-stream) when a file changes while it is read
 */
export async function* tarFolder(
  sandbox: Sandbox,
  dir: Resolved,
  top: string,
): AsyncGenerator<Uint8Array> {
  yield* coalesce(walk(sandbox, dir, top, new Set([dir.real])));
  yield TAR_END;
}

/** Joins small pieces (headers, padding, small files) into chunks of up to 256 KiB. */
async function* coalesce(pieces: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  const SIZE = 256 * 1024;
  let batch = new Uint8Array(SIZE);
  let used = 0;
  for await (const piece of pieces) {
    if (used + piece.length > SIZE && used > 0) {
      yield batch.subarray(0, used);
      batch = new Uint8Array(SIZE);
      used = 0;
    }
    if (piece.length >= SIZE) {
      yield piece;
      continue;
    }
    batch.set(piece, used);
    used += piece.length;
  }
  if (used > 0) yield batch.subarray(0, used);
}

async function* walk(
  sandbox: Sandbox,
  dir: Resolved,
  path: string,
  open: Set<string>,
): AsyncGenerator<Uint8Array> {
  yield tarHeader({
    path,
    type: "directory",
    size: 0,
    mtime: dir.info.mtime?.getTime() ?? 0,
  });
  const base = dir.rel ? dir.rel.split("/") : [];
  for (const entry of await sandbox.list(dir)) {
    let resolved: Resolved;
    try {
      resolved = await sandbox.resolve([...base, entry.name]);
    } catch (err) {
      if (err instanceof ShareError || isFileSystemError(err)) continue; // gone or refused
      throw err;
    }
    const name = `${path}/${entry.name}`;
    if (resolved.info.isDirectory) {
      if (open.has(resolved.real)) continue; // a link back up: would never end
      open.add(resolved.real);
      yield* walk(sandbox, resolved, name, open);
      open.delete(resolved.real);
    } else {
      yield* member(resolved, name);
    }
  }
}

async function* member(
  resolved: Resolved,
  name: string,
): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(resolved.real);
  } catch (err) {
    if (isFileSystemError(err)) return; // removed or refused since listed
    throw err;
  }
  try {
    const info = await file.stat();
    if (!info.isFile) return;
    const version = versionOf(info);
    yield tarHeader({ path: name, type: "file", size: info.size, mtime: version.mtime });
    // A new array per chunk: the stream may still hold the last one when the next is read.
    yield* fileChunks(file, { start: 0, end: info.size, version });
    yield tarPadding(info.size);
  } finally {
    file.close();
  }
}
