/**
 * UDP datagram rate with 1,200-byte payloads over loopback:
 *
 *   sockit udp send --count N  → sockit udp listen (stdout to /dev/null)
 *   iperf3 -u -b 0 -l 1200     → iperf3 -s                (target: sockit ≥ 0.8× its received rate)
 *   sockit udp send --count N  → Deno receive(buf) / receive() probes (the cost of a fresh
 *                                 64 KiB buffer per call, which sockit avoids)
 *
 * Reports sent and received datagrams per second, loss, and the listener's
 * peak RSS (target ≤ 100 MB). Received rates use the sender's duration as
 * the window.
 *
 * Usage: deno task bench:udp [--count 300000] [--seconds 3] [--quick] [--json]
 *   (--quick: 50,000 datagrams, iperf3 for 1 s)
 *
 * @module
 */

import { DENO, freePort, hasCommand } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  limit,
  mb,
  parseBenchArgs,
  printTable,
  type ResultRow,
  runIperf3,
  sockitShell,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { count, seconds }, json } = parseBenchArgs({
  count: { default: 300000, quick: 50000 },
  seconds: { default: 3, quick: 1 },
});
const message = "x".repeat(1200);

interface Rate {
  sent: number;
  received: number;
  seconds: number;
  peak?: number;
}

async function sendFromSockit(port: number): Promise<number> {
  const send = sockitShell([
    "udp",
    "send",
    `127.0.0.1:${port}`,
    message,
    "--count",
    String(count),
    "-q",
  ]);
  const result = await timeShell(send);
  if (result.code !== 0) throw new Error(`sockit udp send failed: ${result.stderr}`);
  return result.seconds;
}

async function sockitPair(): Promise<Rate> {
  const server = startSockit(["udp", "listen", "0"], undefined, { stdout: "null" });
  try {
    const secs = await sendFromSockit(await server.port());
    await new Promise((r) => setTimeout(r, 500));
    server.kill("SIGINT");
    const { stderr } = await server.finish(10_000);
    const received = Number(/received (\d+) datagrams/.exec(stderr)?.[1] ?? 0);
    return { sent: count, received, seconds: secs, peak: server.memory().peak };
  } finally {
    await server.stop();
  }
}

async function probe(mode: "buffer" | "alloc"): Promise<Rate> {
  const port = freePort();
  const receiver = startPeer(DENO, [
    "run",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}udp_recv_probe.ts`,
    String(port),
    mode,
  ], { name: `probe ${mode}` });
  try {
    await receiver.waitFor(/listening on/);
    const secs = await sendFromSockit(port);
    const [line] = await receiver.waitFor(/\{"received".*\}/, { on: "stdout" });
    return {
      sent: count,
      received: JSON.parse(line).received,
      seconds: secs,
      peak: receiver.memory().peak,
    };
  } finally {
    await receiver.stop();
  }
}

async function iperf(): Promise<Rate> {
  const sum = (await runIperf3(`-u -b 0 -l 1200 -t ${seconds}`)).end.sum;
  return { sent: sum.packets, received: sum.packets - sum.lost_packets, seconds: sum.seconds };
}

console.error(`udp rate: 1200-byte datagrams over loopback (sockit: ${count} datagrams)`);
const sockit = await sockitPair();
const withBuffer = await probe("buffer");
const allocating = await probe("alloc");
const rows = [["pair", "sent/s", "received/s", "loss", "receiver peak RSS", "received ÷ sockit's"]];
const line = (name: string, r: Rate, base: Rate) => [
  name,
  (r.sent / r.seconds).toFixed(0),
  (r.received / r.seconds).toFixed(0),
  `${(100 * (1 - r.received / r.sent)).toFixed(1)}%`,
  r.peak === undefined ? "-" : mb(r.peak),
  ((r.received / r.seconds) / (base.received / base.seconds)).toFixed(2),
];
rows.push(line("sockit send → sockit listen", sockit, sockit));
rows.push(line("sockit send → Deno receive(buf)", withBuffer, sockit));
rows.push(line("sockit send → Deno receive()", allocating, sockit));
let ratio = "";
const received = (r: Rate) => r.received / r.seconds;
const results: ResultRow[] = [];
if (hasCommand("iperf3")) {
  const ip = await iperf();
  rows.push(line("iperf3 -u -b 0 -l 1200", ip, sockit));
  ratio = `sockit ÷ iperf3 received rate: ${
    (received(sockit) / received(ip)).toFixed(2)
  } (target ≥ 0.8)`;
  results.push(versus("received datagrams/s vs iperf3 -u", {
    sockit: received(sockit),
    peer: received(ip),
    unit: "/s",
    ratio: received(sockit) / received(ip),
  }, { atLeast: 0.8 }));
} else console.error("iperf3 not installed: skipped (apt-get install iperf3)");
printTable(rows);
if (ratio) console.log(ratio);
results.push(
  limit("udp listen peak RSS", { sockit: (sockit.peak ?? 0) / 1e6, unit: "MB" }, { atMost: 100 }),
);
emitResult("udp_rate", results, json);
