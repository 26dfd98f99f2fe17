/**
 * The one policy for a file a command writes (`files get`, `tftp get`,
 * `http get -o`), checked before anything is transferred: `-` is stdout; a
 * folder, or a path whose folder is missing, cannot be written; an existing
 * file is replaced only when asked to.
 *
 * Needs `--allow-read` of the destination's folder (as `Planner.besides` grants).
 *
 * @module
 */

import { parentOf } from "./plan.ts";

/**
 * Why a destination cannot be written: `directory` (it is a folder),
 * `no-folder` (its folder is missing or not a folder), `exists` (a file is
 * there and replacing it was not asked for).
 */
export type DestinationProblem = "directory" | "no-folder" | "exists";

/** A destination the command must refuse, with the line that says why. */
export interface DestinationRefusal {
  problem: DestinationProblem;
  message: string;
}

/** The output that means stdout. */
export const STDOUT = "-";

async function statOrNone(path: string, follow: boolean): Promise<Deno.FileInfo | undefined> {
  try {
    return follow ? await Deno.stat(path) : await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Checks `path` as a destination; undefined when it may be written.
 * Permission and other I/O errors pass as they come.
 */
export async function checkDestination(
  path: string,
  options: { force?: boolean } = {},
): Promise<DestinationRefusal | undefined> {
  if (path === STDOUT) return undefined;
  const target = await statOrNone(path, true);
  if (target?.isDirectory) {
    return { problem: "directory", message: `Cannot save to "${path}": it is a directory` };
  }
  const parent = parentOf(path);
  if (!(await statOrNone(parent, true))?.isDirectory) {
    return { problem: "no-folder", message: `Cannot save to "${path}": no folder "${parent}"` };
  }
  if (!options.force && (target || await statOrNone(path, false))) {
    return { problem: "exists", message: `${path} exists` };
  }
  return undefined;
}
