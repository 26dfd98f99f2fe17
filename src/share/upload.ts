/**
 * Storing an upload in the shared folder, the same for every protocol: the
 * bytes go to a temporary name in the target folder, size (and SHA-256 when
 * announced) are checked, and only then is the file put in place — linked
 * under its name where an existing file must not be replaced, renamed over
 * the target where it may. A failed or abandoned upload leaves nothing
 * behind, and an existing file is never touched by one.
 *
 * Two policies, as options: the file service (`create`, never `replace`)
 * adds new files only; TFTP with `--allow-write` (`replace`, and `create`
 * with `--create`) replaces existing files and keeps their permissions.
 *
 * Requires `--allow-read=DIR --allow-write=DIR`.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { writeAll } from "../net/buffer.ts";
import type { Sandbox } from "./sandbox.ts";
import { ShareError } from "./share_error.ts";

/** Options for {@linkcode stageUpload}. */
export interface StageUploadOptions {
  /** Store a file under a name that has none yet. @default {true} */
  create?: boolean;
  /**
   * Replace an existing file, keeping its permissions (through links inside
   * the folder, to the file they lead to; a link itself is never replaced).
   * Without it an existing name is refused with `exists` when the upload is
   * committed. @default {false}
   */
  replace?: boolean;
  /** Largest upload accepted, in bytes. @default {Infinity} */
  maxSize?: number;
  /** The size announced by the sender, checked by `commit()`. */
  size?: number | undefined;
  /** The SHA-256 announced by the sender (lower-case hex), checked by `commit()`. */
  sha256?: string | undefined;
  /** Compute the SHA-256 even when none is announced. @default {false} */
  hash?: boolean;
  /**
   * Flush the data to disk before the file is put in place, for protocols
   * whose acknowledgement promises the file is stored. @default {false}
   */
  durable?: boolean;
  /** Permission bits of a new file, before the umask. @default {0o666} */
  mode?: number;
  /** Start of the temporary name (hidden, so never listed). @default {".sockit-upload-"} */
  tempPrefix?: string;
}

/** A stored upload. */
export interface StoredUpload {
  /** Its path relative to the shared folder. */
  rel: string;
  /** Bytes stored. */
  size: number;
  /** Its SHA-256, when computed (announced or asked for with `hash`). */
  sha256: string | undefined;
}

/** Where an upload goes. */
interface Target {
  /** The folder holding the target, for the temporary file. */
  dir: string;
  /** The target's path on disk. */
  path: string;
  rel: string;
  /** The permission bits of the file being replaced, or null for a new one. */
  mode: number | null;
}

/**
 * Checks where an upload to `path` (checked components) would go and opens
 * its temporary file. Nothing is written until the caller writes; the file
 * appears under its name only when {@linkcode StagedUpload.commit} succeeds.
 * Dispose of the result (`using`) so that a failure removes the temporary file.
 *
 * @param share the shared folder
 * @param path the upload's components, the last one its name
 * @throws {ShareError} `no-name` for an empty path, `too-large` when the
 * announced size is over `maxSize`, `not-found` without `create` for a new
 * name, `not-a-file` when replacing something else, `not-a-directory` for a
 * parent that is not a folder, `cannot-write` when the server may not write
 * there, and the refusals of {@linkcode Sandbox.resolve}
 * @example Storing a body
 * ```ts ignore
 * import { stageUpload } from "./upload.ts";
 * using upload = await stageUpload(share, ["notes.txt"], { size: 5, hash: true });
 * await upload.write(new TextEncoder().encode("hello"));
 * const { rel, sha256 } = upload.commit(); // or ShareError "exists", "mismatch"
 * ```
 */
export async function stageUpload(
  share: Sandbox,
  path: readonly string[],
  options: StageUploadOptions = {},
): Promise<StagedUpload> {
  const {
    create = true,
    replace = false,
    maxSize = Infinity,
    size,
    sha256,
    hash = false,
    durable = false,
    mode = 0o666,
    tempPrefix = ".sockit-upload-",
  } = options;
  if (path.length === 0) throw new ShareError("no-name", "an upload needs a file name");
  if (size !== undefined && size > maxSize) {
    throw new ShareError("too-large", `uploads are at most ${maxSize} bytes`);
  }
  const target = await targetOf(share, path, { create, replace });
  const temp = `${target.dir}/${tempPrefix}${crypto.randomUUID()}`;
  let file: Deno.FsFile;
  try {
    const bits = target.mode === null ? mode : target.mode & 0o777;
    file = await Deno.open(temp, { write: true, createNew: true, mode: bits });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new ShareError("cannot-write", "the server may not write there");
    }
    throw err;
  }
  return new StagedUpload(file, temp, target, {
    replace,
    maxSize,
    size,
    sha256,
    hash: hash || sha256 !== undefined,
    durable,
  });
}

/** The target of an upload under the `create`/`replace` policy. */
async function targetOf(
  share: Sandbox,
  path: readonly string[],
  policy: { create: boolean; replace: boolean },
): Promise<Target> {
  if (policy.replace) {
    try {
      const existing = await share.resolve(path);
      if (!existing.info.isFile) throw new ShareError("not-a-file", "not a file");
      const cut = existing.real.lastIndexOf("/");
      return {
        dir: existing.real.slice(0, cut),
        path: existing.real,
        rel: existing.rel,
        mode: existing.info.mode,
      };
    } catch (err) {
      if (!(err instanceof ShareError) || err.reason !== "not-found") throw err;
    }
  }
  if (!policy.create) {
    throw new ShareError("not-found", "no such file (the server creates no new files)");
  }
  const parent = await share.resolve(path.slice(0, -1));
  if (!parent.info.isDirectory) {
    throw new ShareError("not-a-directory", "the parent is not a directory");
  }
  const name = path.at(-1)!;
  const target = `${parent.real}/${name}`;
  // With replace, a name that did not resolve may still be taken: by a link that
  // leads nowhere (or has just appeared). A link is never replaced by a file.
  if (policy.replace && (await lexists(target))) throw new ShareError("exists", `${name} exists`);
  return {
    dir: parent.real,
    path: target,
    rel: parent.rel ? `${parent.rel}/${name}` : name,
    mode: null,
  };
}

/** Whether a directory entry of that name exists, links not followed. */
async function lexists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** What {@linkcode StagedUpload} checks and how it commits. */
interface Checks {
  replace: boolean;
  maxSize: number;
  size: number | undefined;
  sha256: string | undefined;
  hash: boolean;
  durable: boolean;
}

/**
 * An upload on its way in: bytes go to a temporary file until `commit()`
 * puts it in place, or `abort()` (or leaving a `using` block uncommitted)
 * removes it.
 *
 * Writes come in two kinds because the protocols need both: `write()` for
 * streams that must not block the event loop (the file protocol, HTTP),
 * `writeSync()` for TFTP, which stores a block from the turn of the event
 * loop that received it. `commit()` is synchronous so that TFTP can have the
 * file in place before it sends the final ACK; its work is a few metadata
 * calls (and one flush when `durable`).
 */
export class StagedUpload implements Disposable {
  readonly #temp: string;
  readonly #target: Target;
  readonly #checks: Checks;
  readonly #hash: Hash | undefined;
  #file: Deno.FsFile | undefined;
  #written = 0;
  #done = false;

  /** Use {@linkcode stageUpload}. */
  constructor(file: Deno.FsFile, temp: string, target: Target, checks: Checks) {
    this.#file = file;
    this.#temp = temp;
    this.#target = target;
    this.#checks = checks;
    this.#hash = checks.hash ? createHash("sha256") : undefined;
  }

  /** The upload's path relative to the shared folder. */
  get rel(): string {
    return this.#target.rel;
  }

  /** Bytes written so far. */
  get written(): number {
    return this.#written;
  }

  /**
   * Appends `chunk`.
   *
   * @throws {ShareError} `too-large` when it would pass `maxSize` (nothing of it is written)
   */
  async write(chunk: Uint8Array): Promise<void> {
    await writeAll(this.#take(chunk), chunk);
  }

  /**
   * Appends `chunk`, synchronously.
   *
   * @throws {ShareError} `too-large` when it would pass `maxSize` (nothing of it is written)
   */
  writeSync(chunk: Uint8Array): void {
    const file = this.#take(chunk);
    let offset = 0;
    while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
  }

  /** Counts and hashes `chunk` before it is written; the open file. */
  #take(chunk: Uint8Array): Deno.FsFile {
    const file = this.#open();
    if (this.#written + chunk.length > this.#checks.maxSize) {
      throw new ShareError("too-large", `uploads are at most ${this.#checks.maxSize} bytes`);
    }
    this.#written += chunk.length;
    this.#hash?.update(chunk);
    return file;
  }

  #open(): Deno.FsFile {
    if (!this.#file) throw new Error(`Cannot write "${this.rel}": the upload is finished`);
    return this.#file;
  }

  /**
   * Checks the size and hash announced, then puts the file in place:
   * renamed over the file it replaces, or linked under a new name, which
   * fails if the name exists (so a link or anything else that appeared there
   * meanwhile is never replaced). The temporary file is gone either way (on
   * failure, once the upload is disposed of).
   *
   * @returns what was stored
   * @throws {ShareError} `mismatch` for a size or SHA-256 other than
   * announced, `exists` when the name is taken and may not be replaced
   */
  commit(): StoredUpload {
    const file = this.#open();
    if (this.#checks.durable) file.syncDataSync();
    file.close();
    this.#file = undefined;
    const { size, sha256: expected, replace } = this.#checks;
    if (size !== undefined && this.#written !== size) {
      throw new ShareError("mismatch", `expected ${size} bytes, got ${this.#written}`);
    }
    const sha256 = this.#hash?.digest("hex");
    if (expected !== undefined && sha256 !== expected) {
      throw new ShareError("mismatch", "the bytes do not match the SHA-256 given");
    }
    const { path, mode } = this.#target;
    const name = path.slice(path.lastIndexOf("/") + 1);
    // Replaced only while it is still the regular file that was resolved, never a
    // link put there since (that is refused by the link below).
    if (replace && mode !== null && isRegularFile(path)) {
      Deno.chmodSync(this.#temp, mode & 0o777);
      Deno.renameSync(this.#temp, path);
    } else {
      try {
        Deno.linkSync(this.#temp, path); // fails if the name exists: never replaces
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        throw new ShareError("exists", `${name} exists`);
      }
      removeQuietly(this.#temp);
    }
    this.#done = true;
    return { rel: this.rel, size: this.#written, sha256 };
  }

  /** Gives the upload up: the temporary file is closed and removed. Idempotent. */
  abort(): void {
    this.#file?.close();
    this.#file = undefined;
    if (this.#done) return;
    this.#done = true;
    removeQuietly(this.#temp);
  }

  /** Aborts unless committed. */
  [Symbol.dispose](): void {
    this.abort();
  }
}

/** Whether `path` itself (links not followed) is a regular file. */
function isRegularFile(path: string): boolean {
  try {
    return Deno.lstatSync(path).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone, or no longer ours to remove: nothing is left to clean.
  }
}
