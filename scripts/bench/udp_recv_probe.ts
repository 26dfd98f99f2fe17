// Bench helper: counts datagrams on 127.0.0.1:PORT with Deno's receive(),
// either into one reused buffer ("buffer") or letting Deno allocate a fresh
// 64 KiB buffer per call ("alloc"), and prints a JSON line once the sender
// has been quiet for 500 ms. usage: udp_recv_probe.ts PORT buffer|alloc
const [port, mode] = Deno.args;
const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: Number(port), transport: "udp" });
console.error(`listening on 127.0.0.1:${(conn.addr as Deno.NetAddr).port}`);
const buffer = new Uint8Array(65536);
let count = 0;
let first = 0;
let last = 0;
const watch = setInterval(() => {
  if (count > 0 && performance.now() - last > 500) {
    console.log(JSON.stringify({ received: count, seconds: (last - first) / 1000 }));
    clearInterval(watch);
    conn.close();
  }
}, 50);
try {
  for (;;) {
    await (mode === "alloc" ? conn.receive() : conn.receive(buffer));
    last = performance.now();
    if (count++ === 0) first = last;
  }
} catch {
  // closed
}
