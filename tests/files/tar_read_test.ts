/**
 * The strict tar reader on crafted bytes: what sockit's writer makes reads
 * back exactly, however it is split; every refusal names what it refuses.
 */

import assert from "node:assert/strict";
import { BLOCK, TAR_END, tarHeader, tarPadding } from "../../src/files/tar.ts";
import {
  checkName,
  MAX_META,
  parsePax,
  type TarEvent,
  TarFormatError,
  TarReader,
} from "../../src/files/tar_read.ts";
import { concat, paxHeader, paxRecord, rawHeader } from "../helpers/tar_bytes.ts";

const encoder = new TextEncoder();

function file(path: string, content: Uint8Array): Uint8Array {
  return concat(
    tarHeader({ path, type: "file", size: content.length, mtime: 1_700_000_000_000 }),
    content,
    tarPadding(content.length),
  );
}

function dir(path: string): Uint8Array {
  return tarHeader({ path, type: "directory", size: 0, mtime: 0 });
}

interface Read {
  members: { name: string; path: string[]; type: string; size: number; content: Uint8Array }[];
  ended: boolean;
}

/** Feeds `bytes` in pieces of `step` and collects members and contents. */
function read(bytes: Uint8Array, step = bytes.length || 1): Read {
  const reader = new TarReader();
  const result: Read = { members: [], ended: false };
  const parts: Uint8Array[] = [];
  const take = (event: TarEvent) => {
    if (event.type === "member") {
      result.members.push({ ...event.member, content: new Uint8Array() });
    } else if (event.type === "data") {
      parts.push(event.data.slice());
    } else if (event.type === "done") {
      result.members.at(-1)!.content = concat(...parts.splice(0));
    } else {
      result.ended = true;
    }
  };
  for (let at = 0; at < bytes.length; at += step) {
    for (const event of reader.push(bytes.subarray(at, at + step))) take(event);
  }
  reader.end();
  return result;
}

function refused(bytes: Uint8Array, pattern: RegExp, step?: number): TarFormatError {
  let error: unknown;
  try {
    read(bytes, step);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof TarFormatError, `expected a refusal, got ${error}`);
  assert.match(error.message, pattern);
  return error;
}

const ODD = "tab\there \x1b[31mred\x1b[0m\nline";
const LONG = "n".repeat(180) + ".txt";

Deno.test("what sockit's writer makes reads back exactly, whole or split anywhere", () => {
  const big = new Uint8Array(70_000).map((_, i) => (i * 7) % 251);
  const archive = concat(
    dir("top"),
    file("top/a.txt", encoder.encode("alpha\n")),
    file("top/empty.txt", new Uint8Array()),
    dir("top/ünïcödé"),
    file(`top/ünïcödé/${ODD}`, encoder.encode("odd\n")),
    file(`top/${LONG}`, encoder.encode("long\n")),
    file("top/big.bin", big),
    TAR_END,
    new Uint8Array(BLOCK * 4), // record padding after the end is ignored
  );
  for (const step of [archive.length, 1, 7, 511, 512, 513, 4096]) {
    const got = read(archive, step);
    assert.ok(got.ended, `ended (step ${step})`);
    assert.deepEqual(
      got.members.map((m) => [m.type, m.path.join("/"), m.size]),
      [
        ["directory", "top", 0],
        ["file", "top/a.txt", 6],
        ["file", "top/empty.txt", 0],
        ["directory", "top/ünïcödé", 0],
        ["file", `top/ünïcödé/${ODD}`, 4],
        ["file", `top/${LONG}`, 5],
        ["file", "top/big.bin", big.length],
      ],
      `step ${step}`,
    );
    assert.deepEqual(got.members[1]!.content, encoder.encode("alpha\n"));
    assert.deepEqual(got.members[4]!.content, encoder.encode("odd\n"));
    assert.deepEqual(got.members[6]!.content, big);
  }
});

Deno.test("a pax size record overrides the ustar size; mtime is read", () => {
  const archive = concat(
    paxHeader(paxRecord("mtime", "1234.5")),
    rawHeader({ name: "top", type: "5" }),
    paxHeader(paxRecord("size", "3")),
    rawHeader({ name: "top/x", type: "0", size: 0 }),
    encoder.encode("abc"),
    tarPadding(3),
    TAR_END,
  );
  const reader = new TarReader();
  const events = [...reader.push(archive)];
  const members = events.flatMap((e) => e.type === "member" ? [e.member] : []);
  assert.equal(members.length, 2);
  assert.equal(members[0]!.mtime, 1_234_500, "the pax mtime applies to the next member");
  assert.equal(members[1]!.size, 3);
  assert.ok(reader.ended);
});

Deno.test("a GNU long name ('L') names the next member", () => {
  const name = "top/" + "g".repeat(200);
  const body = encoder.encode(name + "\0");
  const archive = concat(
    dir("top"),
    rawHeader({ name: "././@LongLink", type: "L", size: body.length }),
    body,
    tarPadding(body.length),
    rawHeader({ name: "top/gggg", type: "0", size: 2 }),
    encoder.encode("hi"),
    tarPadding(2),
    TAR_END,
  );
  const got = read(archive, 100);
  assert.equal(got.members[1]!.name, name);
  assert.deepEqual(got.members[1]!.content, encoder.encode("hi"));
});

Deno.test("a header whose checksum does not add up is refused, naming the member", () => {
  const archive = concat(rawHeader({ name: "top/a.txt", type: "0", sum: 1 }), TAR_END);
  const err = refused(archive, /bad header checksum at byte 0 \(top\/a\.txt\)/);
  assert.equal(err.member, "top/a.txt");
  // A flipped byte after the checksum was computed is caught the same way.
  const good = rawHeader({ name: "top/b.txt", type: "0" });
  good[10] = 0x41;
  refused(concat(good, TAR_END), /bad header checksum/);
});

Deno.test("links, devices, FIFOs and unknown member types are refused by name", () => {
  const cases: [string, RegExp][] = [
    ["1", /top\/x is a hard link/],
    ["2", /top\/x is a symbolic link/],
    ["3", /top\/x is a character device/],
    ["4", /top\/x is a block device/],
    ["6", /top\/x is a FIFO/],
    ["K", /top\/x is a GNU long link name/],
    ["S", /top\/x is of a member type not extracted \("S"\)/],
    ["V", /member type not extracted/],
  ];
  for (const [type, pattern] of cases) {
    refused(concat(dir("top"), rawHeader({ name: "top/x", type }), TAR_END), pattern);
  }
});

Deno.test("names that could leave the destination are refused", () => {
  const cases: [string, RegExp][] = [
    ["/etc/passwd", /is an absolute path/],
    ["top/../../etc/passwd", /has a "\.\." component/],
    ["..", /has a "\.\." component/],
    ["top//a", /has an empty component/],
    ["./top/a", /has a "\." component/],
    ["top\\..\\..\\x", /holds a backslash/],
    ["C:/Windows/x", /starts with a drive letter/],
    ["C:x", /starts with a drive letter/],
  ];
  for (const [name, pattern] of cases) {
    refused(concat(rawHeader({ name, type: "0" }), TAR_END), pattern);
    assert.throws(() => checkName(name, false), pattern);
  }
  // Through pax, where a NUL or any length can travel.
  refused(
    concat(
      paxHeader(paxRecord("path", "top/a\0b.txt")),
      rawHeader({ name: "x", type: "0" }),
      TAR_END,
    ),
    /NUL/,
  );
  refused(
    concat(paxHeader(paxRecord("path", "/etc/x")), rawHeader({ name: "x", type: "0" }), TAR_END),
    /absolute/,
  );
  assert.throws(() => checkName("", false), /empty name/);
  assert.throws(() => checkName("top/" + "c".repeat(256), false), /longer than 255 bytes/);
  assert.throws(() => checkName("a/".repeat(200) + "b", false), /deeper than/);
  assert.throws(() => checkName("top/a/", false), /empty component/, "a file ends in no /");
  assert.deepEqual(checkName("top/a/", true), ["top", "a"]);
});

Deno.test("an extended header over the bound is refused before its body is read", () => {
  // Only the header is fed: the refusal must not wait for (or hold) the body.
  const reader = new TarReader();
  assert.throws(
    () => [...reader.push(rawHeader({ name: "PaxHeader", type: "x", size: MAX_META + 1 }))],
    (err) =>
      err instanceof TarFormatError &&
      /pax extended header of 65537 bytes at byte 0 \(over the 65536 allowed\)/.test(err.message),
  );
  const gnu = new TarReader();
  assert.throws(
    () => [...gnu.push(rawHeader({ name: "././@LongLink", type: "L", size: 1_000_000 }))],
    /GNU long name of 1000000 bytes/,
  );
  // Right at the bound it is read.
  const record = `path=top/${"p".repeat(MAX_META - 40)}`;
  let length = record.length + 3;
  length = record.length + 2 + String(length).length;
  assert.equal(encoder.encode(`${length} ${record}\n`).length, length);
  refused(
    concat(paxHeader(`${length} ${record}\n`), rawHeader({ name: "x", type: "0" }), TAR_END),
    /is longer than 4096 bytes/,
  );
});

Deno.test("malformed pax records are refused", () => {
  assert.throws(() => parsePax(encoder.encode("13 path=abc\n")), /malformed pax record/); // 12
  assert.throws(() => parsePax(encoder.encode("x path=abc\n")), /malformed/);
  assert.throws(() => parsePax(encoder.encode("10 pathabc\n")), /malformed/);
  assert.throws(() => parsePax(encoder.encode("99 path=abc\n")), /malformed/);
  assert.throws(
    () => parsePax(new Uint8Array([0x39, 0x20, 0x61, 0x3d, 0xff, 0xfe, 0x62, 0x63, 0x0a])),
    /UTF-8/,
  );
  assert.deepEqual(parsePax(encoder.encode("12 path=abc\n\0\0")), [["path", "abc"]]);
  refused(
    concat(paxHeader(paxRecord("size", "-3")), rawHeader({ name: "top", type: "0" }), TAR_END),
    /malformed pax record|not a byte count/,
  );
  refused(
    concat(paxHeader(paxRecord("size", "1e9")), rawHeader({ name: "top", type: "0" }), TAR_END),
    /not a byte count/,
  );
});

Deno.test("a size that is not plain octal, and a folder with content, are refused", () => {
  refused(
    concat(
      rawHeader({ name: "top/a", type: "0", sizeText: "\x80\0\0\0\0\0\0\0\0\0\x10\0" }),
      TAR_END,
    ),
    /top\/a has a size field that is not an octal number/,
  );
  refused(
    concat(rawHeader({ name: "top/a", type: "0", sizeText: "12x45\0\0\0\0\0\0\0" }), TAR_END),
    /not an octal number/,
  );
  refused(
    concat(rawHeader({ name: "top/d", type: "5", size: 512 }), new Uint8Array(512), TAR_END),
    /top\/d is a folder with 512 bytes of content/,
  );
  refused(
    concat(rawHeader({ name: "top/a", type: "0", magic: "nope\0\0\0\0" }), TAR_END),
    /not a ustar/,
  );
});

Deno.test("an archive cut short is refused: in a file, in a header, before its end", () => {
  const archive = concat(dir("top"), file("top/a.bin", new Uint8Array(5000).fill(3)), TAR_END);
  // In the middle of the file's content.
  refused(archive.subarray(0, 512 + 512 + 1234), /cut off in top\/a\.bin after 1234 of 5000 bytes/);
  // Every byte of it there, but no end blocks.
  refused(archive.subarray(0, archive.length - 1024), /cut off after 6144 bytes, before its end/);
  // Half a header.
  refused(archive.subarray(0, 700), /cut off after 700 bytes/);
  // One end block only.
  refused(archive.subarray(0, archive.length - 512), /before its end/);
  // Nothing at all.
  refused(new Uint8Array(), /cut off after 0 bytes/);
  // A size beyond what the stream holds is the same thing: a file cut off.
  const lying = concat(
    dir("top"),
    rawHeader({ name: "top/x", type: "0", size: 1_000_000 }),
    TAR_END,
  );
  refused(lying, /cut off in top\/x after 1024 of 1000000 bytes/);
});

Deno.test("a lone zero block in the middle, and an archive ending after a pax header, are refused", () => {
  refused(
    concat(dir("top"), new Uint8Array(BLOCK), file("top/a", encoder.encode("a")), TAR_END),
    /a lone zero block before the header at byte 1024/,
  );
  refused(
    concat(dir("top"), paxHeader(paxRecord("path", "top")), TAR_END),
    /ended right after an extended header/,
  );
});
