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
import { acceptOack, GetSession, PutSession, requestOptions } from "../../src/tftp/request.ts";
import {
  type Action,
  MAX_TIMEOUT_MS,
  ReceiveSession,
  SendSession,
} from "../../src/tftp/session.ts";
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
    const oack = requested; // the same options, now as a server's answer
    try {
      const params = acceptOack(asked, oack);
      for (const name of Object.keys(oack)) {
        holds(
          Object.hasOwn(asked, name),
          "the client accepts only options it asked for",
          show(name),
        );
        holds(KNOWN.includes(name), "the client accepts only options it knows", show(name));
      }
      // An option the OACK leaves out is refused: its default applies (RFC 2347).
      holds(
        params.blksize >= 8 &&
          params.blksize <= (oack.blksize === undefined ? 512 : Number(asked.blksize)),
        "blksize is the default or at most what was asked",
        `${params.blksize} (asked ${asked.blksize})`,
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

/** Datagrams in a session input are separated by this marker; an empty one is a timer tick. */
const SEPARATOR = new TextEncoder().encode("|#|");

function splitDatagrams(input: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i + SEPARATOR.length <= input.length;) {
    if (
      input[i] === SEPARATOR[0] && input[i + 1] === SEPARATOR[1] && input[i + 2] === SEPARATOR[2]
    ) {
      out.push(input.subarray(start, i));
      i += SEPARATOR.length;
      start = i;
    } else {
      i++;
    }
  }
  out.push(input.subarray(start));
  return out;
}

function session(...datagrams: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  datagrams.forEach((d, i) => parts.push(...(i === 0 ? [d] : [SEPARATOR, d])));
  return concat(parts);
}

const FILE = Uint8Array.from({ length: 2500 }, (_, i) => (i * 7 + 3) & 0xff);

/**
 * The checks every session run shares: well-formed actions, one ending,
 * nothing written after it. Like the endpoint (`drive` in
 * `src/tftp/transfer.ts`), it stops feeding a session that failed and keeps
 * feeding one that is done (a receiver re-acknowledges a repeated last DATA).
 */
class Transcript {
  ended = false;
  failed = false;
  written = 0;
  constructor(readonly blksize: number) {}

  take(actions: Action[]): Action[] {
    const terminal = actions.filter((a) => a.type === "done" || a.type === "fail").length;
    holds(
      terminal <= 1 && !(this.ended && terminal > 0),
      "a transfer ends once",
      () => show(actions),
    );
    for (const action of actions) {
      switch (action.type) {
        case "send": {
          const bytes = encodePacket(action.packet);
          same(decodePacket(bytes), action.packet, "every packet sent is well-formed");
          holds(bytes.length <= MAX_PACKET, "every packet sent fits a datagram");
          break;
        }
        case "write":
          holds(!this.ended, "nothing is written after the end");
          holds(action.data.length <= this.blksize, "a write is at most one block");
          this.written += action.data.length;
          break;
        case "timer":
          holds(action.ms > 0 && action.ms <= MAX_TIMEOUT_MS, "a timer is 0-8 s", `${action.ms}`);
          break;
      }
    }
    if (terminal > 0) this.ended = true;
    if (actions.some((a) => a.type === "fail")) this.failed = true;
    return actions;
  }
}

/** Feeds the datagrams (and ticks) of `input` to one session. */
function drive(
  input: Uint8Array,
  transcript: Transcript,
  first: Action[],
  feed: (packet: Packet) => Action[],
  tick: () => Action[],
): void {
  transcript.take(first);
  for (const datagram of splitDatagrams(input)) {
    if (transcript.failed) return;
    if (datagram.length === 0) {
      transcript.take(tick());
      continue;
    }
    let packet: Packet;
    try {
      packet = decodePacket(datagram);
    } catch (err) {
      refused(err, TftpParseError);
      continue; // an endpoint answers a malformed datagram itself; the session never sees it
    }
    transcript.take(feed(packet));
  }
}

/** Checks that every DATA a sender sent is the file's block of that number. */
function checkSent(actions: Action[], blksize: number): Action[] {
  for (const action of actions) {
    if (action.type !== "send" || action.packet.op !== "DATA") continue;
    const { block, data } = action.packet;
    const start = (block - 1) * blksize;
    holds(
      block >= 1 && equalBytes(data, FILE.subarray(start, start + blksize)),
      "a DATA carries the file's block of that number",
      `block ${block}`,
    );
  }
  return actions;
}

/**
 * Transfers as both ends run them, fed a hostile peer's datagrams and timer
 * ticks: a get and a put as the client (`GetSession`, `PutSession`, with
 * options asked), a read and a write as the server (`SendSession`,
 * `ReceiveSession`).
 */
export const sessions: FuzzTarget = {
  name: "tftp.session",
  about:
    "a peer's datagrams and timer ticks → Get/PutSession (client), Send/ReceiveSession (server): " +
    "never throws, well-formed packets, one ending, the file's own blocks",
  kind: "bytes",
  seeds: [
    session(
      packet(6, "blksize\x00512\0tsize\x002500\0"),
      packet(3, "\0\x01", FILE.subarray(0, 512)),
      new Uint8Array(0),
      packet(3, "\0\x02abc"),
    ),
    session(packet(3, "\0\x01hello"), packet(3, "\0\x01hello")),
    session(
      packet(4, "\0\0"),
      packet(4, "\0\x01"),
      packet(4, "\0\x01"),
      packet(4, "\0\x03"),
      packet(4, "\0\x05"),
    ),
    session(
      packet(6, "windowsize\x002\0"),
      packet(4, "\0\0"),
      new Uint8Array(0),
      packet(4, "\0\x02"),
    ),
    session(packet(5, "\0\x01nope\0")),
    session(packet(5, "\0\x08options\0"), packet(3, "\0\x01x")),
    session(
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
    ),
  ],
  tokens: [
    SEPARATOR,
    packet(4, "\0\x01"),
    packet(4, "\0\0"),
    packet(3, "\0\x01"),
    packet(6, "blksize\x008\0"),
  ],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const blksize = 512;
    const asked = { blksize, windowsize: 2, tsize: 0 };
    // The client's get: RRQ with options, then whatever the "server" sends.
    const get = new GetSession("file", asked);
    const getLog = new Transcript(65464);
    drive(input, getLog, get.start(), (p) => get.receive(p), () => get.tick());
    same(getLog.written, get.written, "a get counts what it wrote");
    holds(
      get.params === undefined || get.params.blksize <= blksize,
      "a get never takes a larger block",
    );
    // The client's put of FILE.
    const block = (i: number) => FILE.subarray(i * blksize, (i + 1) * blksize);
    const put = new PutSession("file", block, { blksize, windowsize: 2, tsize: FILE.length });
    const putLog = new Transcript(blksize);
    drive(
      input,
      putLog,
      put.start(),
      (p) => checkSent(put.receive(p), put.params?.blksize ?? blksize),
      () => checkSent(put.tick(), put.params?.blksize ?? blksize),
    );
    // The server's side of a read (sending FILE) and of a write (receiving).
    const params = { blksize, timeout: 1, windowsize: 2 };
    const sender = new SendSession(block, { params });
    const sendLog = new Transcript(blksize);
    drive(
      input,
      sendLog,
      checkSent(sender.start(), blksize),
      (p) => checkSent(sender.receive(p), blksize),
      () => checkSent(sender.tick(), blksize),
    );
    if (sendLog.ended && sender.acknowledged > 0) {
      holds(
        sender.acknowledged <= Math.ceil((FILE.length + 1) / blksize),
        "no more blocks acknowledged than sent",
      );
    }
    const receiver = new ReceiveSession({ params, opening: { op: "ACK", block: 0 } });
    const receiveLog = new Transcript(blksize);
    drive(input, receiveLog, receiver.start(), (p) => receiver.receive(p), () => receiver.tick());
    same(receiveLog.written, receiver.written, "a receiver counts what it wrote");
    return "accepted";
  },
};
