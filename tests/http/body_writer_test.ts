import assert from "node:assert/strict";
import { BodyWriter } from "../../src/http/body_writer.ts";

/** A sink that records each write after a short delay (so writes overlap the next read). */
function recorder() {
  const writes: number[][] = [];
  const sink = async (data: Uint8Array) => {
    await new Promise((r) => setTimeout(r, 1));
    writes.push([...data]);
  };
  return { writes, sink };
}

Deno.test("BodyWriter writes one read's body views as one write, framing between them dropped", async () => {
  const { writes, sink } = recorder();
  const body = new BodyWriter(16);
  body.sink = sink;
  const buffer = await body.next();
  buffer.set([9, 1, 2, 9, 9, 3, 4, 5, 9]); // body bytes 1-5 between framing bytes (9)
  body.add(buffer.subarray(1, 3));
  body.add(buffer.subarray(5, 8));
  await body.flush();
  assert.deepEqual(writes, [[1, 2, 3, 4, 5]]);
});

Deno.test("BodyWriter keeps order across reads, copies and bytes from elsewhere", async () => {
  const { writes, sink } = recorder();
  const body = new BodyWriter(8);
  body.sink = sink;
  body.addCopy(new Uint8Array([100])); // the header for -i, before any read
  const first = await body.next();
  first.set([1, 2, 3]);
  body.add(first.subarray(0, 3));
  body.add(new Uint8Array([4])); // a view of some other buffer (the parser's own): copied
  body.add(first.subarray(0, 0)); // empty: nothing
  const second = await body.next();
  assert.notEqual(second.buffer, first.buffer, "the other buffer, while the first one is written");
  second.set([5, 6]);
  body.add(second.subarray(0, 2));
  await body.flush();
  assert.deepEqual(writes, [[100], [1, 2, 3], [4], [5, 6]]);
});

Deno.test("BodyWriter hands a buffer out again only once its write is done", async () => {
  let release: (() => void) | undefined;
  const seen: number[][] = [];
  const body = new BodyWriter(4);
  body.sink = (data) =>
    new Promise<void>((resolve) => {
      release = () => {
        seen.push([...data]);
        resolve();
      };
    });
  const first = await body.next();
  first.set([1, 2]);
  body.add(first.subarray(0, 2));
  await body.next(); // the other buffer: free
  let third: Uint8Array | undefined;
  const pending = body.next().then((buffer) => third = buffer);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(third, undefined, "the first buffer is still being written");
  release!();
  await pending;
  assert.equal(third!.buffer, first.buffer);
  assert.deepEqual(seen, [[1, 2]]);
});

Deno.test("BodyWriter without a sink drops the body", async () => {
  const body = new BodyWriter(4);
  const buffer = await body.next();
  body.add(buffer.subarray(0, 4));
  body.addCopy(new Uint8Array([1]));
  await body.flush();
});

Deno.test("BodyWriter reports a failed write on the next buffer or the flush", async () => {
  const body = new BodyWriter(4);
  body.sink = () => Promise.reject(new Error("disk full"));
  const buffer = await body.next();
  body.add(buffer.subarray(0, 2));
  await assert.rejects(async () => {
    await body.next();
    await body.next();
  }, /disk full/);
  await assert.rejects(body.flush(), /disk full/);
});

Deno.test("BodyWriter gathers short reads in one buffer while a write is going, one write for them", async () => {
  let release: (() => void) | undefined;
  const writes: number[][] = [];
  const body = new BodyWriter(16);
  body.sink = (data) =>
    new Promise<void>((resolve) => {
      release = () => {
        writes.push([...data]);
        resolve();
      };
    });
  body.addCopy(new Uint8Array([100])); // a write in flight, held until released
  const first = await body.next();
  first.set([1, 2]);
  body.add(first.subarray(0, 2));
  const second = await body.next();
  assert.equal(second.buffer, first.buffer, "a short read while a write is going: the same buffer");
  assert.equal(second.byteOffset - first.byteOffset, 2, "after the bytes gathered");
  second.set([9, 3]); // a framing byte, then body
  body.add(second.subarray(1, 2));
  const third = await body.next();
  assert.equal(third.byteOffset - first.byteOffset, 3);
  third.set([4]);
  body.add(third.subarray(0, 1));
  release!(); // [100] done: what was gathered goes out without waiting for another read
  await new Promise((r) => setTimeout(r, 0));
  release!();
  await body.flush();
  assert.deepEqual(writes, [[100], [1, 2, 3, 4]]);
});

Deno.test("BodyWriter writes gathered bytes once the write before them is done, with no further read", async () => {
  let release: (() => void) | undefined;
  const writes: number[][] = [];
  let calls = 0;
  const body = new BodyWriter(16);
  body.sink = (data) =>
    new Promise<void>((resolve) => {
      calls++;
      release = () => {
        writes.push([...data]);
        resolve();
      };
    });
  body.addCopy(new Uint8Array([100]));
  const first = await body.next();
  first.set([7, 8]);
  body.add(first.subarray(0, 2));
  await body.next(); // a read that never completes, as on a slow stream
  release!();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(writes, [[100]]);
  assert.equal(calls, 2, "the gathered bytes were handed to the sink");
  release!();
  assert.deepEqual(writes, [[100], [7, 8]]);
});
