import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { trailedChunks, type Trailer } from "../../src/files/trailed_chunks.ts";
import { MemoryFile, pattern } from "./_memory_file.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Runs the generator to its end: the bytes it yielded and its trailer. */
async function drain(
  file: MemoryFile,
  options: Partial<Parameters<typeof trailedChunks>[1]> = {},
): Promise<{ bytes: Uint8Array; trailer: Trailer }> {
  const chunks = trailedChunks(file, {
    start: 0,
    end: file.bytes.length,
    version: { ...file.version },
    ...options,
  });
  const parts: Uint8Array[] = [];
  let step;
  while (!(step = await chunks.next()).done) parts.push(step.value.slice());
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) bytes.set(part, (at += part.length) - part.length);
  return { bytes, trailer: step.value };
}

Deno.test("trailedChunks() sends the range and trails the whole file's SHA-256", async () => {
  const data = pattern(1_000_000);
  const whole = await drain(new MemoryFile(data));
  assert.deepEqual(whole.bytes, data);
  assert.deepEqual(whole.trailer, { sha256: sha256(data) });
  const tail = await drain(new MemoryFile(data), { start: 300_000 });
  assert.deepEqual(tail.bytes, data.subarray(300_000));
  assert.deepEqual(tail.trailer, { sha256: sha256(data) }, "the prefix is hashed too");
});

Deno.test("trailedChunks() with a known hash reads only the range and trails that hash", async () => {
  const data = pattern(100_000);
  const file = new MemoryFile(data);
  const positions: number[] = [];
  file.onRead = (position) => positions.push(position);
  const { bytes, trailer } = await drain(file, { start: 50_000, known: "ab".repeat(32) });
  assert.deepEqual(bytes, data.subarray(50_000));
  assert.deepEqual(trailer, { sha256: "ab".repeat(32) });
  assert.ok(positions.every((p) => p >= 50_000), "nothing before the range is read");
});

Deno.test("trailedChunks() pads a file that shrank to the announced length and trails the change", async () => {
  const data = pattern(2_000_000);
  const file = new MemoryFile(data);
  file.onRead = (position) => {
    if (position >= 1_000_000 && file.bytes.length === data.length) {
      file.bytes = data.slice(0, 1_200_000);
      file.version = { ...file.version, size: 1_200_000, ctime: 2000 };
    }
  };
  const { bytes, trailer } = await drain(file);
  assert.equal(bytes.length, data.length, "the framing is kept");
  assert.deepEqual(bytes.subarray(1_200_000), new Uint8Array(800_000), "the rest is zeros");
  assert.match(trailer.changed ?? "", /shrank/);
});

Deno.test("trailedChunks() trails a change when the file grew or was rewritten during the send", async () => {
  const data = pattern(500_000);
  const grown = new MemoryFile(data.slice());
  grown.onRead = (position) => {
    if (position > 0) grown.version = { ...grown.version, size: 600_000, ctime: 2000 };
  };
  assert.match((await drain(grown)).trailer.changed ?? "", /changed/);
  // Rewritten in place within the same second (the version cannot show it): read again.
  const rewritten = new MemoryFile(data.slice());
  rewritten.onRead = (position) => {
    if (position === 262_144) rewritten.bytes[0] = 0xff;
  };
  const { trailer } = await drain(rewritten, { settled: false });
  assert.match(trailer.changed ?? "", /changed/);
  const unchanged = await drain(new MemoryFile(data), { settled: false });
  assert.deepEqual(unchanged.trailer, { sha256: sha256(data) });
});
