/**
 * Echo round trips: CONNS connections ping-pong 64-byte messages for
 * SECONDS against `sockit tcp listen -k --mode echo` and against a plain
 * Node.js `net` echo server, and against the bare-Deno ceilings (minimal
 * Deno echo servers, deno_echo_server.ts: one on Deno.Conn like sockit, one
 * on node:net's native handles), with the same load generator
 * (echo_load.mjs, run by node when installed). Targets: sockit ≥ 1.0× Node's
 * round trips/s, with a p99 round trip at most 2× Node's.
 * Then: peak RSS of the sockit server holding IDLE idle connections
 * (target ≤ 300 MB at 10,000).
 *
 * Rounds alternate between the servers (the order reversed every other
 * round) and the medians are reported:
 * on a 2-core machine the load generator and the server share the CPUs, and
 * single runs vary by ±15% (p99 much more).
 *
 * Usage: deno task bench:tcp-echo [--conns 1000] [--seconds 10] [--rounds 3] [--idle 10000]
 *   [--size 64] [--quick] [--json]   (--quick: 200 connections, 3 s, 1 round, 2000 idle)
 * With SOCKIT_BASELINE=/path/to/main.ts, that sockit (another commit's) runs too, for A/B.
 *
 * @module
 */

import {
  BENCH_DIR,
  type EchoLoad,
  emitResult,
  limit,
  mb,
  median,
  NODE_OR_DENO,
  parseBenchArgs,
  printTable,
  type ResultRow,
  runEchoLoad,
  startPeer,
  startSockit,
  versus,
} from "./_bench.ts";
import { DENO, type Spawned } from "../../tests/helpers/harness.ts";

const { values: { conns, seconds, idle, size, rounds }, json } = parseBenchArgs({
  conns: { default: 1000, quick: 200 },
  seconds: { default: 10, quick: 3 },
  idle: { default: 10000, quick: 2000 },
  size: { default: 64 },
  rounds: { default: 3, quick: 1 },
});
const runtime = NODE_OR_DENO;
const LOAD = `${BENCH_DIR}echo_load.mjs`;
const CEILING = `${BENCH_DIR}deno_echo_server.ts`;

function load(port: number): Promise<EchoLoad> {
  return runEchoLoad(port, conns, seconds, size, 60);
}

async function against(server: Spawned): Promise<{ load: EchoLoad; peak: number }> {
  try {
    const result = await load(await server.port());
    return { load: result, peak: server.memory().peak };
  } finally {
    await server.stop();
  }
}

console.error(
  `tcp echo: ${conns} connections × ${size}-byte ping-pong, ${seconds} s a run, ${rounds} rounds`,
);
const sockitArgs = ["tcp", "listen", "0", "-k", "--mode", "echo", "-q", "--max-conns", "20000"];
const sockitServer = () => startSockit(sockitArgs);
const [nodeCommand, ...nodePrefix] = runtime;
const nodeName = `node net (${runtime[0] === "node" ? "node" : "deno"})`;

/** One server under the same load: sockit, the bare-Deno ceiling, the peer (and a baseline). */
interface Contender {
  name: string;
  start(): Spawned;
  runs: { load: EchoLoad; peak: number }[];
}
const contenders: Contender[] = [
  { name: "sockit", start: sockitServer, runs: [] },
  {
    name: "Deno ceiling (Deno.Conn)",
    start: () =>
      startPeer(DENO, ["run", "--no-prompt", "--allow-net=127.0.0.1", CEILING, "conn"], {
        name: "deno echo",
      }),
    runs: [],
  },
  {
    name: nodeName,
    start: () =>
      startPeer(nodeCommand!, [...nodePrefix, `${BENCH_DIR}node_echo_server.mjs`], {
        name: "node echo",
      }),
    runs: [],
  },
];
// The runtime's other socket API: node:net on Deno's native libuv-style handles.
contenders.push({
  name: "Deno ceiling (node:net)",
  start: () =>
    startPeer(DENO, ["run", "--no-prompt", "--allow-net=127.0.0.1", CEILING, "node"], {
      name: "deno node:net echo",
    }),
  runs: [],
});
// SOCKIT_BASELINE=/path/to/other/main.ts adds that sockit (an older commit) for A/B runs.
const baseline = Deno.env.get("SOCKIT_BASELINE");
if (baseline) {
  contenders.push({
    name: "sockit baseline",
    start: () =>
      startPeer(DENO, ["run", "--no-prompt", "--allow-net=127.0.0.1", baseline, ...sockitArgs], {
        name: "sockit baseline",
      }),
    runs: [],
  });
}
for (let round = 1; round <= rounds; round++) {
  // Alternate who goes first, so that no one always runs on a warmer (or busier) machine.
  const order = round % 2 === 1 ? contenders : [...contenders].reverse();
  for (const contender of order) contender.runs.push(await against(contender.start()));
  console.error(
    `  round ${round}: ` + contenders.map(({ name, runs }) => {
      const { perSecond, p99us } = runs.at(-1)!.load;
      return `${name} ${perSecond.toFixed(0)}/s p99 ${(p99us / 1000).toFixed(1)} ms`;
    }).join("; "),
  );
}
const summary = (runs: { load: EchoLoad; peak: number }[]) => ({
  perSecond: median(runs.map((r) => r.load.perSecond)),
  p50us: median(runs.map((r) => r.load.p50us)),
  p99us: median(runs.map((r) => r.load.p99us)),
  errors: runs.reduce((sum, r) => sum + r.load.errors, 0),
  peak: Math.max(...runs.map((r) => r.peak)),
});
const [sockit, ceiling, node, nodeCeiling] = contenders.map((c) => summary(c.runs)) as [
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
];
const us = (n: number) => `${(n / 1000).toFixed(2)} ms`;
printTable([
  [
    "server (median)",
    "round trips/s",
    "p50",
    "p99",
    "errors",
    "peak RSS",
    "sockit ÷ it (rt/s)",
    "its p99 ÷ sockit's",
  ],
  ...contenders.map(({ name, runs }) => {
    const s = summary(runs);
    return [
      name,
      s.perSecond.toFixed(0),
      us(s.p50us),
      us(s.p99us),
      String(s.errors),
      mb(s.peak),
      (sockit.perSecond / s.perSecond).toFixed(2),
      (s.p99us / sockit.p99us).toFixed(2),
    ];
  }),
]);
const versusOne = (other: ReturnType<typeof summary>) =>
  `${(sockit.perSecond / other.perSecond).toFixed(2)}× round trips/s, ` +
  `p99 ${(sockit.p99us / other.p99us).toFixed(2)}×`;
console.log(
  `sockit ÷ node: ${versusOne(node)} (target ≥ 1.2×, p99 ≤ 2×); ` +
    `÷ Deno ceiling on Deno.Conn: ${versusOne(ceiling)}; ÷ on node:net: ${versusOne(nodeCeiling)}`,
);
const results: ResultRow[] = [
  // The ceiling of the summary rows is the bare-Deno server on node:net, the
  // listener `tcp listen -k` echo runs on.
  versus("round trips/s vs node net", {
    sockit: sockit.perSecond,
    ceiling: nodeCeiling.perSecond,
    peer: node.perSecond,
    unit: "/s",
    ratio: sockit.perSecond / node.perSecond,
  }, { atLeast: 1.2 }),
  versus("echo p99 vs node net", {
    sockit: sockit.p99us / 1000,
    ceiling: nodeCeiling.p99us / 1000,
    peer: node.p99us / 1000,
    unit: "ms",
    ratio: sockit.p99us / node.p99us,
  }, { atMost: 2 }),
];

if (idle > 0) {
  const server = sockitServer();
  const [command, ...prefix] = runtime;
  let holder: Spawned | undefined;
  try {
    const port = await server.port();
    const before = server.memory().current;
    // stdin stays open: the holder keeps its connections until it closes.
    holder = startPeer(command!, [
      ...prefix,
      LOAD,
      String(port),
      String(idle),
      "0",
      "0",
      "idle",
    ], { name: "idle holder", stdin: "piped" });
    await holder.waitFor(/ready \d+/, { on: "stdout", timeoutMs: 120_000 });
    // Wait (bounded) until the server holds every connection: count its open descriptors.
    const fds = () => [...Deno.readDirSync(`/proc/${server.child.pid}/fd`)].length;
    for (let i = 0; i < 300 && fds() < idle; i++) await new Promise((r) => setTimeout(r, 100));
    const { current, peak } = server.memory();
    console.log(
      `sockit with ${idle} idle connections: RSS ${mb(current)} (peak ${mb(peak)}; ` +
        `${mb(before)} before connecting; target peak ≤ 300 MB)`,
    );
    results.push(
      limit(`peak RSS with ${idle} idle connections`, { sockit: peak / 1e6, unit: "MB" }, {
        atMost: 300,
      }),
    );
  } finally {
    await holder?.stop();
    await server.stop();
  }
}
emitResult("tcp_echo", results, json);
