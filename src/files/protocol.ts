/**
 * The sockit file protocol (docs/file-protocol.md) as a pure codec: request
 * lines → requests, paths → checked components (percent-decoding here, the
 * path rules in `share/path.ts`), replies ⇄ lines, and the `ERR` code for
 * each refusal of the shared folder. No sockets, no file system.
 *
 * @module
 */

import type { Entry } from "../share/entry.ts";
import { MAX_COMPONENT_BYTES, splitPath } from "../share/path.ts";
import { ShareError, type ShareErrorReason } from "../share/share_error.ts";

// The path limits and the entry are the shared folder's; the wire spec names them too.
export type { Entry } from "../share/entry.ts";
export { MAX_COMPONENT_BYTES, MAX_COMPONENTS, MAX_PATH_BYTES } from "../share/path.ts";

/** The newest protocol version this code speaks (it speaks every one from 1). */
export const PROTOCOL_VERSION = 2;
/** Longest request or reply line, in bytes. */
export const MAX_LINE = 4096;

/** A protocol error: `ERR CODE REASON`. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(reason);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/**
 * The `ERR` code for each refusal of the shared folder: 4xx for what the
 * client asked, 500 for what the server cannot do.
 */
export const SHARE_ERROR_CODES: Readonly<Record<ShareErrorReason, number>> = {
  "too-long": 400,
  "bad-name": 403,
  "hidden": 403,
  "outside": 403,
  "not-allowed": 403,
  "not-found": 404,
  "loop": 404,
  "not-a-directory": 400,
  "not-a-file": 400,
  "too-many": 413,
  "no-name": 400,
  "exists": 409,
  "too-large": 413,
  "mismatch": 422,
  "cannot-write": 500,
};

/** A refusal of the shared folder as `ERR CODE REASON`. */
export function protocolErrorOf(err: ShareError): ProtocolError {
  return new ProtocolError(SHARE_ERROR_CODES[err.reason], err.message);
}

/** A parsed request; paths are checked component lists. */
export type Request =
  | { verb: "HELLO"; version: number }
  | { verb: "STAT"; path: string[] }
  | { verb: "LIST"; path: string[] }
  | { verb: "GET"; path: string[]; offset: number }
  | { verb: "HASH"; path: string[] }
  | { verb: "PUT"; path: string[]; size: number; sha256: string }
  | { verb: "QUIT" };

/** Options for path checks. */
export interface PathOptions {
  /** Allow components starting with `.`. @default {false} */
  showHidden?: boolean;
}

const NUMBER = /^(?:0|[1-9]\d{0,15})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

/** Parses a decimal number field. */
export function parseNumber(text: string | undefined, what: string): number {
  if (text === undefined || !NUMBER.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    throw new ProtocolError(400, `bad ${what} "${text ?? ""}"`);
  }
  return Number(text);
}

/**
 * Percent-decodes a wire path (UTF-8), nothing more: the path rules are
 * {@linkcode splitPath}'s.
 *
 * @throws {SyntaxError} for bad percent-encoding or bytes that are not UTF-8
 */
export function decodePath(token: string): string {
  try {
    return decodeURIComponent(token);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    throw new SyntaxError(`bad percent-encoding in "${token}"`);
  }
}

/**
 * Decodes and checks a wire path: percent-decoding and UTF-8, then the
 * shared folder's path rules (no NUL, control characters, backslashes or
 * `..`, bounded size, no hidden component unless allowed).
 *
 * @example Paths
 * ```ts
 * import { parsePath } from "./protocol.ts";
 * parsePath("docs/a%20b.txt"); // ["docs", "a b.txt"]
 * ```
 * @throws {ProtocolError} 400 for malformed text, 403 for a path that is refused
 */
export function parsePath(token: string, options: PathOptions = {}): string[] {
  let decoded: string;
  try {
    decoded = decodePath(token);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new ProtocolError(400, err.message);
  }
  try {
    return splitPath(decoded, options);
  } catch (err) {
    if (!(err instanceof ShareError)) throw err;
    throw protocolErrorOf(err);
  }
}

/** Percent-encodes path components for the wire (`a b/c` → `a%20b/c`). */
export function encodePath(components: readonly string[]): string {
  return components.map(encodeURIComponent).join("/");
}

/**
 * Parses one request line (without its line end).
 *
 * @throws {ProtocolError} 400 malformed, 403 refused path, 505 unsupported version
 */
export function parseRequest(line: string, options: PathOptions = {}): Request {
  const [verb = "", ...fields] = line.split(" ");
  const count = (min: number, max: number) => {
    if (fields.length < min || fields.length > max) {
      throw new ProtocolError(400, `${verb} takes ${min === max ? min : `${min}-${max}`} fields`);
    }
  };
  switch (verb.toUpperCase()) {
    case "HELLO": {
      count(1, 1);
      const version = parseNumber(fields[0], "version");
      if (version < 1) {
        throw new ProtocolError(505, `this server speaks versions 1 to ${PROTOCOL_VERSION}`);
      }
      return { verb: "HELLO", version: Math.min(version, PROTOCOL_VERSION) };
    }
    case "STAT":
    case "LIST":
      count(0, 1);
      return {
        verb: verb.toUpperCase() as "STAT" | "LIST",
        path: parsePath(fields[0] ?? "", options),
      };
    case "HASH":
      count(1, 1);
      return {
        verb: "HASH",
        path: parsePath(fields[0] ?? "", options),
      };
    case "GET":
      count(1, 2);
      return {
        verb: "GET",
        path: parsePath(fields[0]!, options),
        offset: fields[1] === undefined ? 0 : parseNumber(fields[1], "offset"),
      };
    case "PUT": {
      count(3, 3);
      const sha256 = fields[2]!.toLowerCase();
      if (!SHA256.test(sha256)) throw new ProtocolError(400, "bad SHA256: 64 hex digits expected");
      return {
        verb: "PUT",
        path: parsePath(fields[0]!, options),
        size: parseNumber(fields[1], "size"),
        sha256,
      };
    }
    case "QUIT":
      count(0, 0);
      return { verb: "QUIT" };
    default:
      throw new ProtocolError(400, `unknown request "${verb.slice(0, 32)}"`);
  }
}

/** `TYPE SIZE MTIME NAME`, NAME percent-encoded. */
export function formatEntry(entry: Entry): string {
  return `${entry.type} ${entry.size} ${entry.mtime} ${encodeURIComponent(entry.name)}`;
}

/**
 * Parses an entry line from a server — which the client does not trust: a
 * name that is empty, `.`/`..`, or contains a separator or NUL (anything that
 * could leave the destination) is refused. Control characters are allowed
 * here and escaped wherever a name is printed.
 *
 * @throws {ProtocolError} 400 naming what is wrong
 */
export function parseEntry(line: string): Entry {
  const [type, size, mtime, name, ...extra] = line.split(" ");
  if ((type !== "f" && type !== "d") || name === undefined || extra.length > 0) {
    throw new ProtocolError(400, `bad LIST entry "${line.slice(0, 80)}"`);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    throw new ProtocolError(400, `bad percent-encoding in entry name "${name.slice(0, 80)}"`);
  }
  // Control characters are legal in names; they are escaped when printed.
  if (
    decoded === "" || decoded === "." || decoded === ".." || /[/\\\0]/.test(decoded) ||
    encoder.encode(decoded).length > MAX_COMPONENT_BYTES
  ) {
    throw new ProtocolError(
      400,
      `refusing entry name "${encodeURIComponent(decoded).slice(0, 80)}"`,
    );
  }
  return {
    type,
    size: parseNumber(size, "size"),
    mtime: parseNumber(mtime, "mtime"),
    name: decoded,
  };
}

/** `ERR CODE REASON` (one line: line breaks in REASON become spaces). */
export function formatError(code: number, reason: string): string {
  return `ERR ${code} ${reason.replace(/[\r\n]+/g, " ")}`;
}

/** A parsed reply line. */
export type Reply =
  | { ok: true; verb: string; fields: string[] }
  | { ok: false; code: number; reason: string };

/** Parses a reply line. @throws {ProtocolError} 400 when it is neither `OK …` nor `ERR …` */
export function parseReply(line: string): Reply {
  if (line.startsWith("OK ")) {
    const [verb = "", ...fields] = line.slice(3).split(" ");
    return { ok: true, verb, fields };
  }
  const match = /^ERR (\d{3}) (.*)$/s.exec(line);
  if (match) return { ok: false, code: Number(match[1]), reason: match[2]! };
  throw new ProtocolError(400, `unexpected reply "${line.slice(0, 80)}"`);
}
