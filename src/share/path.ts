/**
 * The path rules of the shared folder, on text that is already decoded (the
 * file protocol and the HTTP face percent-decode first; a TFTP filename is
 * used as it arrives): `/`-separated components, empty and `.` components
 * dropped, no `..`, backslashes, NUL or other control characters, bounded
 * sizes, and no hidden component unless hidden files are shown. Pure: no
 * file system (links are the sandbox's business).
 *
 * @module
 */

import { ShareError } from "./share_error.ts";

/** Longest path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;
/** Most path components. */
export const MAX_COMPONENTS = 64;
/** Longest path component, in UTF-8 bytes. */
export const MAX_COMPONENT_BYTES = 255;

/** Options for {@linkcode splitPath}. */
export interface SplitPathOptions {
  /** Allow components starting with `.`. @default {false} */
  showHidden?: boolean;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const encoder = new TextEncoder();

/**
 * Splits a decoded path into checked components. A leading `/` means
 * nothing (paths are always relative to the shared folder); `""`, `"/"` and
 * `"."` are the folder itself.
 *
 * @param text the path, already decoded
 * @returns the components, none empty, `.` or `..`
 * @throws {ShareError} `too-long` over the size limits, `bad-name` for `..`,
 * backslashes and control characters, `hidden` for a hidden component
 * @example Splitting paths
 * ```ts
 * import { splitPath } from "./path.ts";
 * splitPath("/docs/./a b.txt"); // ["docs", "a b.txt"]
 * splitPath(".env", { showHidden: true }); // [".env"]
 * ```
 */
export function splitPath(text: string, options: SplitPathOptions = {}): string[] {
  const { showHidden = false } = options;
  if (encoder.encode(text).length > MAX_PATH_BYTES) {
    throw new ShareError("too-long", `path over ${MAX_PATH_BYTES} bytes`);
  }
  if (text.includes("\\")) throw new ShareError("bad-name", "backslashes are not allowed in paths");
  if (CONTROL.test(text)) {
    throw new ShareError("bad-name", "control characters are not allowed in paths");
  }
  const components = text.split("/").filter((c) => c !== "" && c !== ".");
  if (components.length > MAX_COMPONENTS) {
    throw new ShareError("too-long", `path over ${MAX_COMPONENTS} components`);
  }
  for (const component of components) {
    if (component === "..") throw new ShareError("bad-name", `".." is not allowed in paths`);
    if (encoder.encode(component).length > MAX_COMPONENT_BYTES) {
      throw new ShareError("too-long", `path component over ${MAX_COMPONENT_BYTES} bytes`);
    }
    if (component.startsWith(".") && !showHidden) {
      throw new ShareError("hidden", "hidden files are not shared");
    }
  }
  return components;
}
