/**
 * A directory entry as the shared folder lists it, the same for the file
 * protocol's LIST and the HTTP face's pages.
 *
 * @module
 */

/** Most entries in one listing. */
export const MAX_LIST = 100_000;

/** A directory entry. */
export interface Entry {
  /** `f` for a file, `d` for a directory. */
  type: "f" | "d";
  /** Size in bytes (0 for a directory). */
  size: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
  /** The name, as on disk. */
  name: string;
}
