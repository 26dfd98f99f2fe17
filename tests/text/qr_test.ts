/**
 * The QR encoder, checked by a decoder nobody here wrote: each code is drawn
 * with half blocks exactly as the terminal shows it, that text rendered to a
 * PGM image, and the image decoded with zbarimg (zbar-tools).
 */

import assert from "node:assert/strict";
import { encodeQr, QR_MAX_BYTES, qrHalfBlocks } from "../../src/text/qr.ts";
import { skipWithout } from "../helpers/harness.ts";
import { decodeHalfBlocks } from "../helpers/qr.ts";

const encoder = new TextEncoder();

Deno.test({
  name: "encodeQr() codes of versions 1-10 and every mask decode to their text (zbarimg)",
  ignore: skipWithout("zbarimg"),
  async fn() {
    const seen = new Set<number>();
    for (const length of [5, 20, 30, 55, 80, 100, 120, 150, 180, QR_MAX_BYTES]) {
      const text = Array.from(
        { length },
        (_, i) => "abcdefghijklmnopqrstuvwxyz/:.0123456789"[i % 39],
      )
        .join("");
      const auto = encodeQr(encoder.encode(text));
      seen.add(auto.version);
      assert.equal(await decodeHalfBlocks(qrHalfBlocks(auto)), text, `v${auto.version}`);
      const mask = length % 8;
      const forced = encodeQr(encoder.encode(text), { mask });
      assert.equal(
        await decodeHalfBlocks(qrHalfBlocks(forced)),
        text,
        `v${forced.version} m${mask}`,
      );
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let mask = 0; mask < 8; mask++) {
      const url = "http://192.168.1.20:8080/";
      assert.equal(
        await decodeHalfBlocks(qrHalfBlocks(encodeQr(encoder.encode(url), { mask }))),
        url,
      );
    }
    const utf8 = "http://例え.jp:8080/ünï";
    assert.equal(await decodeHalfBlocks(qrHalfBlocks(encodeQr(encoder.encode(utf8)))), utf8);
  },
});

Deno.test("encodeQr() refuses more than 213 bytes; the drawing has the quiet zone and half blocks", () => {
  assert.throws(() => encodeQr(new Uint8Array(QR_MAX_BYTES + 1)), RangeError);
  const code = encodeQr(encoder.encode("hi"));
  assert.equal(code.version, 1);
  assert.equal(code.size, 21);
  const lines = qrHalfBlocks(code);
  assert.equal(lines.length, Math.ceil((21 + 8) / 2));
  assert.ok(lines.every((l) => [...l].length === 29));
  assert.equal(lines[0], "█".repeat(29), "the quiet zone is light");
  assert.ok(lines.every((l) => /^[█▀▄ ]+$/.test(l)));
});
