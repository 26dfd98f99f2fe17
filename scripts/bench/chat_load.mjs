// Chat relay load generator (node, or deno): CLIENTS connections join a
// relay, SENDERS of them send "M <sender> <seq> <µs>" lines as fast as the
// server takes them for SECONDS, and every client counts the M lines it
// receives and their latency. Prints one JSON line. Works with any relay
// that forwards a client's line to the others with a prefix (sockit chat,
// ncat --chat).
//
// With RATE > 0 each sender sends RATE lines a second instead (latency at
// a load every server can carry).
//
// It reports whatever the server does: a connection not made within 10 s
// ends it with exit 1 and a message, and the window ends by the clock,
// checked by every callback, which reports at once. Under a flood of socket
// reads a runtime may run a timer, or the code after an await, late: Deno's
// node layer ran it 5-24 s late at 1M lines/s.
//
// usage: node chat_load.mjs PORT CLIENTS SENDERS SECONDS [RATE]
import net from "node:net";
import process from "node:process";

const [port, clients, senders, seconds, rate = 0] = process.argv.slice(2).map(Number);
const CONNECT_TIMEOUT_MS = 10_000;

function connect() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const sockets = [];
try {
  for (let i = 0; i < clients; i += 100) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(100, clients - i) }, connect)));
  }
} catch (err) {
  console.error(
    `chat_load: cannot connect ${clients} clients to 127.0.0.1:${port}: ${err.message}`,
  );
  process.exit(1);
}
for (const socket of sockets) socket.on("error", () => {});
// Let the join announcements settle before measuring.
await new Promise((r) => setTimeout(r, 1000));

const now = () => Number(process.hrtime.bigint() / 1000n);
let measuring = true;
const latencies = new Float64Array(20_000_000);
let delivered = 0;
let disconnected = 0;
const start = now();
const end = start + seconds * 1e6;
let sent = 0;
// Deliveries after the window are not counted; in-flight ones get half a second.
const close = end + 500_000;
const checkClock = (t = now()) => {
  if (t >= close) report();
};

/** Ends the run: prints the JSON line and exits, from whichever callback sees the window over. */
function report() {
  measuring = false;
  const sorted = latencies.subarray(0, Math.min(delivered, latencies.length)).sort();
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(JSON.stringify({
    sent,
    delivered,
    seconds,
    deliveredPerSecond: delivered / seconds,
    p50us: pick(0.5),
    p99us: pick(0.99),
    disconnected,
  }));
  for (const s of sockets) s.destroy();
  process.exit(0);
}

for (const socket of sockets) {
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (text) => {
    pending += text;
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const at = line.lastIndexOf(" M ");
      if (at < 0 || !measuring) continue;
      const sent = Number(line.slice(line.lastIndexOf(" ") + 1));
      const t = now();
      if (t > end) continue;
      if (delivered < latencies.length) latencies[delivered] = t - sent;
      delivered++;
    }
    checkClock();
  });
  socket.on("close", () => disconnected++);
}

for (const [index, socket] of sockets.slice(0, senders).entries()) {
  let seq = 0;
  if (rate > 0) {
    const timer = setInterval(() => {
      checkClock();
      if (now() >= end || socket.destroyed) return clearInterval(timer);
      socket.write(`M ${index} ${seq++} ${now()}\n`);
      sent++;
    }, 1000 / rate);
    continue;
  }
  const pump = () => {
    checkClock();
    while (now() < end && !socket.destroyed) {
      const ok = socket.write(`M ${index} ${seq++} ${now()}\n`);
      sent++;
      if (!ok) return socket.once("drain", pump);
      if (seq % 20 === 0) return setImmediate(pump);
    }
  };
  pump();
}
// The window is fixed: it ends at its time whether or not a sender is waiting to drain.
setTimeout(report, seconds * 1000 + 500);
