/**
 * The one-direction pump on fake streams: every byte in order, partial
 * writes repeated, half-close at EOF, the tap and counters, one buffer
 * reused (no chunk waits in memory), and failures named by side.
 */
import assert from "node:assert/strict";
import { pump, PumpError, type PumpSink, type PumpSource } from "../../src/net/pump.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A source yielding `chunks`, then EOF (or `fail` instead of EOF). */
function source(chunks: Uint8Array[], fail?: Error): PumpSource & { buffers: Set<ArrayBuffer> } {
  const buffers = new Set<ArrayBuffer>();
  return {
    buffers,
    read(p: Uint8Array) {
      buffers.add(p.buffer as ArrayBuffer);
      const next = chunks.shift();
      if (next === undefined) return fail ? Promise.reject(fail) : Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
  };
}

/** A sink taking at most `most` bytes a write; records bytes and whether it was half-closed. */
function sink(most = Infinity, fail?: Error) {
  const got: number[] = [];
  const state = { closedWrite: false, writes: 0 };
  const s: PumpSink = {
    write(p: Uint8Array) {
      if (fail) return Promise.reject(fail);
      state.writes++;
      const n = Math.min(p.length, most);
      got.push(...p.subarray(0, n));
      return Promise.resolve(n);
    },
    closeWrite() {
      state.closedWrite = true;
      return Promise.resolve();
    },
  };
  return { sink: s, got, state };
}

Deno.test("pump moves every byte in order, repeats partial writes, half-closes at EOF", async () => {
  const src = source([enc("hello "), enc("relay"), enc("!")]);
  const dst = sink(2);
  const read: number[] = [];
  let written = 0;
  const total = await pump(src, dst.sink, {
    onRead: (n) => read.push(n),
    onWritten: (n) => written += n,
  });
  assert.equal(total, 12);
  assert.equal(new TextDecoder().decode(new Uint8Array(dst.got)), "hello relay!");
  assert.deepEqual(read, [6, 5, 1]);
  assert.equal(written, 12);
  assert.equal(dst.state.writes, 7); // 2 bytes at a time
  assert.ok(dst.state.closedWrite);
  assert.equal(src.buffers.size, 1, "one read buffer, reused");
});

Deno.test("pump shows each chunk to the tap before it is written; closeWrite false keeps the sink open", async () => {
  const order: string[] = [];
  const dst = sink();
  const wrapped: PumpSink = {
    write: (p) => {
      order.push(`write ${p.length}`);
      return dst.sink.write(p);
    },
    closeWrite: () => dst.sink.closeWrite(),
  };
  await pump(source([enc("ab"), enc("cde")]), wrapped, {
    tap: async (chunk) => {
      await Promise.resolve();
      order.push(`tap ${new TextDecoder().decode(chunk)}`);
    },
    closeWrite: false,
  });
  assert.deepEqual(order, ["tap ab", "write 2", "tap cde", "write 3"]);
  assert.equal(dst.state.closedWrite, false);
});

Deno.test("pump failures say which side failed", async () => {
  const reset = new Deno.errors.ConnectionReset("reset");
  const readFailure = await pump(source([enc("x")], reset), sink().sink).catch((e) => e);
  assert.ok(readFailure instanceof PumpError);
  assert.equal(readFailure.side, "read");
  assert.equal(readFailure.cause, reset);
  const pipe = new Deno.errors.BrokenPipe("pipe");
  const writeFailure = await pump(source([enc("x")]), sink(Infinity, pipe).sink).catch((e) => e);
  assert.ok(writeFailure instanceof PumpError);
  assert.equal(writeFailure.side, "write");
  assert.equal(writeFailure.cause, pipe);
});

Deno.test("pump: a sink already gone both ways at EOF is not an error", async () => {
  const gone: PumpSink = {
    write: (p) => Promise.resolve(p.length),
    closeWrite: () => Promise.reject(new Deno.errors.NotConnected("not connected")),
  };
  assert.equal(await pump(source([enc("abc")]), gone), 3);
});
