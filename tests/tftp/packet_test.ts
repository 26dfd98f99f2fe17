import assert from "node:assert/strict";
import { NetasciiDecoder, NetasciiEncoder } from "../../src/tftp/netascii.ts";
import {
  decodePacket,
  encodePacket,
  negotiate,
  type Packet,
  TftpError,
  TftpParseError,
} from "../../src/tftp/packet.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const enc = (s: string) => new TextEncoder().encode(s);

const roundTrips: Packet[] = [
  { op: "RRQ", filename: "boot/pxelinux.0", mode: "octet", options: {} },
  {
    op: "WRQ",
    filename: "up.txt",
    mode: "netascii",
    options: { blksize: "1468", tsize: "0", windowsize: "16" },
  },
  { op: "DATA", block: 65535, data: enc("hello") },
  { op: "DATA", block: 0, data: new Uint8Array(0) },
  { op: "ACK", block: 1 },
  { op: "ERROR", code: TftpError.fileNotFound, message: "no such file" },
  { op: "OACK", options: { blksize: "65464", timeout: "3" } },
];
for (const packet of roundTrips) {
  Deno.test(`encodePacket()/decodePacket() round-trip ${packet.op}`, () => {
    assert.deepEqual(decodePacket(encodePacket(packet)), packet);
  });
}

Deno.test("encodePacket() lays out the RFC 1350 bytes", () => {
  assert.deepEqual(
    encodePacket({ op: "RRQ", filename: "a", mode: "octet", options: {} }),
    bytes(0, 1, 0x61, 0, ...enc("octet"), 0),
  );
  assert.deepEqual(encodePacket({ op: "ACK", block: 258 }), bytes(0, 4, 1, 2));
  assert.deepEqual(
    encodePacket({ op: "ERROR", code: 5, message: "x" }),
    bytes(0, 5, 0, 5, 0x78, 0),
  );
});

Deno.test("decodePacket() reads modes case-insensitively and lower-cases option names", () => {
  const packet = decodePacket(
    bytes(0, 1, 0x61, 0, ...enc("OCTET"), 0, ...enc("BlkSize"), 0, ...enc("1024"), 0),
  );
  assert.deepEqual(packet, {
    op: "RRQ",
    filename: "a",
    mode: "octet",
    options: { blksize: "1024" },
  });
});

const malformed: [string, Uint8Array, number, RegExp][] = [
  ["empty", bytes(), TftpError.illegalOperation, /shorter than an opcode/],
  ["one byte", bytes(0), TftpError.illegalOperation, /shorter than an opcode/],
  ["unknown opcode", bytes(0, 9, 0, 0), TftpError.illegalOperation, /unknown opcode 9/],
  ["opcode 0", bytes(0, 0), TftpError.illegalOperation, /unknown opcode 0/],
  ["unterminated filename", bytes(0, 1, 0x61, 0x62), TftpError.illegalOperation, /unterminated/],
  ["missing mode", bytes(0, 1, 0x61, 0), TftpError.illegalOperation, /without filename and mode/],
  [
    "empty filename",
    bytes(0, 1, 0, ...enc("octet"), 0),
    TftpError.illegalOperation,
    /empty filename/,
  ],
  [
    "mail mode",
    bytes(0, 1, 0x61, 0, ...enc("mail"), 0),
    TftpError.illegalOperation,
    /unsupported mode "mail"/,
  ],
  [
    "option without value",
    bytes(0, 1, 0x61, 0, ...enc("octet"), 0, ...enc("blksize"), 0),
    TftpError.optionNegotiation,
    /has no value/,
  ],
  ["short DATA", bytes(0, 3, 0), TftpError.illegalOperation, /shorter than its header/],
  ["long ACK", bytes(0, 4, 0, 1, 0), TftpError.illegalOperation, /ACK is not 4 bytes/],
  ["short ERROR", bytes(0, 5, 0, 1), TftpError.illegalOperation, /shorter than its header/],
  [
    "unterminated error message",
    bytes(0, 5, 0, 1, 0x61),
    TftpError.illegalOperation,
    /unterminated/,
  ],
  [
    "long filename",
    bytes(0, 1, ...new Uint8Array(600).fill(0x61), 0, ...enc("octet"), 0),
    TftpError.illegalOperation,
    /over 512 bytes/,
  ],
  [
    "invalid UTF-8 filename",
    bytes(0, 1, 0xff, 0, ...enc("octet"), 0),
    TftpError.illegalOperation,
    /not valid text/,
  ],
];
for (const [name, packet, code, message] of malformed) {
  Deno.test(`decodePacket() rejects ${name} with error ${code}`, () => {
    assert.throws(
      () => decodePacket(packet),
      (err) => err instanceof TftpParseError && err.code === code && message.test(err.message),
    );
  });
}

Deno.test("negotiate() accepts known options in range, answers tsize, ignores the rest", () => {
  assert.deepEqual(
    negotiate({ blksize: "1468", timeout: "3", windowsize: "16", tsize: "0", colour: "blue" }, {
      fileSize: 1234,
    }),
    {
      accepted: { blksize: "1468", timeout: "3", windowsize: "16", tsize: "1234" },
      params: { blksize: 1468, timeout: 3, windowsize: 16, tsize: 1234 },
    },
  );
  const absurd = negotiate({ blksize: "99999", timeout: "0", windowsize: "70000" });
  assert.deepEqual(absurd, { accepted: {}, params: { blksize: 512, timeout: 1, windowsize: 1 } });
  assert.deepEqual(negotiate({ blksize: "7" }).accepted, {}, "below the RFC 2348 minimum of 8");
  assert.deepEqual(negotiate({ blksize: "x1" }).accepted, {});
  assert.equal(negotiate({ blksize: "65464" }).params.blksize, 65464, "the RFC 2348 maximum");
});

Deno.test("negotiate() leaves tsize out of a netascii read, echoes it for a write", () => {
  assert.deepEqual(negotiate({ tsize: "0" }, { fileSize: 99, mode: "netascii" }).accepted, {});
  assert.deepEqual(negotiate({ tsize: "42" }, { mode: "netascii" }).accepted, { tsize: "42" });
});

Deno.test("negotiate() caps windowsize at 64 KiB in flight, whatever the option order", () => {
  const big = negotiate({ windowsize: "16", blksize: "65464" });
  assert.equal(big.params.windowsize, 1);
  assert.equal(big.accepted.windowsize, "1");
  assert.equal(negotiate({ blksize: "8192", windowsize: "16" }).accepted.windowsize, "8");
  assert.equal(negotiate({ windowsize: "1000" }).params.windowsize, 128, "blksize 512");
});

Deno.test("netascii: LF ⇄ CR LF and CR ⇄ CR NUL, across block boundaries", () => {
  const text = enc("line one\nbare\rcr\n");
  const wire = new NetasciiEncoder().encode(text);
  assert.deepEqual(wire, enc("line one\r\nbare\r\0cr\r\n"));
  const decoder = new NetasciiDecoder();
  const parts = [wire.subarray(0, 9), wire.subarray(9, 15), wire.subarray(15)];
  const back = parts.map((p) => [...decoder.decode(p)]).flat();
  assert.deepEqual(new Uint8Array([...back, ...decoder.flush()]), text);
  const split = new NetasciiDecoder();
  assert.deepEqual([...split.decode(enc("a\r")), ...split.decode(enc("\nb"))], [...enc("a\nb")]);
  const trailing = new NetasciiDecoder();
  assert.deepEqual([...trailing.decode(enc("x\r")), ...trailing.flush()], [...enc("x\r")]);
});

Deno.test("negotiate() ignores a tsize past the safe integers, as any out-of-range option", () => {
  const { accepted, params } = negotiate({ tsize: "9007199254740992" });
  assert.equal(accepted.tsize, undefined);
  assert.equal(params.tsize, undefined);
  assert.equal(negotiate({ tsize: "9007199254740991" }).accepted.tsize, "9007199254740991");
});

Deno.test("negotiate() knows only its own options: constructor, __proto__ and toString are ignored", () => {
  const { accepted, params } = negotiate({ constructor: "4", tostring: "1", blksize: "1024" });
  assert.deepEqual(accepted, { blksize: "1024" });
  assert.equal(params.blksize, 1024);
});
