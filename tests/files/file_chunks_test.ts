import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileChunks, type FileChunksOptions } from "../../src/files/file_chunks.ts";
import { FileChangedError } from "../../src/files/hash_cache.ts";
import { concatBytes } from "../../src/net/buffer.ts";
import { MemoryFile, pattern } from "./_memory_file.ts";

const SIZE = 10 * 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every chunk passed on (copied), and the error that ended it, if any. */
async function collect(file: MemoryFile, options: Partial<FileChunksOptions> = {}) {
  const chunks: Uint8Array[] = [];
  try {
    for await (
      const chunk of fileChunks(file, {
        start: 0,
        end: file.bytes.length,
        version: { ...file.version },
        ...options,
      })
    ) {
      chunks.push(chunk.slice());
    }
    return { bytes: concatBytes(chunks), error: undefined };
  } catch (err) {
    return { bytes: concatBytes(chunks), error: err };
  }
}

Deno.test("fileChunks() passes on a range of an unchanged file, with or without the hash check", async () => {
  const file = new MemoryFile(pattern(SIZE));
  for (const sha of [undefined, sha256(file.bytes)]) {
    const whole = await collect(file, { sha256: sha });
    assert.equal(whole.error, undefined);
    assert.deepEqual(whole.bytes, file.bytes);
    const part = await collect(file, { start: 1000, end: 300_000, sha256: sha });
    assert.deepEqual(part.bytes, file.bytes.subarray(1000, 300_000));
    const reused = await collect(file, { buffer: new Uint8Array(65536), sha256: sha });
    assert.deepEqual(reused.bytes, file.bytes);
  }
});

Deno.test("fileChunks() stops before the last chunk when the version changes", async () => {
  const file = new MemoryFile(pattern(SIZE));
  file.onRead = (at) => {
    if (at >= SIZE - 256 * 1024) file.version = { ...file.version, ctime: 9000 }; // the last read
  };
  const { bytes, error } = await collect(file);
  assert.ok(error instanceof FileChangedError);
  assert.ok(bytes.length < SIZE, "never the whole file");
});

Deno.test("fileChunks() notices a change early: every 4 MiB", async () => {
  const file = new MemoryFile(pattern(SIZE));
  file.onRead = (at) => {
    if (at === 0) file.version = { ...file.version, size: SIZE + 1 };
  };
  const { bytes, error } = await collect(file);
  assert.ok(error instanceof FileChangedError);
  assert.ok(bytes.length < 4 * 1024 * 1024 + 256 * 1024, `stopped after ${bytes.length}`);
});

Deno.test("fileChunks() with the hash: bytes that changed under the same version are never completed", async () => {
  const original = pattern(SIZE);
  // The end changes (same size, same version: within one second) before it is read.
  const file = new MemoryFile(original.slice());
  file.onRead = (at) => {
    if (at > SIZE / 2) file.bytes[SIZE - 1] = 0xee;
  };
  const { bytes, error } = await collect(file, { sha256: sha256(original) });
  assert.ok(error instanceof FileChangedError);
  assert.ok(bytes.length < SIZE);
  // Only the range asked for, but the whole file is checked.
  const tail = new MemoryFile(original.slice());
  tail.onRead = (at) => {
    if (at > 0) tail.bytes[SIZE - 1] = 0xee;
  };
  const part = await collect(tail, { start: 0, end: 1000, sha256: sha256(original) });
  assert.ok(part.error instanceof FileChangedError);
  assert.equal(part.bytes.length, 0, "the only chunk is held back");
});

Deno.test("fileChunks() refuses a file that shrank", async () => {
  const file = new MemoryFile(pattern(SIZE));
  file.onRead = (at) => {
    if (at > 0) file.bytes = file.bytes.subarray(0, 1000);
  };
  const { error } = await collect(file);
  assert.ok(error instanceof FileChangedError);
});
