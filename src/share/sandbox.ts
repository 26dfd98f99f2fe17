/**
 * The shared folder as a sandbox: a checked path (see `splitPath`) is
 * resolved with every symbolic link followed, and refused unless the result
 * is inside the folder and, without `--show-hidden`, not hidden. Deno's
 * `--allow-read=DIR` checks a link's own path, not its target, so this check
 * is what keeps a link from leaking the rest of the disk.
 *
 * Requires `--allow-read=DIR` (and `--allow-write=DIR` for uploads).
 *
 * @module
 */

import { type Entry, MAX_LIST } from "./entry.ts";
import { ShareError } from "./share_error.ts";

/** A path inside the sandbox, resolved. */
export interface Resolved {
  /** The real path on disk. */
  real: string;
  /** Its path relative to the folder, `/`-separated ("" for the folder). */
  rel: string;
  /** What `Deno.stat` says of it. */
  info: Deno.FileInfo;
}

/** Options for {@linkcode openShare} and the {@linkcode Sandbox} constructor. */
export interface SandboxOptions {
  /** Serve names starting with `.`. @default {false} */
  showHidden?: boolean;
}

const SEP = Deno.build.os === "windows" ? "\\" : "/";

/**
 * Opens DIR as the shared folder.
 *
 * Requires `--allow-read=DIR`.
 *
 * @param dir the folder, as the user gave it
 * @throws {TypeError} `Cannot share "DIR": no such directory` or `…: not a directory`
 * (input errors: a command turns them into exit 2 with `inputAsync`)
 * @example Sharing a folder
 * ```ts ignore
 * import { openShare } from "./sandbox.ts";
 * const share = await openShare("./public", { showHidden: false });
 * console.log(share.root);
 * ```
 */
export async function openShare(dir: string, options: SandboxOptions = {}): Promise<Sandbox> {
  let root: string;
  try {
    root = await Deno.realPath(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new TypeError(`Cannot share "${dir}": no such directory`);
    }
    throw err;
  }
  const info = await Deno.stat(root);
  if (!info.isDirectory) throw new TypeError(`Cannot share "${dir}": not a directory`);
  return new Sandbox(root, options);
}

/**
 * Checks, before anything is served, that `dir` is a folder that can be
 * shared: what a permission plan does with the folder it names. A folder the
 * process may not look at (no read permission yet) passes; serving it will
 * say what is wrong.
 *
 * @throws {TypeError} `Cannot share "x": no such directory` (or not a directory)
 */
export function checkShareDir(dir: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new TypeError(`Cannot share "${dir}": no such directory`);
    }
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return;
    }
    throw err;
  }
  if (!info.isDirectory) throw new TypeError(`Cannot share "${dir}": not a directory`);
}

/** A shared folder. */
export class Sandbox {
  /** The folder's real path. */
  readonly root: string;
  /** Whether names starting with `.` are served. */
  readonly showHidden: boolean;

  /**
   * Shares `root` as it is; {@linkcode openShare} checks the folder first.
   *
   * @param root the real path of an existing folder
   */
  constructor(root: string, options: SandboxOptions = {}) {
    const { showHidden = false } = options;
    this.root = root;
    this.showHidden = showHidden;
  }

  /** The part of a real path below the root ("" for the root), or undefined when outside. */
  relative(real: string): string | undefined {
    if (real === this.root) return "";
    const prefix = this.root.endsWith(SEP) ? this.root : this.root + SEP;
    if (!real.startsWith(prefix)) return undefined;
    return real.slice(prefix.length).split(SEP).join("/");
  }

  /**
   * Resolves checked components to a real path inside the folder.
   *
   * @throws {ShareError} `not-found` when missing (a dangling link, a path
   * through a file, or a link whose target's name is too long), `loop` for an
   * endless chain of links, `not-allowed` when access is denied, `outside`
   * when the real path leaves the folder, `hidden` when it is hidden,
   * `not-a-file` for what is neither a regular file nor a folder (a FIFO, a
   * socket, a device). Other
   * errors of the file system (an I/O error) pass through.
   */
  async resolve(components: readonly string[]): Promise<Resolved> {
    const joined = [this.root, ...components].join(SEP);
    let real: string;
    let info: Deno.FileInfo;
    try {
      real = await Deno.realPath(joined);
    } catch (err) {
      throw refusal(err);
    }
    const rel = this.relative(real);
    if (rel === undefined) throw new ShareError("outside", "outside the shared folder");
    if (!this.showHidden && rel.split("/").some((c) => c.startsWith("."))) {
      throw new ShareError("hidden", "hidden files are not shared");
    }
    try {
      info = await Deno.stat(real);
    } catch (err) {
      throw refusal(err); // replaced or removed since realPath
    }
    // A FIFO, socket or device is not content: reading one blocks or never ends.
    if (!info.isFile && !info.isDirectory) {
      throw new ShareError("not-a-file", "not a regular file or folder");
    }
    return { real, rel, info };
  }

  /**
   * Lists a resolved directory: name-sorted, without hidden names (unless
   * shown) and without links that lead outside the folder or nowhere.
   *
   * An entry that cannot be resolved (a dangling, looping or escaping link,
   * a disk error on that entry alone) is left out: one bad entry never fails
   * the listing.
   *
   * @throws {ShareError} `not-a-directory` when `dir` is not one, `too-many`
   * over {@linkcode MAX_LIST} entries, and the refusals of reading the
   * directory itself (gone: `not-found`; denied: `not-allowed`)
   */
  async list(dir: Resolved): Promise<Entry[]> {
    if (!dir.info.isDirectory) throw new ShareError("not-a-directory", "not a directory");
    const entries: Entry[] = [];
    try {
      for await (const item of Deno.readDir(dir.real)) {
        if (!this.showHidden && item.name.startsWith(".")) continue;
        const entry = await this.#entry(dir, item.name);
        if (entry === undefined) continue;
        entries.push(entry);
        if (entries.length > MAX_LIST) throw new ShareError("too-many", `over ${MAX_LIST} entries`);
      }
    } catch (err) {
      throw refusal(err);
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One listed entry, or undefined when it cannot be resolved (or is neither file nor folder). */
  async #entry(dir: Resolved, name: string): Promise<Entry | undefined> {
    let resolved: Resolved;
    try {
      resolved = await this.resolve([...(dir.rel ? dir.rel.split("/") : []), name]);
    } catch (err) {
      if (err instanceof ShareError || isFileSystemError(err)) return undefined;
      throw err;
    }
    return {
      type: resolved.info.isDirectory ? "d" : "f",
      size: resolved.info.isFile ? resolved.info.size : 0,
      mtime: resolved.info.mtime?.getTime() ?? 0,
      name,
    };
  }
}

/**
 * True for an error of the operating system's file calls: one of
 * `Deno.errors` or an error carrying an OS code (`ENAMETOOLONG`, `EIO`, …).
 */
export function isFileSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "string";
}

/** The refusal for a failed file call; other errors pass through. */
function refusal(err: unknown): unknown {
  if (err instanceof ShareError) return err;
  // A path through a file (ENOTDIR) names nothing, as a missing one does, and
  // neither does a link whose target has a name too long to exist.
  if (
    err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
    (err instanceof Error && (err as { code?: unknown }).code === "ENAMETOOLONG")
  ) {
    return new ShareError("not-found", "no such file or directory");
  }
  if (err instanceof Deno.errors.FilesystemLoop) {
    return new ShareError("loop", "too many levels of symbolic links");
  }
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return new ShareError("not-allowed", "not allowed");
  }
  return err;
}
