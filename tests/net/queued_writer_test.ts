import assert from "node:assert/strict";
import { QueuedWriter } from "../../src/net/queued_writer.ts";

Deno.test("QueuedWriter writes everything in order and coalesces while a write is in flight", async () => {
  const sink: number[] = [];
  const sizes: number[] = [];
  let gate = Promise.withResolvers<void>();
  const writer = new QueuedWriter({
    async write(p) {
      await gate.promise;
      sink.push(...p);
      sizes.push(p.length);
      return p.length;
    },
  });
  assert.equal(writer.write(new Uint8Array([1])), true);
  assert.equal(writer.write(new Uint8Array([2, 3])), true);
  assert.equal(writer.write(new Uint8Array([4])), true);
  assert.equal(writer.queued, 4);
  gate.resolve();
  await writer.drain();
  assert.deepEqual(sink, [1, 2, 3, 4]);
  assert.deepEqual(sizes, [1, 3], "the second write carries both queued chunks");
  assert.equal(writer.queued, 0);
  gate = Promise.withResolvers<void>();
  gate.resolve();
});

Deno.test("QueuedWriter refuses a write that would go over its limit, keeping the rest", async () => {
  const gate = Promise.withResolvers<void>();
  let written = 0;
  const writer = new QueuedWriter({
    async write(p) {
      await gate.promise;
      written += p.length;
      return p.length;
    },
  }, { limit: 5 });
  assert.equal(writer.write(new Uint8Array(4)), true);
  assert.equal(writer.write(new Uint8Array(2)), false, "4 + 2 > 5");
  assert.equal(writer.write(new Uint8Array(1)), true);
  gate.resolve();
  await writer.drain();
  assert.equal(written, 5);
  assert.equal(writer.write(new Uint8Array(5)), true, "room again once drained");
  await writer.drain();
});

Deno.test("QueuedWriter repeats partial writes and reports a failed write", async () => {
  const chunks: number[] = [];
  const partial = new QueuedWriter({
    write(p) {
      chunks.push(Math.min(2, p.length));
      return Promise.resolve(Math.min(2, p.length));
    },
  });
  partial.write(new Uint8Array(5));
  await partial.drain();
  assert.deepEqual(chunks, [2, 2, 1]);
  const failing = new QueuedWriter({ write: () => Promise.reject(new Deno.errors.BrokenPipe()) });
  assert.equal(failing.write(new Uint8Array(1)), true);
  await failing.drain();
  assert.ok(failing.error instanceof Deno.errors.BrokenPipe);
  assert.equal(failing.write(new Uint8Array(1)), false);
});

Deno.test("QueuedWriter keeps order over thousands of small and large chunks, copying small ones into writes of at most 16 KiB", async () => {
  const received: Uint8Array[] = [];
  const sizes: number[] = [];
  let writes = 0;
  const writer = new QueuedWriter({
    async write(p) {
      // Every other write stalls a little, so chunks pile up behind it; the
      // bytes are copied now, as a socket would take them.
      if (writes++ % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      received.push(p.slice());
      sizes.push(p.length);
      return p.length;
    },
  }, { limit: 64 * 1024 * 1024 });
  const sent: number[] = [];
  let value = 0;
  for (let round = 0; round < 40; round++) {
    // 200 one-to-40-byte chunks, then one of 12 KiB (alone when it cannot be joined).
    for (let i = 0; i < 200; i++) {
      const chunk = new Uint8Array(1 + ((i * 7) % 40)).map(() => value++ & 0xff);
      sent.push(...chunk);
      assert.equal(writer.write(chunk), true);
    }
    const big = new Uint8Array(12 * 1024).map(() => value++ & 0xff);
    sent.push(...big);
    assert.equal(writer.write(big), true);
    if (round % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await writer.drain();
  const all = new Uint8Array(received.reduce((n, p) => n + p.length, 0));
  received.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  assert.deepEqual([...all], sent);
  assert.equal(writer.queued, 0);
  assert.ok(sizes.every((n) => n <= 16 * 1024), `a write of ${Math.max(...sizes)} bytes`);
  assert.ok(sizes.length < 40 * 201 / 4, `${sizes.length} writes: small chunks were not joined`);
});
