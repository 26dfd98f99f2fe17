// Bench helper: the bare-runtime ceiling of `sockit bench`, minimal Deno (and
// node:dgram) programs doing the same job, one end per process. Each prints one
// JSON line on stdout when done.
//   tcp-sink PORT            read one connection to EOF: {"bytes","seconds"}
//   tcp-send PORT SECONDS    write 128 KiB blocks for SECONDS, then close
//   udp-sink PORT MODE       count datagrams until 500 ms of quiet: {"received","seconds"}
//                            MODE: buffer (receive into one buffer), alloc (receive()),
//                            node (node:dgram "message" events)
//   udp-send PORT SECONDS    send 1200-byte datagrams for SECONDS: {"sent","seconds"}
import dgram from "node:dgram";

const [mode, portText, arg] = Deno.args;
const port = Number(portText);
const hostname = "127.0.0.1";

if (mode === "tcp-sink") {
  const listener = Deno.listen({ hostname, port });
  console.error(`listening on ${hostname}:${port}`);
  const conn = await listener.accept();
  const buffer = new Uint8Array(256 * 1024);
  let bytes = 0;
  let first = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    if (bytes === 0) first = performance.now();
    bytes += n;
  }
  console.log(JSON.stringify({ bytes, seconds: (performance.now() - first) / 1000 }));
  listener.close();
} else if (mode === "tcp-send") {
  const conn = await Deno.connect({ hostname, port });
  const block = new Uint8Array(128 * 1024).fill(7);
  const end = performance.now() + Number(arg) * 1000;
  while (performance.now() < end) {
    let done = 0;
    while (done < block.length) done += await conn.write(block.subarray(done));
  }
  conn.close();
} else if (mode === "udp-sink") {
  let received = 0;
  let first = 0;
  let last = 0;
  const count = () => {
    last = performance.now();
    if (received++ === 0) first = last;
  };
  let close = () => {};
  if (arg === "node") {
    const socket = dgram.createSocket("udp4");
    socket.on("message", count);
    await new Promise<void>((resolve) => socket.bind(port, hostname, () => resolve()));
    close = () => socket.close();
  } else {
    const conn = Deno.listenDatagram({ hostname, port, transport: "udp" });
    const buffer = new Uint8Array(65536);
    (async () => {
      try {
        for (;;) {
          await (arg === "alloc" ? conn.receive() : conn.receive(buffer));
          count();
        }
      } catch {
        // closed
      }
    })();
    close = () => conn.close();
  }
  console.error(`listening on ${hostname}:${port}`);
  await new Promise<void>((resolve) => {
    const watch = setInterval(() => {
      if (received > 0 && performance.now() - last > 500) {
        clearInterval(watch);
        resolve();
      }
    }, 50);
  });
  close();
  console.log(JSON.stringify({ received, seconds: (last - first) / 1000 }));
} else if (mode === "udp-send") {
  const conn = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
  const to = { transport: "udp" as const, hostname, port };
  const datagram = new Uint8Array(1200);
  const started = performance.now();
  const end = started + Number(arg) * 1000;
  let sent = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      await conn.send(datagram, to);
      sent++;
    }
  }
  conn.close();
  console.log(JSON.stringify({ sent, seconds: (performance.now() - started) / 1000 }));
} else {
  console.error("usage: bench_ceiling.ts tcp-sink|tcp-send|udp-sink|udp-send PORT [ARG]");
  Deno.exit(2);
}
