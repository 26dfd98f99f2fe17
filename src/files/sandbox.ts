/**
 * The shared folder as a sandbox: a checked path (see `parsePath`) is
 * resolved with every symbolic link followed, and refused unless the result
 * is inside the folder and, without `--show-hidden`, not hidden. Deno's
 * `--allow-read=DIR` checks a link's own path, not its target, so this check
 * is what keeps a link from leaking the rest of the disk.
 *
 * Requires `--allow-read=DIR` (and `--allow-write=DIR` for uploads).
 *
 * @module
 */

import { type Entry, MAX_LIST, ProtocolError } from "./protocol.ts";

/** A path inside the sandbox, resolved. */
export interface Resolved {
  /** The real path on disk. */
  real: string;
  /** Its path relative to the folder, `/`-separated ("" for the folder). */
  rel: string;
  info: Deno.FileInfo;
}

/** Options for {@linkcode Sandbox.open}. */
export interface SandboxOptions {
  /** Serve names starting with `.`. @default {false} */
  showHidden?: boolean;
}

const SEP = Deno.build.os === "windows" ? "\\" : "/";

/** A shared folder. */
export class Sandbox {
  /** The folder's real path. */
  readonly root: string;
  readonly showHidden: boolean;

  private constructor(root: string, showHidden: boolean) {
    this.root = root;
    this.showHidden = showHidden;
  }

  /**
   * Opens DIR as a sandbox.
   *
   * @throws {Deno.errors.NotFound} / {TypeError} when DIR is missing or not a directory
   */
  static async open(dir: string, options: SandboxOptions = {}): Promise<Sandbox> {
    const root = await Deno.realPath(dir);
    const info = await Deno.stat(root);
    if (!info.isDirectory) throw new TypeError(`Cannot share "${dir}": not a directory`);
    return new Sandbox(root, options.showHidden ?? false);
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
   * @throws {ProtocolError} 404 when missing, 403 when the real path leaves the folder or is hidden
   */
  async resolve(components: readonly string[]): Promise<Resolved> {
    const joined = [this.root, ...components].join(SEP);
    let real: string;
    try {
      real = await Deno.realPath(joined);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new ProtocolError(404, "no such file or directory");
      }
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw new ProtocolError(403, "not allowed");
      }
      throw err;
    }
    const rel = this.relative(real);
    if (rel === undefined) throw new ProtocolError(403, "outside the shared folder");
    if (!this.showHidden && rel.split("/").some((c) => c.startsWith("."))) {
      throw new ProtocolError(403, "hidden files are not shared");
    }
    return { real, rel, info: await Deno.stat(real) };
  }

  /**
   * Lists a resolved directory: name-sorted, without hidden names (unless
   * shown) and without links that lead outside the folder.
   *
   * @throws {ProtocolError} 400 when not a directory, 413 over the entry limit
   */
  async list(dir: Resolved): Promise<Entry[]> {
    if (!dir.info.isDirectory) throw new ProtocolError(400, "not a directory");
    const entries: Entry[] = [];
    for await (const item of Deno.readDir(dir.real)) {
      if (!this.showHidden && item.name.startsWith(".")) continue;
      let resolved: Resolved;
      try {
        resolved = await this.resolve([...(dir.rel ? dir.rel.split("/") : []), item.name]);
      } catch (err) {
        if (err instanceof ProtocolError) continue; // a dangling or escaping link, or hidden target
        throw err;
      }
      if (!resolved.info.isFile && !resolved.info.isDirectory) continue;
      entries.push({
        type: resolved.info.isDirectory ? "d" : "f",
        size: resolved.info.isFile ? resolved.info.size : 0,
        mtime: resolved.info.mtime?.getTime() ?? 0,
        name: item.name,
      });
      if (entries.length > MAX_LIST) throw new ProtocolError(413, `over ${MAX_LIST} entries`);
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
