/**
 * UDP datagram rate with 1,200-byte payloads over loopback:
 *
 *   sockit udp send --count N  → sockit udp listen (stdout to /dev/null)
 *   sockit udp send --count N  → Deno receive(buf): the bare-runtime ceiling, a bare receive
 *                                 loop into one buffer (target: sockit ≥ 0.95× its received rate)
 *   sockit udp send --count N  → Deno receive() (the cost of a fresh 64 KiB buffer per call,
 *                                 which sockit avoids)
 *   iperf3 -u -b 0 -l 1200     → iperf3 -s                (target: sockit ≥ 0.8× its received rate)
 *
 * Reports sent and received datagrams per second, loss, and the listener's
 * peak RSS (target ≤ 100 MB); then what `udp listen` spends per datagram
 * besides the receive op, measured in one process without a socket
 * (udp_listen_cost.ts), a figure the machine's other work moves little. Received rates use the sender's duration as
 * the window.
 *
 * The sockit and Deno receivers alternate over several rounds (the order
 * reversed every other round) and the median run of each is reported: the
 * machine's other work moves single runs by more than the gaps measured.
 *
 * Usage: deno task bench:udp [--count 300000] [--seconds 3] [--rounds 3] [--quick] [--json]
 *   (--quick: 50,000 datagrams, iperf3 for 1 s, 1 round)
 * With SOCKIT_BASELINE=/path/to/main.ts, that sockit (another commit's) runs too, for A/B.
 *
 * @module
 */

import { DENO, freePort, hasCommand } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  limit,
  mb,
  median,
  parseBenchArgs,
  printTable,
  type ResultRow,
  runIperf3,
  shellQuote,
  sockitShell,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { count, seconds, rounds }, json } = parseBenchArgs({
  count: { default: 300000, quick: 50000 },
  seconds: { default: 3, quick: 1 },
  rounds: { default: 3, quick: 1 },
});
// SOCKIT_BASELINE=/path/to/other/main.ts adds that sockit's `udp listen` (an older commit) for A/B.
const baseline = Deno.env.get("SOCKIT_BASELINE");
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

async function sockitPair(main?: string): Promise<Rate> {
  const args = ["udp", "listen", "0"];
  const server = main === undefined
    ? startSockit(args, undefined, { stdout: "null" })
    : startPeer(DENO, ["run", "--no-prompt", "--allow-net=127.0.0.1", main, ...args], {
      name: "sockit baseline",
      stdout: "null",
    });
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

console.error(
  `udp rate: 1200-byte datagrams over loopback (sockit: ${count} datagrams), ${rounds} rounds`,
);
/** A receiver under the same sender (sockit udp send), one run per round. */
interface Receiver {
  name: string;
  run(): Promise<Rate>;
  runs: Rate[];
}
const receivers: Receiver[] = [
  { name: "sockit send → sockit listen", run: () => sockitPair(), runs: [] },
  { name: "sockit send → Deno receive(buf) (ceiling)", run: () => probe("buffer"), runs: [] },
  { name: "sockit send → Deno receive()", run: () => probe("alloc"), runs: [] },
];
if (baseline) {
  receivers.push({
    name: "sockit send → sockit listen (baseline)",
    run: () => sockitPair(baseline),
    runs: [],
  });
}
const received = (r: Rate) => r.received / r.seconds;
for (let round = 1; round <= rounds; round++) {
  // Alternate who goes first, so that no one always runs on a warmer (or busier) machine.
  const order = round % 2 === 1 ? receivers : [...receivers].reverse();
  for (const receiver of order) receiver.runs.push(await receiver.run());
  console.error(
    `  round ${round}: ` +
      receivers.map(({ name, runs }) => `${name} ${received(runs.at(-1)!).toFixed(0)}/s`).join(
        "; ",
      ),
  );
}
/** The run with the median received rate (with its own sent rate, loss and memory). */
const middle = (runs: Rate[]) => {
  const rate = median(runs.map(received));
  return runs.find((r) => received(r) === rate)!;
};
const [sockit, withBuffer] = receivers.map((r) => middle(r.runs)) as [Rate, Rate];
const rows = [[
  "pair (median)",
  "sent/s",
  "received/s",
  "loss",
  "receiver peak RSS",
  "sockit ÷ it (received)",
]];
const line = (name: string, r: Rate, base: Rate) => [
  name,
  (r.sent / r.seconds).toFixed(0),
  (r.received / r.seconds).toFixed(0),
  `${(100 * (1 - r.received / r.sent)).toFixed(1)}%`,
  r.peak === undefined ? "-" : mb(r.peak),
  ((base.received / base.seconds) / (r.received / r.seconds)).toFixed(2),
];
for (const receiver of receivers) rows.push(line(receiver.name, middle(receiver.runs), sockit));
const results: ResultRow[] = [
  versus("received datagrams/s vs Deno receive(buf)", {
    sockit: received(sockit),
    ceiling: received(withBuffer),
    peer: received(withBuffer),
    unit: "/s",
    ratio: received(sockit) / received(withBuffer),
  }, { atLeast: 0.95 }),
];
let ratio = `sockit ÷ Deno receive(buf) received rate: ${
  (received(sockit) / received(withBuffer)).toFixed(2)
} (target ≥ 0.95)`;
if (hasCommand("iperf3")) {
  const ip = await iperf();
  rows.push(line("iperf3 -u -b 0 -l 1200", ip, sockit));
  ratio += `; sockit ÷ iperf3: ${(received(sockit) / received(ip)).toFixed(2)} (target ≥ 0.8)`;
  results.push(versus("received datagrams/s vs iperf3 -u", {
    sockit: received(sockit),
    ceiling: received(withBuffer),
    peer: received(ip),
    unit: "/s",
    ratio: received(sockit) / received(ip),
  }, { atLeast: 0.8 }));
} else console.error("iperf3 not installed: skipped (apt-get install iperf3)");
printTable(rows);
console.log(ratio);

/** `udp_listen_cost.ts` on a checkout: µs per datagram besides the receive op. */
async function cost(root?: string): Promise<{ sockit: number; bare: number }> {
  const args = ["run", "--no-prompt", "-A", `${BENCH_DIR}udp_listen_cost.ts`];
  const result = await timeShell(
    [DENO, ...args, ...(root ? [root] : [])].map(shellQuote).join(" "),
  );
  if (result.code !== 0) throw new Error(`udp_listen_cost failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}
const own = await cost();
const before = baseline ? await cost(new URL(".", `file://${baseline}`).pathname) : undefined;
console.log(
  `udp listen's own cost per datagram besides the receive op (one process, no socket): ` +
    `${own.sockit.toFixed(2)} µs; a bare receive loop's ${own.bare.toFixed(2)} µs` +
    (before ? `; baseline ${before.sockit.toFixed(2)} µs` : ""),
);
results.push(
  limit("udp listen peak RSS", { sockit: (sockit.peak ?? 0) / 1e6, unit: "MB" }, { atMost: 100 }),
);
emitResult("udp_rate", results, json);
