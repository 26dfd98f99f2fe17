import assert from "node:assert/strict";
import { QueuedWriter } from "../../src/net/queued_writer.ts";

Deno.test("QueuedWriter.stalledFor() grows while nothing goes out and restarts on progress", async () => {
  let clock = 1000;
  const writes: ((n: number) => void)[] = [];
  const writer = new QueuedWriter({
    write: (p) =>
      new Promise<number>((resolve) => writes.push(() => resolve(Math.min(p.length, 2)))),
  }, { now: () => clock });
  assert.equal(writer.stalledFor(), 0, "nothing queued");
  clock = 5000;
  writer.write(new Uint8Array(4));
  assert.equal(writer.stalledFor(), 0, "the wait starts when bytes are queued");
  clock = 7500;
  assert.equal(writer.stalledFor(), 2500);
  writes.shift()!(2); // two of the four bytes go out
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(writer.stalledFor(), 0, "a partial write is progress");
  clock = 8000;
  assert.equal(writer.stalledFor(), 500);
  writes.shift()!(2);
  await writer.drain();
  clock = 20_000;
  assert.equal(writer.stalledFor(), 0, "empty again");
});
