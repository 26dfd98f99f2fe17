import assert from "node:assert/strict";
import { NodeListener, READ_LIMIT } from "../../src/net/node_listener.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function readAll(conn: { read(p: Uint8Array): Promise<number | null> }): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) parts.push(buffer.slice(0, n));
  const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

Deno.test("NodeListener: reads to the client's end, then still writes back (half-close)", async () => {
  const listener = await NodeListener.open("127.0.0.1", 0);
  try {
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const server = await listener.accept();
    assert.equal(server.remoteAddr.hostname, "127.0.0.1");
    assert.equal(server.remoteAddr.port, (client.localAddr as Deno.NetAddr).port);
    await client.write(enc("hello"));
    await client.closeWrite();
    assert.equal(dec(await readAll(server)), "hello");
    await server.write(enc("after your end"));
    await server.closeWrite();
    assert.equal(dec(await readAll(client)), "after your end");
    client.close();
    server.close();
  } finally {
    listener.close();
  }
});

Deno.test("NodeListener: a client sending faster than the server reads is paused, nothing lost", async () => {
  const listener = await NodeListener.open("127.0.0.1", 0);
  try {
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const server = await listener.accept();
    const total = 8 * 1024 * 1024;
    const block = new Uint8Array(64 * 1024).fill(7);
    const sending = (async () => {
      for (let sent = 0; sent < total; sent += block.length) {
        for (let done = 0; done < block.length;) done += await client.write(block.subarray(done));
      }
      await client.closeWrite();
    })();
    // Bounded wait until the unread bytes pass the limit, then a moment for more to (not) arrive.
    for (let i = 0; i < 200 && server.buffered <= READ_LIMIT; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(server.buffered > READ_LIMIT, `buffered ${server.buffered}`);
    assert.ok(server.buffered <= READ_LIMIT + 256 * 1024, `buffered ${server.buffered}`);
    const received = await readAll(server);
    await sending;
    assert.equal(received.length, total);
    assert.ok(received.every((b) => b === 7));
    client.close();
    server.close();
  } finally {
    listener.close();
  }
});

Deno.test("NodeListener: close() fails a pending read and a pending accept with BadResource", async () => {
  const listener = await NodeListener.open("127.0.0.1", 0);
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  const reading = server.read(new Uint8Array(16));
  server.close();
  await assert.rejects(reading, Deno.errors.BadResource);
  await assert.rejects(server.write(enc("x")), Deno.errors.BrokenPipe);
  const accepting = listener.accept();
  listener.close();
  await assert.rejects(accepting, Deno.errors.BadResource);
  assert.equal(await client.read(new Uint8Array(16)), null);
  client.close();
});
