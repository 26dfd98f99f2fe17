/**
 * The ceiling of `bench:relay`: the least a Deno program can do to relay
 * TCP. Listens on 127.0.0.1 (port 0), joins each connection to a new one to
 * TARGET, and copies both ways with one 256 KiB buffer per direction, read
 * then awaited write, half-closing at EOF. No options, no reports, no error
 * words: only the runtime's cost.
 *
 * usage: deno run --allow-net=127.0.0.1 bare_relay.ts TARGET_PORT
 *
 * @module
 */

const targetPort = Number(Deno.args[0]);

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(256 * 1024);
  for (let n; (n = await from.read(buffer)) !== null;) {
    for (let done = 0; done < n;) done += await to.write(buffer.subarray(done, n));
  }
  await to.closeWrite();
}

async function join(client: Deno.TcpConn): Promise<void> {
  const target = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
  client.setNoDelay(true);
  target.setNoDelay(true);
  await Promise.allSettled([copy(client, target), copy(target, client)]);
  client.close();
  target.close();
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.error(`listening on 127.0.0.1:${listener.addr.port}`);
for await (const client of listener) join(client).catch(() => {});
