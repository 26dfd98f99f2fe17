// Echo load generator (runs under node, or deno): CONNS connections each
// ping-pong SIZE-byte messages for SECONDS; prints one JSON line with round
// trips per second and p50/p99 latency. With mode "idle" it opens CONNS
// connections, prints "ready N", and holds them until stdin closes.
//
// usage: node echo_load.mjs PORT CONNS SECONDS SIZE [pingpong|idle]
import net from "node:net";
import process from "node:process";

const [port, conns, seconds, size, mode = "pingpong"] = process.argv.slice(2);
const PORT = Number(port);
const CONNS = Number(conns);
const SECONDS = Number(seconds);
const SIZE = Number(size);
const HOST = "127.0.0.1";

function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: PORT, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function openAll(n) {
  const sockets = [];
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, n - i) }, open));
    sockets.push(...batch);
  }
  return sockets;
}

if (mode === "idle") {
  const sockets = await openAll(CONNS);
  for (const s of sockets) s.on("error", () => {});
  console.log(`ready ${sockets.length}`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
} else {
  const sockets = await openAll(CONNS);
  const message = Buffer.alloc(SIZE, 0x61);
  const samples = new Float64Array(4_000_000);
  let count = 0;
  let errors = 0;
  let running = true;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(sockets.map((socket) =>
    new Promise((resolve) => {
      let received = 0;
      let sentAt = 0n;
      const ping = () => {
        received = 0;
        sentAt = process.hrtime.bigint();
        socket.write(message);
      };
      socket.on("data", (chunk) => {
        received += chunk.length;
        if (received < SIZE) return;
        const us = Number(process.hrtime.bigint() - sentAt) / 1000;
        if (count < samples.length) samples[count] = us;
        count++;
        if (running && Date.now() < deadline) ping();
        else {
          running = false;
          socket.end();
          resolve();
        }
      });
      socket.on("error", () => {
        errors++;
        resolve();
      });
      socket.on("close", resolve);
      ping();
    })
  ));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = samples.subarray(0, Math.min(count, samples.length)).sort();
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(JSON.stringify({
    roundTrips: count,
    seconds: elapsed,
    perSecond: count / elapsed,
    p50us: pick(0.5),
    p99us: pick(0.99),
    errors,
  }));
  process.exit(0);
}
