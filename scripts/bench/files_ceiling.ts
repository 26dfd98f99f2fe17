/**
 * The bare-runtime ceiling for `bench:files`: the least a Deno program does
 * for a verified download, without a protocol. `serve FILE` listens on
 * 127.0.0.1:0 (printing the port) and, per connection, streams FILE while
 * hashing it, then its SHA-256 (64 hex bytes); `get PORT OUT` writes the
 * bytes to OUT while hashing them and compares. Same 256 KiB buffers.
 *
 * @module
 */

import { createHash } from "node:crypto";

const [mode, ...rest] = Deno.args;
const CHUNK = 256 * 1024;

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += await w.write(bytes.subarray(at));
}

if (mode === "serve") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) {
    using file = await Deno.open(rest[0]!);
    const hash = createHash("sha256");
    const buffer = new Uint8Array(CHUNK);
    for (let n; (n = await file.read(buffer)) !== null;) {
      hash.update(buffer.subarray(0, n));
      await writeAll(conn, buffer.subarray(0, n));
    }
    await writeAll(conn, new TextEncoder().encode(hash.digest("hex")));
    conn.close();
  }
} else if (mode === "get") {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(rest[0]) });
  using file = await Deno.open(rest[1]!, { write: true, create: true, truncate: true });
  const hash = createHash("sha256");
  const buffer = new Uint8Array(CHUNK);
  let tail = new Uint8Array(0); // the last 64 bytes seen: the trailer
  for (let n; (n = await conn.read(buffer)) !== null;) {
    const all = new Uint8Array(tail.length + n);
    all.set(tail);
    all.set(buffer.subarray(0, n), tail.length);
    const keep = Math.min(64, all.length);
    const body = all.subarray(0, all.length - keep);
    hash.update(body);
    await writeAll(file, body);
    tail = all.slice(all.length - keep);
  }
  conn.close();
  if (new TextDecoder().decode(tail) !== hash.digest("hex")) {
    console.error("hash mismatch");
    Deno.exit(1);
  }
}
