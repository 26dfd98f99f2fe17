/**
 * Why the shared folder refuses a path or an upload. Each protocol answers a
 * refusal with its own code (the file protocol's `ERR` codes, HTTP statuses,
 * TFTP error codes) from a table keyed by {@linkcode ShareErrorReason}.
 *
 * @module
 */

/**
 * The ways the shared folder refuses:
 *
 * - `too-long`: a path, or one of its components, over the size limits, or too deep
 * - `bad-name`: a name the path rules refuse (`..`, backslashes, control characters)
 * - `hidden`: a hidden name (or a link to one) without `--show-hidden`
 * - `outside`: a path whose real location (links followed) is outside the folder
 * - `not-allowed`: the operating system or Deno's permissions deny access
 * - `not-found`: no such file or directory (also a dangling link)
 * - `loop`: a chain of symbolic links that never ends
 * - `not-a-directory`: a folder was needed (a listing, an upload's parent)
 * - `not-a-file`: a regular file was needed (an upload that replaces one)
 * - `too-many`: a directory with more entries than one listing holds
 * - `no-name`: an upload without a file name
 * - `exists`: an upload that must not replace the file already there
 * - `too-large`: an upload over the size limit
 * - `mismatch`: an upload whose size or SHA-256 differs from the one announced
 * - `cannot-write`: the server may not write into the folder
 */
export type ShareErrorReason =
  | "too-long"
  | "bad-name"
  | "hidden"
  | "outside"
  | "not-allowed"
  | "not-found"
  | "loop"
  | "not-a-directory"
  | "not-a-file"
  | "too-many"
  | "no-name"
  | "exists"
  | "too-large"
  | "mismatch"
  | "cannot-write";

/**
 * A refusal by the shared folder: `reason` for the protocol's code, the
 * message for the peer.
 *
 * @example Mapping a refusal to a code
 * ```ts
 * import { ShareError } from "./share_error.ts";
 * const err = new ShareError("not-found", "no such file or directory");
 * const code = err.reason === "not-found" ? 404 : 403;
 * ```
 */
export class ShareError extends Error {
  /** Why: each protocol maps this to its own error code. */
  readonly reason: ShareErrorReason;

  /**
   * Makes a refusal.
   *
   * @param reason why the folder refuses
   * @param message what to tell the peer, one line
   */
  constructor(reason: ShareErrorReason, message: string) {
    super(message);
    this.name = "ShareError";
    this.reason = reason;
  }
}
