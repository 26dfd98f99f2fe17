/**
 * A file's version as its metadata tells it: device, inode, size,
 * modification time and change time. `cp -p`, `rsync -t` and `touch -r`
 * keep size and mtime, but not the inode (a new file renamed into place) or
 * the change time (any write sets it, and no program can set it back), so
 * the five together change whenever the content can have changed.
 *
 * One catch: Deno reports the change time only to the second. A file can
 * therefore change again within the second of its last change without its
 * version changing; a version identifies the content only once it is
 * "settled", {@linkcode SETTLE_MS} after that second (the rule git uses
 * for its index, "racy git"). Until then, whoever caches by version must
 * look at the content instead. Pure.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** What identifies one version of a file's content. */
export interface FileVersion {
  /** Device. */
  dev: number;
  /** Inode (0 where the platform has none). */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
  /** Change time (status change), ms since the epoch; the mtime where the platform has none. */
  ctime: number;
}

/**
 * How long after its change time a version is settled: one second for the
 * change time's resolution, and 100 ms for the file system's clock, which
 * may lag the one that `Date.now()` reads by a tick.
 */
export const SETTLE_MS = 1_100;

/** The version of a file from what `stat` says of it. */
export function versionOf(info: Deno.FileInfo): FileVersion {
  const mtime = info.mtime?.getTime() ?? 0;
  return {
    dev: info.dev,
    ino: info.ino ?? 0,
    size: info.size,
    mtime,
    ctime: info.ctime?.getTime() ?? mtime,
  };
}

/**
 * A short tag naming `version` (16 hex digits): equal tags mean the same
 * device, inode, size, mtime and ctime. Version 2 of the file protocol
 * sends it with every GET so a client can tell whether its `.part` belongs
 * to the file as it is now.
 */
export function versionTag(version: FileVersion): string {
  const text = `${version.dev}:${version.ino}:${version.size}:${version.mtime}:${version.ctime}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** True when `a` and `b` are the same version. */
export function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtime === b.mtime &&
    a.ctime === b.ctime;
}

/**
 * True when `version`, read by a `stat` made at `now` or later, identifies
 * its content: any later change would give another change time.
 *
 * @param now `Date.now()` taken before the `stat` that gave `version`
 * @example A file changed just now is not settled yet
 * ```ts
 * import { isSettled } from "./version.ts";
 * const version = { dev: 1, ino: 2, size: 3, mtime: 0, ctime: 1_000_000 };
 * isSettled(version, 1_000_500); // false
 * isSettled(version, 1_002_000); // true
 * ```
 */
export function isSettled(version: FileVersion, now: number): boolean {
  return now >= version.ctime + SETTLE_MS;
}
