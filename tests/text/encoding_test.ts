import assert from "node:assert/strict";
import { displayText, encodeText, ENCODINGS, jsonText } from "../../src/text/encoding.ts";
import { escapeText, isSafeText } from "../../src/text/escape.ts";
import { encodeLegacy } from "../../src/text/legacy.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("encodeText() and displayText() round-trip every text encoding", () => {
  const samples: Record<string, string> = {
    "utf-8": "héllo, 世界 😀",
    gbk: "你好，世界€",
    gb18030: "你好 😀 𠀀",
    big5: "中文測試",
    shift_jis: "日本語ｶﾀｶﾅ",
    latin1: "café ÿ",
  };
  for (const [encoding, text] of Object.entries(samples)) {
    const encoded = encodeText(text, encoding as typeof ENCODINGS[number]);
    assert.equal(new TextDecoder(encoding).decode(encoded) === text || encoding === "latin1", true);
    assert.equal(displayText(encoded, encoding as typeof ENCODINGS[number]), text, encoding);
  }
});

Deno.test("encodeText() gives the GBK bytes Windows peers send", () => {
  assert.deepEqual(encodeText("你好", "gbk"), bytes(0xc4, 0xe3, 0xba, 0xc3));
  assert.deepEqual(encodeText("€", "gbk"), bytes(0x80));
  assert.deepEqual(encodeText("€", "gb18030"), bytes(0xa2, 0xe3));
  assert.deepEqual(encodeText("😀", "gb18030"), bytes(0x94, 0x39, 0xfc, 0x36));
});

Deno.test("encodeText() rejects text the encoding cannot hold, naming it", () => {
  assert.throws(() => encodeText("😀", "gbk"), /Cannot encode "😀" as gbk: "😀" \(U\+1F600\)/);
  assert.throws(() => encodeText("ĉ", "latin1"), RangeError);
  assert.throws(() => encodeLegacy("한", "shift_jis"), RangeError);
});

Deno.test("encodeText() reads hex and base64", () => {
  assert.deepEqual(encodeText("68 69:0a", "hex"), bytes(0x68, 0x69, 0x0a));
  assert.deepEqual(encodeText("aGkK", "base64"), bytes(0x68, 0x69, 0x0a));
  assert.throws(() => encodeText("6", "hex"), SyntaxError);
  assert.throws(() => encodeText("zz", "hex"), SyntaxError);
  assert.throws(() => encodeText("***", "base64"), SyntaxError);
});

const displayRows: [Uint8Array, typeof ENCODINGS[number], string][] = [
  [bytes(0x68, 0x69), "utf-8", "hi"],
  [bytes(0x68, 0x69, 0xff, 0x0a), "utf-8", "hi\\xff\\n"],
  [bytes(0xe4, 0xbd), "utf-8", "\\xe4\\xbd"],
  [bytes(0xe4, 0xbd, 0xa0, 0xe4), "utf-8", "你\\xe4"],
  [bytes(0x1b, 0x5b, 0x33, 0x31, 0x6d), "utf-8", "\\x1b[31m"],
  [bytes(0x00, 0x78), "utf-8", "\\x00x"],
  [bytes(0x5c), "utf-8", "\\\\"],
  [bytes(0xc4, 0xe3, 0xba, 0xc3), "gbk", "你好"],
  [bytes(0xc4, 0xe3, 0xff, 0x41), "gbk", "你\\xffA"],
  [bytes(0x81, 0x7f), "gbk", "\\x81\\x7f"],
  [bytes(0xe2, 0x80, 0xae, 0x61), "utf-8", "\\u{202e}a"],
  [bytes(0xc2, 0x85), "utf-8", "\\u{85}"],
  [bytes(0x68, 0x69), "hex", "6869"],
  [bytes(0x68, 0x69), "base64", "aGk="],
  [bytes(0xe9), "latin1", "é"],
];
for (const [input, encoding, shown] of displayRows) {
  Deno.test(`displayText(${input.toHex()}, ${encoding}) is "${shown}"`, () => {
    assert.equal(displayText(input, encoding), shown);
  });
}

Deno.test("jsonText() adds base64 only when the bytes are not valid text", () => {
  assert.deepEqual(jsonText(bytes(0x68, 0x69), "utf-8"), { text: "hi" });
  assert.deepEqual(jsonText(bytes(0x68, 0xff), "utf-8"), { text: "h\ufffd", base64: "aP8=" });
  assert.deepEqual(jsonText(bytes(0xc4, 0xe3), "gbk"), { text: "你" });
  assert.deepEqual(jsonText(bytes(0xff), "hex"), { text: "ff" });
});

Deno.test("escapeText() neutralises terminal control and keeps ordinary text", () => {
  assert.equal(escapeText("plain text, ünïcode 世界"), "plain text, ünïcode 世界");
  assert.equal(escapeText("a\tb\r\n\x07\x7f"), "a\\tb\\r\\n\\x07\\x7f");
  assert.equal(isSafeText("ok"), true);
  assert.equal(isSafeText("\x1b"), false);
  assert.equal(isSafeText("ok"), true, "no regex state left behind");
});
