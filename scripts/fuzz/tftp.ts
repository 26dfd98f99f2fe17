/**
 * Fuzz targets of TFTP: the packet codec (`src/tftp/packet.ts`), option
 * negotiation on both sides (`negotiate` on the server, `acceptOack` on the
 * client, `src/tftp/request.ts`), and the netascii codec
 * (`src/tftp/netascii.ts`) over any block boundaries.
 *
 * @module
 */

import { NetasciiDecoder, NetasciiEncoder } from "../../src/tftp/netascii.ts";
import {
  decodePacket,
  encodePacket,
  MAX_FILENAME,
  MAX_OPTIONS,
  MAX_PACKET,
  maxWindow,
  type Mode,
  negotiate,
  type Negotiated,
  type Options,
  type Packet,
  TftpError,
  TftpParseError,
} from "../../src/tftp/packet.ts";
import { acceptOack, requestOptions } from "../../src/tftp/request.ts";
import type { FuzzTarget, Origin } from "./engine.ts";
import { asBytes } from "./mutate.ts";
import {
  byteLength,
  concat,
  equalBytes,
  holds,
  refused,
  same,
  show,
  type Verdict,
} from "./property.ts";
import { Rng } from "./rng.ts";

const KNOWN = ["blksize", "timeout", "tsize", "windowsize"];

function packet(op: number, ...fields: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([op >> 8, op & 0xff])];
  for (const field of fields) parts.push(asBytes(field));
  return concat(parts);
}

function decode(input: Uint8Array): Packet | undefined {
  try {
    return decodePacket(input);
  } catch (err) {
    refused(err, TftpParseError);
    const code = (err as TftpParseError).code;
    holds(
      code === TftpError.illegalOperation || code === TftpError.optionNegotiation,
      "a malformed packet is answered with TFTP error 4 or 8",
      `${code}`,
    );
    return undefined;
  }
}

function checkOptions(options: Options): void {
  const names = Object.keys(options);
  holds(names.length <= MAX_OPTIONS, `at most ${MAX_OPTIONS} options`, `${names.length}`);
  for (const name of names) {
    holds(name !== "" && name === name.toLowerCase(), "option names are lower case", show(name));
    holds(!name.includes("\0") && !options[name]!.includes("\0"), "no NUL in an option");
  }
}

function checkPacket(p: Packet, input: Uint8Array): void {
  const u16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
  switch (p.op) {
    case "RRQ":
    case "WRQ":
      holds(p.filename !== "" && !p.filename.includes("\0"), "a filename is not empty, no NUL");
      holds(byteLength(p.filename) <= MAX_FILENAME, `a filename is at most ${MAX_FILENAME} bytes`);
      holds(p.mode === "octet" || p.mode === "netascii", "mode is octet or netascii", p.mode);
      checkOptions(p.options);
      break;
    case "DATA":
      holds(u16(p.block), "a block number is 16 bits");
      holds(p.data.length <= MAX_PACKET - 4, "DATA carries at most 65464 bytes");
      holds(p.data.length === input.length - 4, "DATA carries every byte after its header");
      break;
    case "ACK":
      holds(u16(p.block), "a block number is 16 bits");
      break;
    case "ERROR":
      holds(u16(p.code), "an error code is 16 bits");
      holds(!p.message.includes("\0"), "no NUL in an error message");
      break;
    case "OACK":
      checkOptions(p.options);
      break;
    default:
      holds(false, "op is one of RRQ WRQ DATA ACK ERROR OACK", show(p));
  }
}

const TEXT_PIECES = [
  "a",
  "b.txt",
  "/",
  "..",
  "\u00e9",
  "\u4f60",
  "\u{1f600}",
  " ",
  ".",
  "x".repeat(40),
];

function randomText(rng: Rng, max: number): string {
  let text = "";
  for (let n = rng.size(1, 12); n > 0; n--) text += rng.pick(TEXT_PIECES);
  while (byteLength(text) > max) text = text.slice(0, -1);
  return text;
}

function randomOptions(rng: Rng): Options {
  const options: Options = {};
  for (let n = rng.size(0, MAX_OPTIONS); n > 0; n--) {
    const name = rng.chance(0.6)
      ? rng.pick(KNOWN)
      : `opt${String.fromCharCode(rng.int(0x61, 0x7a))}`;
    options[name] = rng.chance(0.7) ? String(rng.int(0, 70000)) : randomText(rng, 20);
  }
  return options;
}

/** A random packet in canonical form (encodePacket's output). */
export function generatePacket(rng: Rng): Uint8Array {
  const ops = ["RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"] as const;
  const op = rng.pick(ops);
  let p: Packet;
  switch (op) {
    case "RRQ":
    case "WRQ":
      p = {
        op,
        filename: randomText(rng, MAX_FILENAME),
        mode: rng.pick(["octet", "netascii"] as const),
        options: randomOptions(rng),
      };
      break;
    case "DATA":
      p = { op, block: rng.below(65536), data: rng.bytes(rng.size(0, 2000)) };
      break;
    case "ACK":
      p = { op, block: rng.below(65536) };
      break;
    case "ERROR":
      p = { op, code: rng.below(65536), message: rng.chance(0.2) ? "" : randomText(rng, 200) };
      break;
    case "OACK":
      p = { op, options: randomOptions(rng) };
      break;
  }
  return encodePacket(p);
}

/** Datagrams from any peer: requests, data, acknowledgements, errors, OACKs. */
export const packets: FuzzTarget = {
  name: "tftp.packet",
  about: "datagram → decodePacket: TftpParseError (4 or 8) only, field bounds, round trip",
  kind: "bytes",
  seeds: [
    packet(1, "a.txt\0octet\0"),
    packet(1, "boot/pxelinux.0\0netascii\0blksize\x001468\0tsize\x000\0"),
    packet(2, "up.txt\0octet\0windowsize\x0016\0timeout\x003\0tsize\x0012\0"),
    packet(3, "\0\x01hello"),
    packet(3, "\xff\xff"),
    packet(4, "\0\x01"),
    packet(5, "\0\x01File not found\0"),
    packet(6, "blksize\x0065464\0timeout\x001\0"),
  ],
  tokens: [
    "\0octet\0",
    "\0netascii\0",
    "\0mail\0",
    "blksize\0",
    "tsize\0",
    "windowsize\0",
    "timeout\0",
    "\0\x01",
    "\0\x06",
  ],
  maxBytes: 70_000,
  generate: generatePacket,
  check(input: Uint8Array, origin: Origin): Verdict {
    const decoded = decode(input);
    if (!decoded) return "rejected";
    checkPacket(decoded, input);
    const encoded = encodePacket(decoded);
    same(decode(encoded), decoded, "decodePacket(encodePacket(p)) == p");
    if (origin === "generated") {
      holds(equalBytes(encoded, input), "a canonical packet round-trips", () => encoded.toHex());
    }
    return "accepted";
  },
};

function checkNegotiated(
  requested: Options,
  result: { accepted: Options; params: Negotiated },
  fileSize: number | undefined,
  mode: Mode,
): void {
  const { accepted, params } = result;
  for (const name of Object.keys(accepted)) {
    holds(KNOWN.includes(name), "the server accepts only options it knows", show(name));
    holds(
      Object.hasOwn(requested, name),
      "the server accepts only options that were asked for",
      name,
    );
  }
  holds(params.blksize >= 8 && params.blksize <= 65464, "blksize is 8-65464", `${params.blksize}`);
  holds(params.timeout >= 1 && params.timeout <= 255, "timeout is 1-255", `${params.timeout}`);
  holds(
    params.windowsize >= 1 && params.windowsize <= Math.max(1, maxWindow(params.blksize)),
    "windowsize is 1 to the most the block size allows",
    `${params.windowsize} × ${params.blksize}`,
  );
  if (params.tsize !== undefined) {
    holds(
      Number.isSafeInteger(params.tsize) && params.tsize >= 0,
      "tsize is a safe integer ≥ 0 (RFC 2349, OPTION_BOUNDS)",
      `${params.tsize}`,
    );
  }
  for (const name of KNOWN) {
    if (accepted[name] === undefined) continue;
    same(
      accepted[name],
      String(params[name as keyof Negotiated]),
      "an accepted option is its parameter",
    );
  }
  if (fileSize !== undefined && mode === "octet" && accepted.tsize !== undefined) {
    same(accepted.tsize, String(fileSize), "a read's tsize is the file's size");
  }
}

const ASKS = [{}, { blksize: 1468 }, { blksize: 65464, windowsize: 16 }, {
  blksize: 8,
  timeout: 3,
  tsize: 0,
}];

/** Options in requests (the server's negotiation) and in OACKs (the client's check). */
export const options: FuzzTarget = {
  name: "tftp.options",
  about: "options of a request or OACK → negotiate (server), acceptOack (client): bounds, only " +
    "options asked for, the client accepts what the server negotiates",
  kind: "bytes",
  seeds: [
    packet(1, "a\0octet\0blksize\x001468\0tsize\x000\0windowsize\x0016\0timeout\x003\0"),
    packet(2, "a\0netascii\0blksize\x0065464\0windowsize\x0065535\0tsize\x001234\0"),
    packet(1, "a\0octet\0blksize\x007\0timeout\x00256\0x-unknown\x001\0"),
    packet(6, "blksize\x001468\0tsize\x0099\0"),
    packet(6, "windowsize\x004\0"),
  ],
  tokens: [
    "blksize\0",
    "tsize\0",
    "windowsize\0",
    "timeout\0",
    "constructor\0",
    "__proto__\0",
    "hasOwnProperty\0",
    "\0",
  ],
  maxBytes: 4096,
  check(input: Uint8Array): Verdict {
    const decoded = decode(input);
    if (!decoded || !("options" in decoded)) return "rejected";
    const requested = decoded.options;
    const mode = decoded.op === "OACK" ? "octet" : decoded.mode;
    for (const fileSize of [undefined, 0, 123_456, 2 ** 40]) {
      const result = negotiate(requested, fileSize === undefined ? { mode } : { fileSize, mode });
      checkNegotiated(requested, result, fileSize, mode);
      // A client that asked for exactly these options accepts the server's answer.
      let params: Negotiated;
      try {
        params = acceptOack(requested, result.accepted);
      } catch (err) {
        refused(err, TftpParseError);
        throw new Error(`acceptOack refused what negotiate answered: ${(err as Error).message}`);
      }
      same(
        [params.blksize, params.windowsize, params.tsize],
        [result.params.blksize, result.params.windowsize, result.params.tsize],
        "client and server agree on the negotiated parameters",
      );
    }
    // The client's check of a hostile OACK, for a few things it may have asked.
    const rng = Rng.forBytes(input);
    const asked = requestOptions(rng.pick(ASKS));
    try {
      const params = acceptOack(asked, requested);
      for (const name of Object.keys(requested)) {
        holds(
          Object.hasOwn(asked, name),
          "the client accepts only options it asked for",
          show(name),
        );
        holds(KNOWN.includes(name), "the client accepts only options it knows", show(name));
      }
      holds(
        params.blksize >= 8 && params.blksize <= Number(asked.blksize ?? 512),
        "blksize ≤ asked",
      );
      holds(
        params.windowsize >= 1 && params.windowsize <= Number(asked.windowsize ?? 1),
        "windowsize ≤ asked",
      );
      holds(params.timeout >= 1 && params.timeout <= 255, "timeout is 1-255");
    } catch (err) {
      refused(err, TftpParseError);
      same((err as TftpParseError).code, TftpError.optionNegotiation, "a bad OACK is error 8");
    }
    return "accepted";
  },
};

/** Cut points for a stream: sometimes every byte. */
function pieces(input: Uint8Array, rng: Rng): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < input.length;) {
    const n = Math.min(input.length - at, rng.chance(0.3) ? 1 : 1 + rng.below(600));
    out.push(input.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** netascii both ways, a pair of bytes split across blocks anywhere. */
export const netascii: FuzzTarget = {
  name: "tftp.netascii",
  about: "bytes → netascii encode/decode in random blocks: decode(encode(x)) == x, sizes bounded",
  kind: "bytes",
  seeds: ["line\nnext\r\n", "\r\r\n\n\0\r", "no line ends", "", "\r"],
  tokens: ["\r\n", "\r\0", "\r", "\n", "\0"],
  maxBytes: 70_000,
  check(input: Uint8Array): Verdict {
    const rng = Rng.forBytes(input);
    const encoder = new NetasciiEncoder();
    const wire = concat(pieces(input, rng).map((chunk) => encoder.encode(chunk).slice()));
    holds(wire.length <= 2 * input.length, "netascii at most doubles the size");
    holds(
      !/\r(?![\n\0])/.test(new TextDecoder("latin1").decode(wire)),
      "every CR on the wire is CR LF or CR NUL",
    );
    const decoder = new NetasciiDecoder();
    const back = concat([
      ...pieces(wire, rng).map((chunk) => decoder.decode(chunk).slice()),
      decoder.flush(),
    ]);
    holds(
      equalBytes(back, input),
      "decode(encode(x)) == x",
      () => `${back.toHex()} != ${input.toHex()}`,
    );
    // Any bytes a peer sends decode, to no more bytes than came.
    const received = new NetasciiDecoder();
    const local = concat([
      ...pieces(input, rng).map((chunk) => received.decode(chunk).slice()),
      received.flush(),
    ]);
    holds(local.length <= input.length, "decoding never grows the data");
    return "accepted";
  },
};
