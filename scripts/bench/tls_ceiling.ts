/**
 * The runtime's ceiling for TLS bulk: the least Deno program doing what
 * `tcp connect --tls` → `tcp listen --tls --mode sink` do (a `Deno.listenTls`
 * sink, a `node:tls` client writing SIZE bytes from memory), in one process.
 *
 * Usage: deno run -A scripts/bench/tls_ceiling.ts SIZE  (prints seconds)
 *
 * @module
 */

import tls from "node:tls";
import { selfSigned } from "../../src/tls/certificate.ts";

const size = Number(Deno.args[0] ?? 1024 ** 3);
const made = await selfSigned({ names: ["127.0.0.1"] });
const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: made.cert, key: made.key });
const received = (async () => {
  const conn = await listener.accept();
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  for (let n; (n = await conn.read(buffer)) !== null;) total += n;
  conn.close();
  return total;
})();
const started = performance.now();
const socket = tls.connect({
  host: "127.0.0.1",
  port: listener.addr.port,
  rejectUnauthorized: false,
});
await new Promise((resolve) => socket.once("secureConnect", resolve));
const chunk = new Uint8Array(256 * 1024);
for (let sent = 0; sent < size; sent += chunk.length) {
  if (!socket.write(chunk.subarray(0, Math.min(chunk.length, size - sent)))) {
    await new Promise((resolve) => socket.once("drain", resolve));
  }
}
socket.end();
const total = await received;
listener.close();
if (total !== size) throw new Error(`received ${total}, expected ${size}`);
console.log(((performance.now() - started) / 1000).toFixed(3));
