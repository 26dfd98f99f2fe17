import assert from "node:assert/strict";
import { BLOCK, tarHeader, tarPadding } from "../../src/files/tar.ts";

const decoder = new TextDecoder();

function checksumOk(block: Uint8Array): boolean {
  const stored = parseInt(decoder.decode(block.subarray(148, 154)), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return stored === sum;
}

Deno.test("tarHeader() writes one ustar block with a valid checksum for a short ASCII name", () => {
  const block = tarHeader({ path: "docs/a.txt", type: "file", size: 5, mtime: 1_700_000_000_000 });
  assert.equal(block.length, BLOCK);
  assert.equal(decoder.decode(block.subarray(0, 10)), "docs/a.txt");
  assert.equal(decoder.decode(block.subarray(124, 135)), "00000000005");
  assert.equal(decoder.decode(block.subarray(257, 263)), "ustar\0");
  assert.equal(String.fromCharCode(block[156]!), "0");
  assert.ok(checksumOk(block));
  const dir = tarHeader({ path: "docs", type: "directory", size: 0, mtime: 0 });
  assert.equal(decoder.decode(dir.subarray(0, 5)), "docs/");
  assert.equal(String.fromCharCode(dir[156]!), "5");
});

Deno.test("tarHeader() carries long, UTF-8 and control-character names in a pax record of exact length", () => {
  // Names whose records have lengths around 99-101, where the length's own digits change.
  for (let n = 80; n < 100; n++) {
    for (const path of ["x".repeat(n + 30), "é".repeat(n / 2 | 0), `a\nb\x1b${"c".repeat(n)}`]) {
      const blocks = tarHeader({ path, type: "file", size: 1, mtime: 0 });
      assert.equal(String.fromCharCode(blocks[156]!), "x");
      assert.ok(checksumOk(blocks.subarray(0, BLOCK)));
      const size = parseInt(decoder.decode(blocks.subarray(124, 135)), 8);
      const record = decoder.decode(blocks.subarray(BLOCK, BLOCK + size));
      const length = Number(record.slice(0, record.indexOf(" ")));
      assert.equal(length, new TextEncoder().encode(record).length, JSON.stringify(path));
      assert.equal(record, `${length} path=${path}\n`);
      const ustar = blocks.subarray(blocks.length - BLOCK);
      assert.ok(checksumOk(ustar));
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(decoder.decode(ustar.subarray(0, 100)), /[\x01-\x1f\x7f]/);
    }
  }
});

Deno.test("tarHeader() puts a size of 8 GiB or more in a pax record; tarPadding() fills the block", () => {
  const blocks = tarHeader({ path: "big", type: "file", size: 8 * 1024 ** 3, mtime: 0 });
  assert.match(decoder.decode(blocks), /\d+ size=8589934592\n/);
  assert.equal(tarPadding(0).length, 0);
  assert.equal(tarPadding(1).length, 511);
  assert.equal(tarPadding(512).length, 0);
});
