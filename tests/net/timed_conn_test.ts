import assert from "node:assert/strict";
import { TimedConn, WaitTimeoutError } from "../../src/net/timed_conn.ts";

/** A connected pair on loopback: `client` (ours) and `server` (the silent peer). */
async function pair() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  return { client, server };
}

Deno.test("TimedConn.read() fails with WaitTimeoutError when no byte comes, and stays failed", async () => {
  const { client, server } = await pair();
  try {
    const conn = new TimedConn(client, 100);
    await assert.rejects(
      conn.read(new Uint8Array(16)),
      (err) => err instanceof WaitTimeoutError && err.operation === "read" && err.timeoutMs === 100,
    );
    await assert.rejects(conn.read(new Uint8Array(16)), WaitTimeoutError);
  } finally {
    server.close();
  }
});

Deno.test("TimedConn.write() fails with WaitTimeoutError when the peer stops reading", async () => {
  const { client, server } = await pair();
  try {
    const conn = new TimedConn(client, 100);
    const chunk = new Uint8Array(1024 * 1024);
    await assert.rejects(async () => {
      // Socket buffers fill within a few dozen MiB; the bound keeps a failure from looping on.
      for (let i = 0; i < 1024; i++) await conn.write(chunk);
    }, (err) => err instanceof WaitTimeoutError && err.operation === "write");
  } finally {
    server.close();
  }
});

Deno.test("TimedConn passes reads and writes through while the peer keeps up", async () => {
  const { client, server } = await pair();
  const conn = new TimedConn(client, 5_000);
  try {
    await server.write(new TextEncoder().encode("hi"));
    const buffer = new Uint8Array(16);
    assert.equal(await conn.read(buffer), 2);
    assert.equal(await conn.write(new Uint8Array([1, 2, 3])), 3);
    server.close();
    assert.equal(await conn.read(buffer), null);
  } finally {
    conn.close();
  }
});
