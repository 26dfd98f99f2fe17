/**
 * TFTP packets (RFC 1350) with option extensions (RFC 2347 OACK, RFC 2348
 * blksize, RFC 2349 timeout and tsize, RFC 7440 windowsize) as a pure
 * codec, with bounds on every field. Malformed input throws
 * {@linkcode TftpParseError}, which carries the TFTP error code to answer with.
 *
 * @module
 */

/** TFTP error codes (RFC 1350 §5, RFC 2347). */
export const TftpError = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTid: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionNegotiation: 8,
} as const;

const ERROR_NAMES = [
  "not defined",
  "file not found",
  "access violation",
  "disk full",
  "illegal operation",
  "unknown transfer ID",
  "file already exists",
  "no such user",
  "options refused",
];

/**
 * A peer's ERROR as one line: its message (or the code's name when empty)
 * and the code, e.g. `File not found (TFTP error 1)`.
 */
export function errorText(code: number, message: string): string {
  const text = message.trim() || ERROR_NAMES[code] || "error";
  return `${text} (TFTP error ${code})`;
}

/** A packet that cannot be accepted; `code` is the TFTP error to answer with. */
export class TftpParseError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = "TftpParseError";
    this.code = code;
  }
}

/** Transfer modes. */
export type Mode = "octet" | "netascii";

/** Options as sent on the wire (lower-case names, decimal values). */
export type Options = Record<string, string>;

/** A TFTP packet. */
export type Packet =
  | { op: "RRQ" | "WRQ"; filename: string; mode: Mode; options: Options }
  | { op: "DATA"; block: number; data: Uint8Array }
  | { op: "ACK"; block: number }
  | { op: "ERROR"; code: number; message: string }
  | { op: "OACK"; options: Options };

const OPCODES = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
const NAMES = ["", "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"] as const;

/** Longest filename accepted, in bytes. */
export const MAX_FILENAME = 512;
/** Most options in one request. */
export const MAX_OPTIONS = 16;
/** The largest packet: a DATA of the largest blksize. */
export const MAX_PACKET = 4 + 65464;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Reads NUL-terminated strings from `bytes` starting at `offset`. */
function strings(bytes: Uint8Array, offset: number, what: string): string[] {
  const result: string[] = [];
  let start = offset;
  while (start < bytes.length) {
    const end = bytes.indexOf(0, start);
    if (end < 0) throw new TftpParseError(TftpError.illegalOperation, `unterminated ${what}`);
    try {
      result.push(utf8.decode(bytes.subarray(start, end)));
    } catch {
      throw new TftpParseError(TftpError.illegalOperation, `${what} is not valid text`);
    }
    start = end + 1;
  }
  return result;
}

function pairs(fields: string[], what: string): Options {
  if (fields.length % 2 !== 0) {
    throw new TftpParseError(TftpError.optionNegotiation, `an option in the ${what} has no value`);
  }
  if (fields.length / 2 > MAX_OPTIONS) {
    throw new TftpParseError(TftpError.optionNegotiation, `more than ${MAX_OPTIONS} options`);
  }
  const options: Options = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    if (name === "") throw new TftpParseError(TftpError.optionNegotiation, "an empty option name");
    options[name] = fields[i + 1]!;
  }
  return options;
}

/**
 * Decodes one datagram.
 *
 * @example A request
 * ```ts
 * import { decodePacket, encodePacket } from "./packet.ts";
 * decodePacket(encodePacket({ op: "RRQ", filename: "a.txt", mode: "octet", options: { blksize: "1468" } }));
 * ```
 * @throws {TftpParseError} for short packets, unknown opcodes, unterminated strings, bad modes
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < 2) {
    throw new TftpParseError(TftpError.illegalOperation, "packet shorter than an opcode");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const op = NAMES[view.getUint16(0)];
  if (!op) {
    throw new TftpParseError(TftpError.illegalOperation, `unknown opcode ${view.getUint16(0)}`);
  }
  switch (op) {
    case "RRQ":
    case "WRQ": {
      const fields = strings(bytes, 2, "request");
      if (fields.length < 2) {
        throw new TftpParseError(TftpError.illegalOperation, "request without filename and mode");
      }
      const [filename = "", rawMode = "", ...rest] = fields;
      if (filename === "") throw new TftpParseError(TftpError.illegalOperation, "empty filename");
      if (encoder.encode(filename).length > MAX_FILENAME) {
        throw new TftpParseError(TftpError.illegalOperation, `filename over ${MAX_FILENAME} bytes`);
      }
      const mode = rawMode.toLowerCase();
      if (mode !== "octet" && mode !== "netascii") {
        throw new TftpParseError(
          TftpError.illegalOperation,
          `unsupported mode "${rawMode.slice(0, 16)}"`,
        );
      }
      return { op, filename, mode, options: pairs(rest, "request") };
    }
    case "DATA":
      if (bytes.length < 4) {
        throw new TftpParseError(TftpError.illegalOperation, "DATA shorter than its header");
      }
      if (bytes.length > MAX_PACKET) {
        throw new TftpParseError(TftpError.illegalOperation, "DATA over 65464 bytes");
      }
      return { op, block: view.getUint16(2), data: bytes.subarray(4) };
    case "ACK":
      if (bytes.length !== 4) {
        throw new TftpParseError(TftpError.illegalOperation, "ACK is not 4 bytes");
      }
      return { op, block: view.getUint16(2) };
    case "ERROR": {
      if (bytes.length < 5) {
        throw new TftpParseError(TftpError.illegalOperation, "ERROR shorter than its header");
      }
      const [message = ""] = strings(bytes, 4, "error message");
      return { op, code: view.getUint16(2), message };
    }
    case "OACK":
      return { op, options: pairs(strings(bytes, 2, "OACK"), "OACK") };
  }
}

/** Encodes a packet. */
export function encodePacket(packet: Packet): Uint8Array {
  const head = (op: keyof typeof OPCODES, size: number) => {
    const bytes = new Uint8Array(size);
    new DataView(bytes.buffer).setUint16(0, OPCODES[op]);
    return bytes;
  };
  const zstrings = (fields: string[]) => fields.flatMap((f) => [...encoder.encode(f), 0]);
  switch (packet.op) {
    case "RRQ":
    case "WRQ":
    case "OACK": {
      const fields = packet.op === "OACK" ? [] : [packet.filename, packet.mode];
      for (const [name, value] of Object.entries(packet.options)) fields.push(name, value);
      const body = zstrings(fields);
      const bytes = head(packet.op, 2 + body.length);
      bytes.set(body, 2);
      return bytes;
    }
    case "DATA": {
      const bytes = head("DATA", 4 + packet.data.length);
      new DataView(bytes.buffer).setUint16(2, packet.block);
      bytes.set(packet.data, 4);
      return bytes;
    }
    case "ACK": {
      const bytes = head("ACK", 4);
      new DataView(bytes.buffer).setUint16(2, packet.block);
      return bytes;
    }
    case "ERROR": {
      const message = zstrings([packet.message]);
      const bytes = head("ERROR", 4 + message.length);
      new DataView(bytes.buffer).setUint16(2, packet.code);
      bytes.set(message, 4);
      return bytes;
    }
  }
}

/**
 * Encodes a DATA packet into `scratch` (at least 4 + data bytes) and
 * returns the view holding it: no allocation per block on the send path.
 *
 * @throws {RangeError} when `scratch` is too small
 */
export function encodeDataInto(
  scratch: Uint8Array,
  packet: Extract<Packet, { op: "DATA" }>,
): Uint8Array {
  const { block, data } = packet;
  const size = 4 + data.length;
  if (scratch.length < size) throw new RangeError(`Cannot encode DATA: ${size} bytes needed`);
  writeDataHeader(scratch, block);
  scratch.set(data, 4);
  return scratch.subarray(0, size);
}

/** Writes the 4-byte header of DATA `block` at the start of `target`. */
export function writeDataHeader(target: Uint8Array, block: number): void {
  target[0] = 0;
  target[1] = OPCODES.DATA;
  target[2] = block >> 8;
  target[3] = block & 0xff;
}

/** Negotiated transfer parameters. */
export interface Negotiated {
  /** @default {512} */
  blksize: number;
  /** Retransmission timeout in seconds. @default {1} */
  timeout: number;
  /** @default {1} */
  windowsize: number;
  /** The transfer size, when known. */
  tsize?: number;
}

/** Option bounds: RFC 2348 (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize). */
export const OPTION_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  blksize: [8, 65464],
  timeout: [1, 255],
  tsize: [0, Number.MAX_SAFE_INTEGER],
  windowsize: [1, 65535],
};

/** The most bytes a window may carry: far below a default UDP receive buffer (~208 KiB). */
export const WINDOW_BYTES = 64 * 1024;

/**
 * The largest windowsize for `blksize`: windowsize × blksize ≤
 * {@linkcode WINDOW_BYTES} (at least 1). A window larger than the
 * receiver's socket buffer loses its tail on every round and stalls on the
 * timeout each time; 16 × 64 KiB blocks did exactly that on loopback.
 */
export function maxWindow(blksize: number): number {
  return Math.max(1, Math.floor(WINDOW_BYTES / blksize));
}

/** Options for {@linkcode negotiate}. */
export interface NegotiateOptions {
  /** The size of the file to be read, the answer to `tsize` (a write's is echoed). */
  fileSize?: number;
  /** The transfer mode. @default {"octet"} */
  mode?: Mode;
}

/**
 * The server side of option negotiation: the options it accepts (to send
 * back in an OACK) and the resulting parameters. Unknown options are
 * ignored; a known option with a value out of range or not a number is
 * ignored too (RFC 2347 lets the server leave an option out). `tsize` in a
 * read request is answered with the file's size (left out in netascii, whose
 * size on the wire is unknown). `windowsize` is capped at
 * {@linkcode maxWindow} for the block size.
 */
export function negotiate(
  requested: Options,
  options: NegotiateOptions = {},
): { accepted: Options; params: Negotiated } {
  const { fileSize, mode = "octet" } = options;
  const accepted: Options = {};
  const params: Negotiated = { blksize: 512, timeout: 1, windowsize: 1 };
  for (const [name, value] of Object.entries(requested)) {
    // Own properties only: "constructor" or "__proto__" are not options.
    const bounds = Object.hasOwn(OPTION_BOUNDS, name) ? OPTION_BOUNDS[name] : undefined;
    if (!bounds || !/^\d{1,16}$/.test(value)) continue;
    let n = Number(value);
    // Out of bounds (tsize past 2^53 - 1 included): ignored, as RFC 2347 allows.
    if (n < bounds[0] || n > bounds[1]) continue;
    if (name === "tsize") {
      // netascii changes the size on the wire: a read's tsize is left out rather than guessed.
      if (mode === "netascii" && fileSize !== undefined) continue;
      n = fileSize ?? n;
      params.tsize = n;
      accepted.tsize = String(n);
      continue;
    }
    params[name as "blksize" | "timeout" | "windowsize"] = n;
    accepted[name] = String(n);
  }
  if (accepted.windowsize !== undefined) {
    params.windowsize = Math.min(params.windowsize, maxWindow(params.blksize));
    accepted.windowsize = String(params.windowsize);
  }
  return { accepted, params };
}

/** The port `tftp serve` listens on by default: the usual unprivileged stand-in for 69. */
export const TFTP_PORT = 6969;
