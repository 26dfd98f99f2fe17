/**
 * Storing an upload, the same for the file protocol and the HTTP face: the
 * bytes go to a temporary name in the target folder, size and SHA-256 are
 * checked, and the file is hard-linked into place only if no file of that
 * name exists, so an upload never overwrites and a failed one leaves
 * nothing behind.
 *
 * Requires `--allow-read=DIR --allow-write=DIR`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { writeAll } from "../net/buffer.ts";
import { ProtocolError } from "./protocol.ts";
import type { Sandbox } from "./sandbox.ts";

/** Options for {@linkcode storeUpload}. */
export interface StoreUploadOptions {
  /** The size announced by the client, when known. */
  size?: number | undefined;
  /** The SHA-256 announced by the client, when known. */
  sha256?: string | undefined;
  /** Largest upload accepted. */
  maxSize: number;
}

/**
 * Stores an upload at `path` (checked components). `receive` is called only
 * after the target checks pass, with a sink for the body's chunks; it
 * returns how many bytes it passed.
 *
 * @returns the stored size, hash, and the path relative to the folder
 * @throws {ProtocolError} 400 no name, 403/404 bad folder, 409 exists, 413 too large, 422 hash or size mismatch
 */
export async function storeUpload(
  sandbox: Sandbox,
  path: readonly string[],
  receive: (sink: (chunk: Uint8Array) => Promise<void>) => Promise<number>,
  options: StoreUploadOptions,
): Promise<{ size: number; sha256: string; rel: string }> {
  const { size, sha256: expected, maxSize } = options;
  const name = path.at(-1);
  if (name === undefined) throw new ProtocolError(400, "an upload needs a file name");
  if (size !== undefined && size > maxSize) {
    throw new ProtocolError(413, `uploads are at most ${maxSize} bytes`);
  }
  const parent = await sandbox.resolve(path.slice(0, -1));
  if (!parent.info.isDirectory) throw new ProtocolError(400, "the parent is not a directory");
  const rel = parent.rel ? `${parent.rel}/${name}` : name;
  const target = `${parent.real}/${name}`;
  const temp = `${parent.real}/.sockit-upload-${crypto.randomUUID()}`;
  const hash = createHash("sha256");
  let file: Deno.FsFile | undefined;
  try {
    try {
      file = await Deno.open(temp, { write: true, createNew: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw new ProtocolError(500, "the server may not write there");
      }
      throw err;
    }
    let stored = 0;
    const received = await receive(async (chunk) => {
      stored += chunk.length;
      if (stored > maxSize) throw new ProtocolError(413, `uploads are at most ${maxSize} bytes`);
      hash.update(chunk);
      await writeAll(file!, chunk);
    });
    file.close();
    file = undefined;
    if (size !== undefined && received !== size) {
      throw new ProtocolError(422, `expected ${size} bytes, got ${received}`);
    }
    const sha256 = hash.digest("hex");
    if (expected !== undefined && sha256 !== expected) {
      throw new ProtocolError(422, "the bytes do not match the SHA-256 given");
    }
    try {
      await Deno.link(temp, target); // fails if the name exists: never overwrites
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) throw new ProtocolError(409, `${name} exists`);
      throw err;
    }
    return { size: received, sha256, rel };
  } finally {
    file?.close();
    await Deno.remove(temp).catch(() => {});
  }
}
