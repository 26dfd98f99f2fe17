/**
 * Hand-made tar bytes for tests: ustar headers of any type, name, size and
 * checksum (what no writer would make, and a reader must refuse), and pax
 * extended headers.
 *
 * @module
 */

import { tarPadding } from "../../src/files/tar.ts";

const encoder = new TextEncoder();

/** The parts, one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The fields of {@linkcode rawHeader}. */
export interface RawHeader {
  name: string;
  /** The type flag: "0" file, "5" folder, "1"/"2" links, "x" pax, … */
  type: string;
  size?: number;
  /** Added to the stored checksum (anything but 0 spoils it). */
  sum?: number;
  /** The magic field. @default {"ustar\0" + "00"} */
  magic?: string;
  /** The size field's text as it is, instead of `size` in octal. */
  sizeText?: string;
  linkname?: string;
}

/** A 512-byte ustar header written field by field, nothing checked. */
export function rawHeader(fields: RawHeader): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(512);
  block.set(encoder.encode(fields.name).subarray(0, 100), 0);
  block.set(encoder.encode("0000644\0"), 100);
  block.set(
    encoder.encode(fields.sizeText ?? (fields.size ?? 0).toString(8).padStart(11, "0") + "\0"),
    124,
  );
  block.set(encoder.encode("00000000000\0"), 136);
  block[156] = fields.type.charCodeAt(0);
  if (fields.linkname !== undefined) block.set(encoder.encode(fields.linkname), 157);
  block.set(encoder.encode(fields.magic ?? "ustar\u000000"), 257);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.set(encoder.encode((sum + (fields.sum ?? 0)).toString(8).padStart(6, "0") + "\0 "), 148);
  return block;
}

/** A pax record, `LEN key=value\n`, LEN counting the whole record in bytes. */
export function paxRecord(key: string, value: string): string {
  const rest = encoder.encode(` ${key}=${value}\n`).length;
  let length = rest + 1;
  while (length !== rest + String(length).length) length = rest + String(length).length;
  return `${length} ${key}=${value}\n`;
}

/** A pax extended header carrying `records` (formatted); `declared` overrides its size field. */
export function paxHeader(records: string, declared?: number): Uint8Array<ArrayBuffer> {
  const body = encoder.encode(records);
  return concat(
    rawHeader({ name: "PaxHeader", type: "x", size: declared ?? body.length }),
    body,
    tarPadding(body.length),
  );
}
