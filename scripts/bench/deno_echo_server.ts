// Bench helper: the bare-runtime ceilings of `tcp listen -k --mode echo`,
// minimal Deno echo servers on 127.0.0.1 (port 0) with nothing else (no
// counting, no limits, no reporting). usage: deno_echo_server.ts [conn|node]
//   conn  Deno.listen: one read loop per connection into a 4 KiB buffer, each
//         chunk written back before the next read (sockit's own design)
//   node  node:net in Deno (socket.pipe(socket)): the runtime's libuv-style
//         native handles, read callbacks instead of one read promise per chunk
import net from "node:net";

if (Deno.args[0] === "node") {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  server.maxConnections = 20000;
  server.listen(0, "127.0.0.1", 1024, () => {
    console.error(`listening on 127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
} else {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.error(`listening on 127.0.0.1:${listener.addr.port}`);
  for await (const conn of listener) echo(conn);
}

async function echo(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(4096);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let done = 0; done < n;) done += await conn.write(buffer.subarray(done, n));
    }
  } catch {
    // reset by the client: done
  } finally {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}
