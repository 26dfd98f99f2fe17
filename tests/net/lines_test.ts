import assert from "node:assert/strict";
import { CrlfEncoder, LineSplitter } from "../../src/net/lines.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("LineSplitter.push() splits on LF and drops a CR before it", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(enc("a\r\nb\nc")).map(dec), ["a", "b"]);
  assert.deepEqual(splitter.push(enc("d\n\n")).map(dec), ["cd", ""]);
  assert.equal(splitter.flush(), undefined);
});

Deno.test("LineSplitter.push() joins a CRLF split across chunks", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(enc("x\r")).map(dec), []);
  assert.deepEqual(splitter.push(enc("\ny")).map(dec), ["x"]);
  assert.equal(dec(splitter.flush()!), "y");
});

Deno.test("LineSplitter cuts over-long lines and keeps memory bounded", () => {
  const splitter = new LineSplitter({ maxLength: 4 });
  assert.deepEqual(splitter.push(enc("abcdefghij")).map(dec), ["abcd", "efgh"]);
  assert.equal(splitter.pending, 2);
  assert.deepEqual(splitter.push(enc("k\n")).map(dec), ["ijk"]);
  assert.deepEqual(splitter.push(enc("123456789\n")).map(dec), ["1234", "5678", "9"]);
});

Deno.test("LineSplitter.flush() drops a trailing CR", () => {
  const splitter = new LineSplitter();
  splitter.push(enc("end\r"));
  assert.equal(dec(splitter.flush()!), "end");
});

Deno.test("LineSplitter rejects maxLength 0", () => {
  assert.throws(() => new LineSplitter({ maxLength: 0 }), RangeError);
});

Deno.test("CrlfEncoder.encode() turns lone LF into CRLF, keeps CRLF", () => {
  const crlf = new CrlfEncoder();
  assert.equal(dec(crlf.encode(enc("a\nb\r\nc"))), "a\r\nb\r\nc");
  assert.equal(dec(crlf.encode(enc("\n\n"))), "\r\n\r\n");
});

Deno.test("CrlfEncoder.encode() remembers a CR at the end of a chunk", () => {
  const crlf = new CrlfEncoder();
  assert.equal(dec(crlf.encode(enc("a\r"))), "a\r");
  assert.equal(dec(crlf.encode(enc("\nb\n"))), "\nb\r\n");
});

Deno.test("LineSplitter drop mode refuses over-long lines whole and keeps going", () => {
  const splitter = new LineSplitter({ maxLength: 4, overlong: "drop" });
  assert.deepEqual(splitter.push(enc("ok\ntoolong\nfine\n")).map(dec), ["ok", "fine"]);
  assert.equal(splitter.takeDropped(), 1);
  assert.equal(splitter.takeDropped(), 0);
});

Deno.test("LineSplitter drop mode discards a long line across chunks without buffering it", () => {
  const splitter = new LineSplitter({ maxLength: 4, overlong: "drop" });
  assert.deepEqual(splitter.push(enc("abcdefgh")), []);
  assert.equal(splitter.pending, 0, "nothing of the long line is kept");
  assert.deepEqual(splitter.push(enc("ijkl")), []);
  assert.deepEqual(splitter.push(enc("mn\nnext\n")).map(dec), ["next"]);
  assert.equal(splitter.takeDropped(), 1);
});

Deno.test("LineSplitter drop mode keeps a line of exactly maxLength split before its CRLF", () => {
  const splitter = new LineSplitter({ maxLength: 4, overlong: "drop" });
  assert.deepEqual(splitter.push(enc("abcd\r")), []);
  assert.deepEqual(splitter.push(enc("\n")).map(dec), ["abcd"]);
  assert.equal(splitter.takeDropped(), 0);
  splitter.push(enc("abcdef"));
  assert.equal(splitter.flush(), undefined);
  assert.equal(splitter.takeDropped(), 1);
});

Deno.test("LineSplitter (split) never cuts a line between its text and its CRLF, however it is chunked", () => {
  const input = new TextEncoder().encode("x".repeat(40) + "\r\n" + "y".repeat(3));
  const splitter = new LineSplitter({ maxLength: 2 });
  const lines: string[] = [];
  for (const byte of input) {
    for (const line of splitter.push(new Uint8Array([byte]))) {
      lines.push(new TextDecoder().decode(line));
    }
  }
  const rest = splitter.flush();
  if (rest) lines.push(new TextDecoder().decode(rest));
  assert.deepEqual(lines, [...Array(20).fill("xx"), "yy", "y"]);
});
