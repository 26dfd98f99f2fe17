import assert from "node:assert/strict";
import { concatBytes } from "../../src/net/buffer.ts";
import {
  BlockWriter,
  FileChangedError,
  fileSink,
  framedData,
  isDiskFull,
  netasciiReader,
  octetReader,
} from "../../src/tftp/blocks.ts";

async function withFile(bytes: Uint8Array, work: (path: string) => Promise<void> | void) {
  const path = await Deno.makeTempFile({ prefix: "sockit-blocks-" });
  try {
    await Deno.writeFile(path, bytes);
    await work(path);
  } finally {
    await Deno.remove(path);
  }
}

function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) % 251);
}

for (
  const [size, blksize] of [[0, 512], [512, 512], [1000, 512], [700_000, 1468], [600_000, 65464]]
) {
  Deno.test(`octetReader() cuts ${size} bytes into blocks of ${blksize}, in any order`, async () => {
    const bytes = pattern(size!);
    await withFile(bytes, (path) => {
      using file = Deno.openSync(path);
      const reader = octetReader(file, { size: size!, blksize: blksize! });
      const count = Math.floor(size! / blksize!) + 1;
      const blocks = [];
      for (let i = 0; i < count; i++) {
        reader.prefetch(i + 1);
        blocks.push(reader.block(i));
      }
      assert.equal(blocks.at(-1)!.length, size! % blksize!, "the last block is short");
      // Blocks handed out earlier stay valid after later reads.
      assert.deepEqual(concatBytes(blocks), bytes);
      if (count > 2) assert.deepEqual(reader.block(1), bytes.subarray(blksize!, 2 * blksize!));
      assert.equal(reader.block(count + 5).length, 0);
    });
  });
}

for (const [blksize, windowsize] of [[512, 1], [1468, 16], [65464, 1], [65464, 6], [1000, 300]]) {
  Deno.test(
    `octetReader() with windowsize ${windowsize} keeps every block of a window intact until the next (blksize ${blksize})`,
    async () => {
      const size = 40 * blksize! + 123;
      const bytes = pattern(size);
      await withFile(bytes, (path) => {
        using file = Deno.openSync(path);
        const reader = octetReader(file, { size, blksize: blksize!, windowsize: windowsize! });
        const expected = (i: number) => bytes.subarray(i * blksize!, (i + 1) * blksize!);
        const last = Math.floor(size / blksize!);
        // Windows move by an ACK for some block of the window, so they start anywhere.
        for (let base = 0, step = 1; base <= last; base += step, step = step % windowsize! + 1) {
          const window = [];
          for (let i = base; i < base + windowsize! && i <= last; i++) window.push(reader.block(i));
          window.forEach((block, k) => assert.deepEqual(block, expected(base + k)));
          // A retransmission asks for the same window again, after a read-ahead.
          reader.prefetch(base + windowsize!);
          assert.deepEqual(reader.block(base), expected(base));
        }
      });
    },
  );
}

Deno.test("framedData() wraps large windowed blocks in their DATA header in place, and nothing else", async () => {
  const blksize = 65464;
  const size = 5 * blksize + 10;
  const bytes = pattern(size);
  await withFile(bytes, (path) => {
    using file = Deno.openSync(path);
    const reader = octetReader(file, { size, blksize, windowsize: 3 });
    const expected = (i: number) => bytes.subarray(i * blksize, (i + 1) * blksize);
    for (let base = 0; base <= 5; base += 3) {
      const window = [base, base + 1, base + 2].filter((i) => i <= 5).map((i) => reader.block(i));
      const packets = window.map((data, k) => framedData(base + k + 1, data));
      packets.forEach((packet, k) => {
        assert.ok(packet, "a packet around the block");
        assert.deepEqual([...packet.subarray(0, 4)], [0, 3, 0, base + k + 1]);
        assert.equal(packet.buffer, window[k]!.buffer, "no copy");
        // Each header lies in its own room: the blocks before are intact.
        assert.deepEqual(packet.subarray(4), expected(base + k));
        assert.deepEqual(window[k], expected(base + k));
      });
    }
    assert.equal(framedData(1, new Uint8Array(100).subarray(4)), undefined, "any other bytes");
    const small = octetReader(file, { size, blksize: 1468, windowsize: 16 });
    assert.equal(framedData(1, small.block(1)), undefined, "small blocks are copied");
    const unwindowed = octetReader(file, { size, blksize });
    assert.equal(framedData(2, unwindowed.block(1)), undefined);
  });
});

Deno.test("octetReader() throws FileChangedError when the file shrinks mid-transfer", async () => {
  await withFile(pattern(4096), async (path) => {
    using file = Deno.openSync(path);
    const reader = octetReader(file, { size: 4096, blksize: 512 });
    await Deno.truncate(path, 1000);
    assert.throws(() => reader.block(3), FileChangedError);
  });
});

Deno.test("netasciiReader() and BlockWriter in netascii mode round-trip text", async () => {
  const text = new TextEncoder().encode("line one\nline two\r\nbare\rcr\n".repeat(100));
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, text);
    using file = Deno.openSync(path);
    const reader = netasciiReader(file, { blksize: 64, windowsize: 4 });
    const chunks: Uint8Array[] = [];
    const writer = new BlockWriter((bytes) => chunks.push(bytes.slice()), "netascii");
    let wire = 0;
    for (let i = 0;; i++) {
      const block = reader.block(i);
      assert.deepEqual(reader.block(i), block, "a retransmission sees the same block");
      wire += block.length;
      writer.write(block);
      if (block.length < 64) break;
    }
    writer.finish();
    assert.ok(wire > text.length, "LF became CR LF on the wire");
    assert.deepEqual(concatBytes(chunks), text);
    assert.throws(() => reader.block(0), RangeError, "blocks before the window are dropped");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("BlockWriter collects blocks into large writes", () => {
  const writes: number[] = [];
  const writer = new BlockWriter((bytes) => writes.push(bytes.length), "octet");
  for (let i = 0; i < 400; i++) writer.write(new Uint8Array(1468));
  writer.finish();
  assert.equal(writes.reduce((a, b) => a + b, 0), 400 * 1468);
  assert.ok(writes.length <= 3, `${writes.length} writes`);
  assert.equal(writer.written, 400 * 1468);
});

Deno.test("isDiskFull() knows Deno's ENOSPC, EDQUOT and EFBIG errors", () => {
  // What Deno throws when a write meets a full disk (a real one is in tests/e2e/tftp_test.ts).
  const enospc = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  assert.equal(isDiskFull(enospc), true);
  assert.equal(isDiskFull(Object.assign(new Error("quota"), { code: "EDQUOT" })), true);
  assert.equal(isDiskFull(new Error("other")), false);
  assert.equal(isDiskFull(undefined), false);
});

Deno.test("fileSink() writes every byte despite short writes", () => {
  const taken: number[] = [];
  const sink = fileSink({
    writeSync: (p) => (taken.push(Math.min(p.length, 100)), Math.min(p.length, 100)),
  });
  sink(new Uint8Array(250));
  assert.deepEqual(taken, [100, 100, 50]);
});
