import assert from "node:assert/strict";
import { BatchWriter } from "../../src/net/batch_writer.ts";

Deno.test("BatchWriter writes everything, in order, in batches of its size", async () => {
  const writes: number[][] = [];
  const writer = new BatchWriter(async (data) => {
    await new Promise((r) => setTimeout(r, 1));
    writes.push([...data]);
  }, { size: 4 });
  const input = Array.from({ length: 11 }, (_, i) => i);
  const source = new Uint8Array(input);
  await writer.write(source.subarray(0, 3));
  source.fill(99, 0, 3); // the caller may reuse its buffer at once
  await writer.write(new Uint8Array(input.slice(3, 9)));
  await writer.write(new Uint8Array(input.slice(9)));
  await writer.flush();
  assert.deepEqual(writes, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]);
});

Deno.test("BatchWriter reports a failed write on a later call", async () => {
  const writer = new BatchWriter(() => Promise.reject(new Error("disk full")), { size: 2 });
  await writer.write(new Uint8Array(2)); // the first batch goes out (and fails) in the background
  await assert.rejects(async () => {
    await writer.write(new Uint8Array(4));
    await writer.flush();
  }, /disk full/);
});
