/**
 * The bare-runtime ceiling for `bench:tcp-bulk`: the least a Deno program
 * does to pipe stdin into a TCP connection and discard it at the other end.
 * `sink` listens on 127.0.0.1:0 (printing the port), reads one connection to
 * its end into a 256 KiB buffer and prints the byte count; `send PORT` copies
 * stdin to 127.0.0.1:PORT with `Deno.stdin.read` into a 256 KiB buffer and
 * awaits each write before reading again.
 *
 * @module
 */

const [mode, port] = Deno.args;
const buffer = new Uint8Array(256 * 1024);

if (mode === "sink") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  const conn = await listener.accept();
  let total = 0;
  for (let n; (n = await conn.read(buffer)) !== null;) total += n;
  conn.close();
  listener.close();
  console.log(total);
} else if (mode === "send") {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  for (let n; (n = await Deno.stdin.read(buffer)) !== null;) {
    for (let at = 0; at < n;) at += await conn.write(buffer.subarray(at, n));
  }
  conn.close();
} else {
  console.error("usage: tcp_bulk_ceiling.ts sink | send PORT");
  Deno.exit(2);
}
