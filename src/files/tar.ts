/**
 * The headers of a tar archive (POSIX.1-2001 "pax" format: ustar headers,
 * plus an extended header where a name or size does not fit them), as the
 * HTTP face streams a folder. Pure: entries in, 512-byte blocks out.
 *
 * A name longer than 100 bytes, or with any byte outside printable ASCII
 * (UTF-8, control characters), gets a pax `path` record, which carries it
 * exactly (length-prefixed, so even a line break is safe); the ustar field
 * then holds a printable stand-in for readers that do not know pax. A size
 * of 8 GiB or more gets a pax `size` record. GNU tar, bsdtar and Python's
 * tarfile read both.
 *
 * @module
 */

/** One member of the archive. */
export interface TarEntry {
  /** The path in the archive, `/`-separated, without a trailing `/`. */
  path: string;
  type: "file" | "directory";
  /** Bytes that follow the header (0 for a directory). */
  size: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
}

/** A block of the archive. */
export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END: Uint8Array = new Uint8Array(2 * BLOCK);

const encoder = new TextEncoder();
/** The largest size the ustar field holds: 11 octal digits. */
const MAX_USTAR_SIZE = 8 ** 11 - 1;

/** Zeros that pad `size` bytes of content up to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The header blocks of `entry`: one ustar header, preceded by a pax
 * extended header when the name or size needs one.
 *
 * @example A short name needs one block
 * ```ts
 * import { tarHeader } from "./tar.ts";
 * tarHeader({ path: "docs/a.txt", type: "file", size: 5, mtime: 0 }).length; // 512
 * ```
 */
export function tarHeader(entry: TarEntry): Uint8Array {
  const name = entry.type === "directory" ? `${entry.path}/` : entry.path;
  const nameBytes = encoder.encode(name);
  const records: string[] = [];
  const plain = nameBytes.length <= 100 && !/[^\x20-\x7e]/.test(name);
  if (!plain) records.push(paxRecord("path", name));
  const big = entry.size > MAX_USTAR_SIZE;
  if (big) records.push(paxRecord("size", String(entry.size)));
  const header = ustar({
    name: plain ? nameBytes : standIn(name, entry.type === "directory"),
    type: entry.type === "directory" ? "5" : "0",
    size: big ? 0 : entry.size,
    mtime: entry.mtime,
  });
  if (records.length === 0) return header;
  const body = encoder.encode(records.join(""));
  const pax = ustar({
    name: encoder.encode("PaxHeader"),
    type: "x",
    size: body.length,
    mtime: entry.mtime,
  });
  const out = new Uint8Array(BLOCK + body.length + tarPadding(body.length).length + BLOCK);
  out.set(pax, 0);
  out.set(body, BLOCK);
  out.set(header, out.length - BLOCK);
  return out;
}

/** `LEN key=value\n`, LEN counting the whole record in bytes, itself included. */
function paxRecord(key: string, value: string): string {
  const rest = encoder.encode(` ${key}=${value}\n`).length;
  let length = rest + 1;
  while (length !== rest + String(length).length) length = rest + String(length).length;
  return `${length} ${key}=${value}\n`;
}

/** A printable ASCII name of at most 100 bytes for readers without pax. */
function standIn(name: string, directory: boolean): Uint8Array {
  const ascii = name.replace(/\/$/, "").replace(/[^\x20-\x7e]/g, "_");
  const cut = ascii.length > 99 ? ascii.slice(ascii.length - 99) : ascii;
  return encoder.encode(directory ? `${cut}/` : cut);
}

function ustar(fields: { name: Uint8Array; type: string; size: number; mtime: number }) {
  const block = new Uint8Array(BLOCK);
  block.set(fields.name.subarray(0, 100), 0);
  octal(block, 100, 8, fields.type === "5" ? 0o755 : 0o644);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, fields.size);
  octal(block, 136, 12, Math.max(0, Math.floor(fields.mtime / 1000)));
  block[156] = fields.type.charCodeAt(0);
  block.set(encoder.encode("ustar\u000000"), 257);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  let sum = 0;
  for (const byte of block) sum += byte;
  octal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/** Writes `value` as zero-padded octal in `width - 1` digits and a NUL. */
function octal(block: Uint8Array, at: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, "0");
  block.set(encoder.encode(digits), at);
  block[at + width - 1] = 0;
}
