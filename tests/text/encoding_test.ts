import assert from "node:assert/strict";
import { displayText, encodeText, ENCODINGS, jsonText } from "../../src/text/encoding.ts";
import { escapeText, isPrintableAscii, isSafeText } from "../../src/text/escape.ts";
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

/** Hex escapes of every byte of `input`: how bytes that start no valid sequence are shown. */
const escaped = (input: Uint8Array) =>
  [...input].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");

const hostileRows: [string, Uint8Array, typeof ENCODINGS[number], string][] = [
  ["lone high surrogate", bytes(0xed, 0xa0, 0x80), "utf-8", "\\xed\\xa0\\x80"],
  ["lone low surrogate", bytes(0x61, 0xed, 0xbf, 0xbf, 0x62), "utf-8", "a\\xed\\xbf\\xbfb"],
  ["overlong slash, 2 bytes", bytes(0xc0, 0xaf), "utf-8", "\\xc0\\xaf"],
  ["overlong slash, 3 bytes", bytes(0xe0, 0x80, 0xaf), "utf-8", "\\xe0\\x80\\xaf"],
  ["overlong slash, 4 bytes", bytes(0xf0, 0x80, 0x80, 0xaf), "utf-8", "\\xf0\\x80\\x80\\xaf"],
  ["past U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), "utf-8", "\\xf4\\x90\\x80\\x80"],
  ["largest code point", bytes(0xf4, 0x8f, 0xbf, 0xbf), "utf-8", "\u{10ffff}"],
  [
    "C1 controls NEL and CSI",
    bytes(0xc2, 0x85, 0xc2, 0x9b, 0x32, 0x4a),
    "utf-8",
    "\\u{85}\\u{9b}2J",
  ],
  ["truncated emoji then ASCII", bytes(0xf0, 0x9f, 0x98, 0x41), "utf-8", "\\xf0\\x9f\\x98A"],
  ["emoji between bad bytes", bytes(0xff, 0xf0, 0x9f, 0x98, 0x80, 0xfe), "utf-8", "\\xff😀\\xfe"],
  [
    "mixed text, controls and bad bytes",
    bytes(0x68, 0xc3, 0xa9, 0xff, 0xe4, 0xb8, 0x96, 0xe4, 0x1b, 0x5c, 0xe2, 0x80, 0xae, 0x0a),
    "utf-8",
    "hé\\xff世\\xe4\\x1b\\\\\\u{202e}\\n",
  ],
  ["a BOM is shown, not dropped", bytes(0xef, 0xbb, 0xbf, 0x61, 0xff), "utf-8", "\ufeffa\\xff"],
  ["GBK lead before a digit", bytes(0x81, 0x30, 0x41), "gbk", "\\x810A"],
  ["GB18030 four bytes then 0xff", bytes(0x94, 0x39, 0xfc, 0x36, 0xff), "gb18030", "😀\\xff"],
  ["GB18030 four bytes past the table", bytes(0xfe, 0x39, 0xfe, 0x39), "gb18030", "\\xfe9\\xfe9"],
  ["Big5 pair that is two code points", bytes(0x88, 0x62, 0xff), "big5", "\u00ca\u0304\\xff"],
  ["Big5 lead without trail", bytes(0xa4, 0x0a), "big5", "\\xa4\\n"],
  ["Shift_JIS katakana after a bad lead", bytes(0xa0, 0xb1, 0x81), "shift_jis", "\\xa0ｱ\\x81"],
];
for (const [name, input, encoding, shown] of hostileRows) {
  Deno.test(`displayText() escapes ${name} (${encoding})`, () => {
    assert.equal(displayText(input, encoding), shown);
  });
}

Deno.test("displayText() shows a 65,507-byte datagram of 0xff as one \\xff per byte", () => {
  const input = new Uint8Array(65507).fill(0xff);
  for (const encoding of ["utf-8", "gbk", "gb18030", "big5", "shift_jis"] as const) {
    assert.equal(displayText(input, encoding), "\\xff".repeat(65507), encoding);
  }
});

/**
 * Counts the work `TextDecoder` does while `run` runs: calls to `decode()`
 * and the bytes handed to it.
 */
function decoderWork(run: () => void): { calls: number; bytes: number } {
  const original = TextDecoder.prototype.decode;
  const work = { calls: 0, bytes: 0 };
  TextDecoder.prototype.decode = function (input?: AllowSharedBufferSource, options?) {
    work.calls++;
    work.bytes += input?.byteLength ?? 0;
    return original.call(this, input, options);
  };
  try {
    run();
  } finally {
    TextDecoder.prototype.decode = original;
  }
  return work;
}

/** Inputs built to make a per-position decoder retry as costly as possible. */
const hostileInputs: [string, (size: number) => Uint8Array][] = [
  ["all 0xff", (size) => new Uint8Array(size).fill(0xff)],
  ["all lone lead bytes", (size) => new Uint8Array(size).fill(0xe4)],
  ["ASCII and 0xff alternating", (size) => new Uint8Array(size).map((_, i) => i % 2 ? 0xff : 0x61)],
  [
    "lone surrogates",
    (size) => new Uint8Array(size).map((_, i) => [0xed, 0xa0, 0x80][i % 3]!),
  ],
  [
    "four-byte leads cut short",
    (size) => new Uint8Array(size).map((_, i) => [0xf0, 0x9f, 0x98, 0x30][i % 4]!),
  ],
];

Deno.test("displayText() calls the decoder a fixed number of times, whatever the size of bad input", () => {
  for (const encoding of ["utf-8", "gbk", "gb18030", "big5", "shift_jis"] as const) {
    for (const [name, make] of hostileInputs) {
      displayText(make(64), encoding); // first use builds what the encoding needs once
      const small = decoderWork(() => displayText(make(1024), encoding));
      const large = decoderWork(() => displayText(make(65507), encoding));
      const what = `${name} in ${encoding}`;
      // One try of the whole input, one decode of its valid sequences: never one per byte.
      assert.ok(small.calls <= 2, `${what}: ${small.calls} decoder calls for 1,024 bytes`);
      assert.ok(large.calls <= 2, `${what}: ${large.calls} decoder calls for 65,507 bytes`);
      assert.ok(large.bytes <= 2 * 65507, `${what}: ${large.bytes} bytes decoded for 65,507`);
    }
  }
});

/**
 * The definition of what `displayText()` shows, written the slow way: at
 * each position the shortest valid sequence (1-4 bytes), else the byte
 * escaped.
 */
function referenceDisplay(input: Uint8Array, encoding: string): string {
  const d = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let shown = "";
  let i = 0;
  outer: while (i < input.length) {
    for (let length = 1; length <= 4 && i + length <= input.length; length++) {
      try {
        shown += escapeText(d.decode(input.subarray(i, i + length)));
        i += length;
        continue outer;
      } catch {
        // not a whole valid sequence (yet)
      }
    }
    shown += escaped(input.subarray(i, i + 1));
    i++;
  }
  return shown;
}

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("displayText() agrees with the byte-by-byte definition on random bad input", () => {
  // Bytes that matter to some encoding's grammar: ASCII, digits, leads, trails, invalid bytes.
  const interesting = [
    0x00,
    0x0a,
    0x1b,
    0x30,
    0x35,
    0x39,
    0x40,
    0x41,
    0x5c,
    0x7e,
    0x7f,
    0x80,
    0x81,
    0x84,
    0x88,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xa1,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xe3,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xf9,
    0xfc,
    0xfd,
    0xfe,
    0xff,
  ];
  for (const encoding of ["utf-8", "gbk", "gb18030", "big5", "shift_jis"] as const) {
    const next = random(14);
    for (let n = 0; n < 3000; n++) {
      const input = new Uint8Array(1 + Math.floor(next() * 10)).map(() =>
        next() < 0.7
          ? interesting[Math.floor(next() * interesting.length)]!
          : Math.floor(next() * 256)
      );
      assert.equal(
        displayText(input, encoding),
        referenceDisplay(input, encoding),
        `${encoding} ${input.toHex()}`,
      );
    }
  }
});

Deno.test("displayText() agrees with the byte-by-byte definition on every two-byte sequence", () => {
  for (const encoding of ["gbk", "big5", "shift_jis"] as const) {
    const strict = new TextDecoder(encoding, { fatal: true });
    for (let lead = 0x80; lead <= 0xff; lead++) {
      for (let trail = 0; trail <= 0xff; trail++) {
        const input = bytes(lead, trail);
        let whole: string | undefined;
        try {
          whole = strict.decode(input);
        } catch {
          // not one valid sequence: each byte on its own
        }
        const shown = whole === undefined
          ? referenceDisplay(input.subarray(0, 1), encoding) +
            referenceDisplay(input.subarray(1), encoding)
          : escapeText(whole);
        assert.equal(displayText(input, encoding), shown, `${encoding} ${input.toHex()}`);
      }
    }
  }
});

Deno.test("displayText() agrees with the decoder on GB18030 four-byte sequences at the table's edges", () => {
  const strict = new TextDecoder("gb18030", { fatal: true });
  // First and last bytes of each region, and the pointers around 39419, 189000 and 1237575.
  const b1s = [0x81, 0x82, 0x84, 0x85, 0x8f, 0x90, 0x91, 0xe3, 0xe4, 0xfd, 0xfe];
  const b2s = [0x30, 0x31, 0x35, 0x38, 0x39];
  const b3s = [0x81, 0x82, 0xa4, 0xd2, 0xfd, 0xfe];
  const b4s = [0x30, 0x31, 0x34, 0x35, 0x36, 0x37, 0x39];
  for (const b1 of b1s) {
    for (const b2 of b2s) {
      for (const b3 of b3s) {
        for (const b4 of b4s) {
          const input = bytes(b1, b2, b3, b4);
          let whole: string | undefined;
          try {
            whole = strict.decode(input);
          } catch {
            // shown byte by byte
          }
          const shown = whole === undefined
            ? referenceDisplay(input, "gb18030")
            : escapeText(whole);
          assert.equal(displayText(input, "gb18030"), shown, input.toHex());
        }
      }
    }
  }
});

Deno.test("isPrintableAscii() is true exactly when every byte is space to ~ but not a backslash", () => {
  const printable = (b: number) => b >= 0x20 && b <= 0x7e && b !== 0x5c;
  const backing = new Uint8Array(32);
  // Every byte value at every position, at every alignment, in runs shorter and longer than a word.
  for (const offset of [0, 1, 2, 3]) {
    for (const length of [0, 1, 3, 4, 5, 8, 13]) {
      for (let at = 0; at < length; at++) {
        for (let value = 0; value < 256; value++) {
          backing.fill(0x61);
          backing[offset + at] = value;
          const bytes = backing.subarray(offset, offset + length);
          assert.equal(
            isPrintableAscii(bytes),
            printable(value),
            `${offset}/${length}/${at}/${value}`,
          );
        }
      }
    }
  }
  // Each answer agrees with decoding and asking isSafeText (a true is never wrong).
  for (const text of ["plain ascii text, long enough for words", "a\\b", "tab\t", "\x7f", "é"]) {
    const bytes = new TextEncoder().encode(text);
    if (isPrintableAscii(bytes)) assert.ok(isSafeText(text), text);
  }
  assert.equal(isPrintableAscii(new TextEncoder().encode("x".repeat(1200))), true);
});

Deno.test("isPrintableAscii() is exact for words mixing several edge bytes (no carry between bytes)", () => {
  const printable = (b: number) => b >= 0x20 && b <= 0x7e && b !== 0x5c;
  const edges = [
    0x00,
    0x01,
    0x1f,
    0x20,
    0x21,
    0x5b,
    0x5c,
    0x5d,
    0x7e,
    0x7f,
    0x80,
    0x9f,
    0xdc,
    0xff,
  ];
  const word = new Uint8Array(8); // aligned: the four bytes at 4..7 are one word
  // Every combination of edge bytes in one word: 14^4 = 38,416 words.
  for (const a of edges) {
    for (const b of edges) {
      for (const c of edges) {
        for (const d of edges) {
          word.set([0x61, 0x61, 0x61, 0x61, a, b, c, d]);
          const expected = [a, b, c, d].every(printable);
          assert.equal(isPrintableAscii(word), expected, `${[a, b, c, d]}`);
        }
      }
    }
  }
});
