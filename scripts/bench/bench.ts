/**
 * `sockit bench` against iperf3 and the bare runtime, over loopback:
 *
 *   TCP, one stream, SECONDS:  sockit client → sockit serve, iperf3 -c → sockit serve,
 *                              iperf3 -c → iperf3 -s, and a minimal Deno sender → receiver
 *                              (targets: both sockit figures ≥ 0.9× iperf3 → iperf3)
 *   UDP, -b 0, 1200 bytes:     datagrams received per second, sockit ↔ sockit,
 *                              iperf3 ↔ iperf3, and minimal Deno receivers (one reused buffer,
 *                              a fresh buffer per receive, node:dgram) fed by a minimal Deno
 *                              sender (target: sockit ≥ 0.8× iperf3)
 *   4 clients at once:         the aggregate of four sockit clients against one sockit serve
 *                              vs one client alone (target: ≥ 0.9×)
 *
 * Each figure is the median of ROUNDS rounds; the pairs alternate within a round, so that load
 * from elsewhere on the machine falls on all of them alike.
 *
 * Usage: deno task bench:bench [--seconds 10] [--rounds 3] [--quick] [--json]
 *   (--quick: 2 s, 1 round)
 *
 * @module
 */

import { DENO, freePort, hasCommand } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  median,
  parseBenchArgs,
  printTable,
  type ResultRow,
  sockitShell,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { seconds, rounds }, json } = parseBenchArgs({
  seconds: { default: 10, quick: 2 },
  rounds: { default: 3, quick: 1 },
});
const IPERF = hasCommand("iperf3");

// deno-lint-ignore no-explicit-any
type Json = any;

function lastJson(stdout: string): Json {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** `sockit bench client` against `port`, its `end` event. */
async function sockitClient(port: number, args: string[]): Promise<Json> {
  const shell = sockitShell(["bench", "client", `127.0.0.1:${port}`, "--json", "-i", "0", ...args]);
  const result = await timeShell(shell);
  if (result.code !== 0) throw new Error(`sockit bench client failed: ${result.stderr}`);
  return lastJson(result.stdout);
}

async function iperfClient(port: number, args: string): Promise<Json> {
  const result = await timeShell(`iperf3 -c 127.0.0.1 -p ${port} -J ${args}`);
  if (result.code !== 0) throw new Error(`iperf3 -c failed: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout).end;
}

async function withSockitServer<T>(run: (port: number) => Promise<T>): Promise<T> {
  const server = startSockit(["bench", "serve", "0", "-q"]);
  try {
    return await run(await server.port());
  } finally {
    await server.stop();
  }
}

async function withIperfServer<T>(run: (port: number) => Promise<T>): Promise<T> {
  const port = freePort();
  const server = startPeer("iperf3", ["-s", "--forceflush", "-B", "127.0.0.1", "-p", `${port}`], {
    name: "iperf3 -s",
  });
  try {
    await server.waitFor(/Server listening/, { on: "stdout" });
    return await run(port);
  } finally {
    await server.stop();
  }
}

/** A minimal Deno pair (scripts/bench/bench_ceiling.ts): the sink's JSON line. */
async function ceiling(sink: string[], send: string[]): Promise<Json> {
  const port = freePort({ transport: sink[0] === "udp-sink" ? "udp" : "tcp" });
  const receiver = startPeer(DENO, [
    "run",
    "-A",
    "--unstable-net",
    `${BENCH_DIR}bench_ceiling.ts`,
    sink[0]!,
    String(port),
    ...sink.slice(1),
  ], { name: `ceiling ${sink.join(" ")}` });
  try {
    await receiver.waitFor(/listening on/);
    const sender = await timeShell(
      [
        DENO,
        "run",
        "-A",
        "--unstable-net",
        `${BENCH_DIR}bench_ceiling.ts`,
        send[0],
        port,
        ...send.slice(1),
      ]
        .join(" "),
    );
    if (sender.code !== 0) throw new Error(`ceiling sender failed: ${sender.stderr}`);
    const [line] = await receiver.waitFor(/\{.*\}/, { on: "stdout", timeoutMs: 30_000 });
    return JSON.parse(line);
  } finally {
    await receiver.stop();
  }
}

const bps = (end: Json) => end.sum_received.bits_per_second as number;
const pps = (sum: Json) => (sum.packets - sum.lost_packets) / sum.seconds;

const figures: Record<string, number[]> = {};
function record(name: string, value: number): void {
  (figures[name] ??= []).push(value);
  console.error(`  ${name}: ${value.toFixed(0)}`);
}

const UDP_ARGS = ["-u", "-b", "0", "-l", "1200", "-t", String(seconds)];
for (let round = 1; round <= rounds; round++) {
  console.error(`round ${round} of ${rounds}`);
  // TCP, one stream.
  await withSockitServer(async (port) => {
    record("tcp sockit→sockit", bps(await sockitClient(port, ["-t", String(seconds)])));
    if (IPERF) record("tcp iperf3→sockit", bps(await iperfClient(port, `-t ${seconds}`)));
  });
  if (IPERF) {
    await withIperfServer(async (port) => {
      record("tcp iperf3→iperf3", bps(await iperfClient(port, `-t ${seconds}`)));
    });
  }
  const tcp = await ceiling(["tcp-sink"], ["tcp-send", String(seconds)]);
  record("tcp Deno→Deno", tcp.bytes * 8 / tcp.seconds);
  // UDP, unlimited rate.
  await withSockitServer(async (port) => {
    record("udp sockit→sockit", pps((await sockitClient(port, UDP_ARGS)).sum_received));
  });
  if (IPERF) {
    await withIperfServer(async (port) => {
      record("udp iperf3→iperf3", pps((await iperfClient(port, UDP_ARGS.join(" "))).sum));
    });
  }
  for (const mode of ["buffer", "alloc", "node"]) {
    const udp = await ceiling(["udp-sink", mode], ["udp-send", String(seconds)]);
    record(`udp Deno→${mode}`, udp.received / udp.seconds);
  }
  // Four clients at once against one server, and one alone.
  await withSockitServer(async (port) => {
    record("tcp 1 client", bps(await sockitClient(port, ["-t", String(seconds)])));
    const four = await Promise.all(
      Array.from({ length: 4 }, () => sockitClient(port, ["-t", String(seconds)])),
    );
    record("tcp 4 clients", four.reduce((sum, end) => sum + bps(end), 0));
  });
}

const med = (name: string) => median(figures[name] ?? []);
const gbit = (bits: number) => `${(bits / 1e9).toFixed(2)} Gbit/s`;
const per = (n: number) => `${Math.round(n).toLocaleString("en-US")} /s`;
const table = [["comparison", "sockit", "peer or ceiling", "ratio", "target"]];
const results: ResultRow[] = [];
const compare = (
  name: string,
  mine: string,
  theirs: string,
  unit: "Gbit/s" | "/s",
  target: number | undefined,
  ceilingOf?: string,
) => {
  const a = med(mine);
  const b = med(theirs);
  if (!figures[mine] || !figures[theirs]) return;
  const show = unit === "/s" ? per : gbit;
  table.push([
    name,
    show(a),
    `${show(b)} (${theirs})`,
    (a / b).toFixed(2),
    target ? `≥ ${target}×` : "-",
  ]);
  if (target !== undefined) {
    const scale = unit === "/s" ? 1 : 1e9;
    const top = ceilingOf && figures[ceilingOf] ? { ceiling: med(ceilingOf) / scale } : {};
    results.push(versus(name, { sockit: a / scale, ...top, peer: b / scale, unit, ratio: a / b }, {
      atLeast: target,
    }));
  }
};
compare(
  "TCP 1 stream, sockit ↔ sockit vs iperf3 ↔ iperf3",
  "tcp sockit→sockit",
  "tcp iperf3→iperf3",
  "Gbit/s",
  0.9,
  "tcp Deno→Deno",
);
compare(
  "TCP 1 stream, iperf3 -c → sockit vs iperf3 ↔ iperf3",
  "tcp iperf3→sockit",
  "tcp iperf3→iperf3",
  "Gbit/s",
  0.9,
  "tcp Deno→Deno",
);
compare(
  "TCP 1 stream, sockit ↔ sockit vs bare Deno",
  "tcp sockit→sockit",
  "tcp Deno→Deno",
  "Gbit/s",
  undefined,
);
compare(
  "UDP received/s, sockit ↔ sockit vs iperf3 ↔ iperf3",
  "udp sockit→sockit",
  "udp iperf3→iperf3",
  "/s",
  0.8,
  "udp Deno→buffer",
);
compare(
  "UDP received/s, sockit vs bare Deno receive(buffer)",
  "udp sockit→sockit",
  "udp Deno→buffer",
  "/s",
  undefined,
);
compare(
  "UDP received/s, bare receive() vs receive(buffer)",
  "udp Deno→alloc",
  "udp Deno→buffer",
  "/s",
  undefined,
);
compare(
  "UDP received/s, bare node:dgram vs receive(buffer)",
  "udp Deno→node",
  "udp Deno→buffer",
  "/s",
  undefined,
);
compare("TCP 4 clients at once vs 1 client", "tcp 4 clients", "tcp 1 client", "Gbit/s", 0.9);
console.log(`bench: ${seconds} s per run, median of ${rounds} round(s), loopback`);
printTable(table);
emitResult("bench", results, json);
