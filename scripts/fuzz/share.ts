/**
 * Fuzz target of the shared folder's path rules (`src/share/path.ts`), on
 * decoded text as the file protocol, the HTTP face and TFTP hand it over,
 * and on the wire form the file protocol percent-encodes.
 *
 * @module
 */

import { encodePath, parsePath, ProtocolError } from "../../src/files/protocol.ts";
import { splitPath } from "../../src/share/path.ts";
import { ShareError } from "../../src/share/share_error.ts";
import type { FuzzTarget } from "./engine.ts";
import { checkComponents } from "./files.ts";
import { holds, refused, same, show, textOf, type Verdict } from "./property.ts";

function split(text: string, showHidden: boolean): string[] | undefined {
  try {
    return splitPath(text, { showHidden });
  } catch (err) {
    refused(err, ShareError);
    const reason = (err as ShareError).reason;
    holds(
      reason === "too-long" || reason === "bad-name" || reason === "hidden",
      "a path is refused as too-long, bad-name or hidden",
      reason,
    );
    return undefined;
  }
}

/** Paths as a peer names them, after decoding. */
export const path: FuzzTarget = {
  name: "share.path",
  about:
    "decoded path → splitPath (hidden off/on), and its wire form → parsePath: ShareError only, " +
    "no way out of the folder, bounds, round trip",
  kind: "text",
  seeds: [
    "",
    "/",
    ".",
    "a.txt",
    "/docs/./a b.txt",
    "docs//sub/",
    ".env",
    "docs/.git/config",
    "\u4f60\u597d/\u{1f600}.txt",
    "a".repeat(255),
    "a/".repeat(64),
  ],
  tokens: ["..", "/", "\\", ".", "%2e", "\0", "a".repeat(255), "a/".repeat(32)],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const strict = split(text, false);
    const open = split(text, true);
    if (strict) same(open, strict, "showing hidden files never changes an accepted path");
    if (!open) return "rejected";
    for (const [components, showHidden] of [[strict, false], [open, true]] as const) {
      if (!components) continue;
      checkComponents(components, showHidden);
      same(split(components.join("/"), showHidden), components, "splitPath(c.join('/')) == c");
      let wire: string[];
      try {
        wire = parsePath(encodePath(components), { showHidden });
      } catch (err) {
        refused(err, ProtocolError);
        throw new Error(
          `the wire form of ${show(components)} is refused: ${(err as Error).message}`,
        );
      }
      same(wire, components, "parsePath(encodePath(c)) == c");
    }
    return "accepted";
  },
};
