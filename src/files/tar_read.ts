/**
 * A strict, streaming tar reader for `files get -r URL`: bytes in, members
 * out. Pure: it is fed the archive as it arrives and yields what it holds;
 * it never touches the disk. Memory stays constant: a header is gathered in
 * one 512-byte block, a file's content is passed on as views of the bytes
 * pushed, and an extended header is held only up to {@linkcode MAX_META}
 * bytes.
 *
 * It reads what sockit's HTTP face writes (POSIX.1-2001 pax: ustar headers,
 * with `path` and `size` records where they do not fit) and GNU tar's long
 * names (`L`). Only regular files and folders are passed on. Everything
 * else is refused, naming the member: links (hard and symbolic),
 * devices, FIFOs, unknown member types, a header whose checksum does not
 * add up, a name that is absolute, holds `..`, `.`, an empty component, a
 * NUL, a backslash or a drive letter, an extended header over the bound,
 * a size that is not a plain octal number, and an archive that ends before
 * its two zero blocks.
 *
 * @module
 */

import { MAX_COMPONENT_BYTES } from "../share/path.ts";
import { BLOCK } from "./tar.ts";

/** The largest extended header (pax `x`/`g`, GNU `L`) read: bigger ones are refused. */
export const MAX_META = 64 * 1024;
/** The longest member name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 4096;
/** Most components in a member name. */
export const MAX_NAME_COMPONENTS = 128;

/** A member the reader passes on. */
export interface TarMember {
  /** The name as the archive gives it, for messages (not escaped). */
  name: string;
  /** The checked components of the name: none empty, `.`, `..` or holding `/`, `\` or NUL. */
  path: string[];
  type: "file" | "directory";
  /** Content bytes (0 for a folder). */
  size: number;
  /** Modification time, ms since the epoch (0 when the header has none). */
  mtime: number;
}

/**
 * What the archive holds, in order: a member; then, for a file, its
 * content in `data` pieces (views valid until the next event is asked for)
 * and `done` once all of it arrived; `end` after the two zero blocks.
 */
export type TarEvent =
  | { type: "member"; member: TarMember }
  | { type: "data"; data: Uint8Array }
  | { type: "done" }
  | { type: "end" };

/** An archive refused: malformed, cut off, or holding something that is not extracted. */
export class TarFormatError extends Error {
  /** The member concerned, when there is one (not escaped). */
  readonly member: string | undefined;

  constructor(message: string, member?: string) {
    super(message);
    this.name = "TarFormatError";
    this.member = member;
  }
}

const ascii = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: true });

type State =
  | { kind: "header" }
  | { kind: "data"; left: number; padding: number }
  | { kind: "padding"; left: number }
  | { kind: "meta"; type: "x" | "g" | "L"; body: Uint8Array; at: number; padding: number }
  | { kind: "end" };

/** What the member types other than file and folder are called in a refusal. */
const REFUSED_TYPES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  K: "a GNU long link name",
};

/**
 * The reader: {@linkcode push} each piece of the archive as it arrives,
 * then {@linkcode end}. Both yield events lazily, so a consumer that awaits
 * between them keeps memory constant.
 */
export class TarReader {
  #state: State = { kind: "header" };
  readonly #header = new Uint8Array(BLOCK);
  #headerUsed = 0;
  #zeroBlocks = 0;
  /** Overrides for the next member, from a pax `x` header or a GNU `L`. */
  #pending: { path?: string; size?: number; mtime?: number } = {};
  /** The file whose content is arriving, for messages. */
  #current: TarMember | undefined;
  #read = 0;

  /** Whether both end blocks arrived. */
  get ended(): boolean {
    return this.#state.kind === "end";
  }

  /**
   * Feeds the next bytes of the archive. Bytes after the end blocks are
   * ignored (archives are often padded to a record size).
   *
   * @throws {TarFormatError} as soon as the archive is refused
   */
  *push(chunk: Uint8Array): Generator<TarEvent> {
    let at = 0;
    while (at < chunk.length) {
      const state = this.#state;
      if (state.kind === "end") return;
      if (state.kind === "data") {
        const n = Math.min(state.left, chunk.length - at);
        const data = chunk.subarray(at, at + n);
        at += n;
        this.#read += n;
        state.left -= n;
        if (state.left === 0) {
          this.#state = state.padding > 0
            ? { kind: "padding", left: state.padding }
            : { kind: "header" };
        }
        yield { type: "data", data };
        if (state.left === 0) {
          this.#current = undefined;
          yield { type: "done" };
        }
      } else if (state.kind === "padding") {
        const n = Math.min(state.left, chunk.length - at);
        at += n;
        this.#read += n;
        state.left -= n;
        if (state.left === 0) this.#state = { kind: "header" };
      } else if (state.kind === "meta") {
        const n = Math.min(state.body.length - state.at, chunk.length - at);
        state.body.set(chunk.subarray(at, at + n), state.at);
        state.at += n;
        at += n;
        this.#read += n;
        if (state.at === state.body.length) {
          this.#meta(state.type, state.body);
          this.#state = state.padding > 0
            ? { kind: "padding", left: state.padding }
            : { kind: "header" };
        }
      } else {
        let block: Uint8Array;
        if (this.#headerUsed === 0 && chunk.length - at >= BLOCK) {
          block = chunk.subarray(at, at + BLOCK); // the common case: no copy
          at += BLOCK;
        } else {
          const n = Math.min(BLOCK - this.#headerUsed, chunk.length - at);
          this.#header.set(chunk.subarray(at, at + n), this.#headerUsed);
          this.#headerUsed += n;
          at += n;
          if (this.#headerUsed < BLOCK) break;
          this.#headerUsed = 0;
          block = this.#header;
        }
        const offset = this.#read;
        this.#read += BLOCK;
        yield* this.#block(block, offset);
      }
    }
  }

  /**
   * Says the archive is over.
   *
   * @throws {TarFormatError} when it ended before its two zero blocks, in a
   *   member's content or in a header
   */
  end(): void {
    const state = this.#state;
    if (state.kind === "end") return;
    if (state.kind === "data" && this.#current) {
      const member = this.#current;
      throw new TarFormatError(
        `the archive was cut off in ${member.name} after ${member.size - state.left} of ` +
          `${member.size} bytes`,
        member.name,
      );
    }
    throw new TarFormatError(
      `the archive was cut off after ${this.#read + this.#headerUsed} bytes, before its end`,
    );
  }

  *#block(block: Uint8Array, offset: number): Generator<TarEvent> {
    if (block.every((byte) => byte === 0)) {
      this.#zeroBlocks++;
      if (this.#zeroBlocks === 2) {
        if (Object.keys(this.#pending).length > 0) {
          throw new TarFormatError("the archive ended right after an extended header");
        }
        this.#state = { kind: "end" };
        yield { type: "end" };
      }
      return;
    }
    if (this.#zeroBlocks > 0) {
      throw new TarFormatError(`a lone zero block before the header at byte ${offset}`);
    }
    const rawName = this.#headerName(block, offset);
    checkChecksum(block, rawName, offset);
    if (ascii.decode(block.subarray(257, 262)) !== "ustar") {
      throw new TarFormatError(`the header at byte ${offset} is not a ustar header`, rawName);
    }
    const type = block[156] === 0 ? "0" : String.fromCharCode(block[156]!);
    const name = this.#pending.path ?? rawName;
    const blockSize = octalField(block, 124, 12, "size", name);
    if (type === "x" || type === "g" || type === "L") {
      const size = blockSize;
      if (size > MAX_META) {
        const what = type === "L" ? "GNU long name" : "pax extended header";
        throw new TarFormatError(
          `a ${what} of ${size} bytes at byte ${offset} (over the ${MAX_META} allowed)`,
          name,
        );
      }
      if (type !== "g") this.#pending = {}; // one x or L per member: the last one counts
      this.#state = {
        kind: "meta",
        type,
        body: new Uint8Array(size),
        at: 0,
        padding: padding(size),
      };
      if (size === 0) {
        this.#meta(type, this.#state.body);
        this.#state = { kind: "header" };
      }
      return;
    }
    const size = this.#pending.size ?? blockSize;
    const refused = REFUSED_TYPES[type];
    if (refused !== undefined) throw new TarFormatError(`${name} is ${refused}`, name);
    if (type !== "0" && type !== "7" && type !== "5") {
      throw new TarFormatError(`${name} is of a member type not extracted ("${type}")`, name);
    }
    const directory = type === "5";
    const mtime = this.#pending.mtime ??
      (block[136]! & 0x80 ? 0 : octalField(block, 136, 12, "mtime", name, true) * 1000);
    this.#pending = {};
    const path = checkName(name, directory);
    if (directory && size !== 0) {
      throw new TarFormatError(`${name} is a folder with ${size} bytes of content`, name);
    }
    const member: TarMember = { name, path, type: directory ? "directory" : "file", size, mtime };
    yield { type: "member", member };
    if (directory) return;
    if (size === 0) {
      yield { type: "done" };
      return;
    }
    this.#current = member;
    this.#state = { kind: "data", left: size, padding: padding(size) };
  }

  /** The ustar name (prefix and name fields), for a refusal before pax applies. */
  #headerName(block: Uint8Array, offset: number): string {
    const name = cString(block.subarray(0, 100));
    const prefix = cString(block.subarray(345, 500));
    const bytes = prefix.length > 0 ? [...prefix, 0x2f, ...name] : name;
    try {
      return utf8.decode(new Uint8Array(bytes));
    } catch {
      throw new TarFormatError(`the name in the header at byte ${offset} is not UTF-8`);
    }
  }

  /** A pax `x` header or GNU `L` name applies to the next member; `g` is read and ignored. */
  #meta(type: "x" | "g" | "L", body: Uint8Array): void {
    if (type === "L") {
      let name: string;
      try {
        name = utf8.decode(cString(body));
      } catch {
        throw new TarFormatError("a GNU long name that is not UTF-8");
      }
      this.#pending.path = name;
      return;
    }
    const records = parsePax(body);
    if (type === "g") return; // global defaults: nothing sockit uses
    for (const [key, value] of records) {
      if (key === "path") {
        this.#pending.path = value;
      } else if (key === "size") {
        if (!/^\d{1,16}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) {
          throw new TarFormatError(`a pax size "${value}" that is not a byte count`);
        }
        this.#pending.size = Number(value);
      } else if (key === "mtime") {
        const seconds = Number(value);
        if (/^-?\d+(\.\d+)?$/.test(value) && Number.isFinite(seconds)) {
          this.#pending.mtime = Math.round(seconds * 1000);
        }
      }
      // Other keys (uid, uname, atime, xattrs, …) say nothing sockit writes.
    }
  }
}

/** Zeros after `size` content bytes up to a whole block. */
function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The bytes of a NUL-terminated field, without the NUL and what follows. */
function cString(field: Uint8Array): Uint8Array {
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/**
 * The header's checksum: the sum of its bytes with the checksum field taken
 * as spaces; unsigned, or signed as some old writers made it.
 */
function checkChecksum(block: Uint8Array, name: string, offset: number): void {
  const stored = octalField(block, 148, 8, "checksum", name);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarFormatError(
      `bad header checksum at byte ${offset} (${name}): ${stored}, the header adds up to ${unsigned}`,
      name,
    );
  }
}

/**
 * An octal number field: optional leading spaces, octal digits, then only
 * NULs or spaces. Base-256 (GNU's binary numbers) is refused: sockit's
 * server says a large size in a pax record.
 */
function octalField(
  block: Uint8Array,
  at: number,
  width: number,
  what: string,
  name: string,
  lenient = false,
): number {
  const text = ascii.decode(block.subarray(at, at + width));
  const match = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (!match) {
    if (lenient) return 0;
    throw new TarFormatError(
      `${name} has a ${what} field that is not an octal number`,
      name,
    );
  }
  return parseInt(match[1]!, 8);
}

/**
 * The records of a pax extended header: `LEN key=value\n`, LEN counting the
 * whole record in bytes. Values are UTF-8; anything malformed is refused.
 */
export function parsePax(body: Uint8Array): [string, string][] {
  const records: [string, string][] = [];
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0) {
      // Some writers pad the body with NULs: only NULs may follow.
      if (body.subarray(at).every((b) => b === 0)) break;
      throw new TarFormatError("a malformed pax record");
    }
    const space = body.indexOf(0x20, at);
    const lengthText = space < 0 ? "" : ascii.decode(body.subarray(at, space));
    if (!/^[1-9]\d{0,5}$/.test(lengthText)) throw new TarFormatError("a malformed pax record");
    const length = Number(lengthText);
    const end = at + length;
    if (end > body.length || body[end - 1] !== 0x0a) {
      throw new TarFormatError("a malformed pax record");
    }
    const equals = body.indexOf(0x3d, space + 1);
    if (equals < 0 || equals >= end - 1 || equals === space + 1) {
      throw new TarFormatError("a malformed pax record");
    }
    let key: string;
    let value: string;
    try {
      key = utf8.decode(body.subarray(space + 1, equals));
      value = utf8.decode(body.subarray(equals + 1, end - 1));
    } catch {
      throw new TarFormatError("a pax record that is not UTF-8");
    }
    records.push([key, value]);
    at = end;
  }
  return records;
}

/**
 * The checked components of a member's name: relative, no empty, `.` or
 * `..` component, no NUL or backslash, no drive letter, bounded in bytes and
 * depth. A folder's name may end in one `/`.
 *
 * @throws {TarFormatError} naming the member and what is wrong
 */
export function checkName(name: string, directory: boolean): string[] {
  const refuse = (why: string) => new TarFormatError(`${name} ${why}`, name);
  if (name === "") throw new TarFormatError("a member with an empty name", name);
  if (name.includes("\0")) throw refuse("holds a NUL byte");
  if (name.startsWith("/")) throw refuse("is an absolute path");
  if (name.includes("\\")) throw refuse("holds a backslash");
  if (/^[A-Za-z]:/.test(name)) throw refuse("starts with a drive letter");
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    throw refuse(`is longer than ${MAX_NAME_BYTES} bytes`);
  }
  const trimmed = directory && name.endsWith("/") ? name.slice(0, -1) : name;
  const path = trimmed.split("/");
  if (path.length > MAX_NAME_COMPONENTS) {
    throw refuse(`is deeper than ${MAX_NAME_COMPONENTS} components`);
  }
  for (const component of path) {
    if (component === "") throw refuse("has an empty component");
    if (component === "." || component === "..") throw refuse(`has a "${component}" component`);
    if (new TextEncoder().encode(component).length > MAX_COMPONENT_BYTES) {
      throw refuse(`has a component longer than ${MAX_COMPONENT_BYTES} bytes`);
    }
  }
  return path;
}
