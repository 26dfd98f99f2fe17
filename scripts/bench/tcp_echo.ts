/**
 * Echo round trips: CONNS connections ping-pong 64-byte messages for
 * SECONDS against `sockit tcp listen -k --mode echo` and against a plain
 * Node.js `net` echo server, with the same load generator (echo_load.mjs,
 * run by node when installed). Target: sockit ≥ 1.0× Node's round trips/s.
 * Then: peak RSS of the sockit server holding IDLE idle connections
 * (target ≤ 300 MB at 10,000).
 *
 * Rounds alternate between the two servers and the medians are reported:
 * on a 2-core machine the load generator and the server share the CPUs, and
 * single runs vary by ±15% (p99 much more).
 *
 * Usage: deno task bench:tcp-echo [--conns 1000] [--seconds 10] [--rounds 3] [--idle 10000]
 *   [--size 64] [--quick] [--json]   (--quick: 200 connections, 3 s, 1 round, 2000 idle)
 *
 * @module
 */

import {
  BENCH_DIR,
  emitResult,
  limit,
  mb,
  median,
  NODE_OR_DENO,
  parseBenchArgs,
  printTable,
  type ResultRow,
  startPeer,
  startSockit,
  versus,
} from "./_bench.ts";
import type { Spawned } from "../../tests/helpers/harness.ts";

const { values: { conns, seconds, idle, size, rounds }, json } = parseBenchArgs({
  conns: { default: 1000, quick: 200 },
  seconds: { default: 10, quick: 3 },
  idle: { default: 10000, quick: 2000 },
  size: { default: 64 },
  rounds: { default: 3, quick: 1 },
});
const runtime = NODE_OR_DENO;
const LOAD = `${BENCH_DIR}echo_load.mjs`;

interface Load {
  roundTrips: number;
  perSecond: number;
  p50us: number;
  p99us: number;
  errors: number;
}

async function load(port: number): Promise<Load> {
  const [command, ...prefix] = runtime;
  const gen = startPeer(command!, [
    ...prefix,
    LOAD,
    String(port),
    String(conns),
    String(seconds),
    String(size),
  ], { name: "echo load" });
  try {
    const [line] = await gen.waitFor(/\{"roundTrips".*\}/, {
      on: "stdout",
      timeoutMs: (seconds + 60) * 1000,
    });
    return JSON.parse(line);
  } finally {
    await gen.stop();
  }
}

async function against(server: Spawned): Promise<{ load: Load; peak: number }> {
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
const sockitServer = () =>
  startSockit([
    "tcp",
    "listen",
    "0",
    "-k",
    "--mode",
    "echo",
    "-q",
    "--max-conns",
    "20000",
  ]);
const [nodeCommand, ...nodePrefix] = runtime;
const nodeServer = () =>
  startPeer(nodeCommand!, [...nodePrefix, `${BENCH_DIR}node_echo_server.mjs`], {
    name: "node echo",
  });
const sockitRuns: { load: Load; peak: number }[] = [];
const nodeRuns: { load: Load; peak: number }[] = [];
for (let round = 1; round <= rounds; round++) {
  sockitRuns.push(await against(sockitServer()));
  nodeRuns.push(await against(nodeServer()));
  const [a, b] = [sockitRuns.at(-1)!.load, nodeRuns.at(-1)!.load];
  console.error(
    `  round ${round}: sockit ${a.perSecond.toFixed(0)}/s p99 ${(a.p99us / 1000).toFixed(1)} ms; ` +
      `node ${b.perSecond.toFixed(0)}/s p99 ${(b.p99us / 1000).toFixed(1)} ms`,
  );
}
const summary = (runs: { load: Load; peak: number }[]) => ({
  perSecond: median(runs.map((r) => r.load.perSecond)),
  p50us: median(runs.map((r) => r.load.p50us)),
  p99us: median(runs.map((r) => r.load.p99us)),
  errors: runs.reduce((sum, r) => sum + r.load.errors, 0),
  peak: Math.max(...runs.map((r) => r.peak)),
});
const sockit = summary(sockitRuns);
const node = summary(nodeRuns);
const us = (n: number) => `${(n / 1000).toFixed(2)} ms`;
printTable([
  ["server (median)", "round trips/s", "p50", "p99", "errors", "peak RSS", "sockit ratio"],
  [
    "sockit",
    sockit.perSecond.toFixed(0),
    us(sockit.p50us),
    us(sockit.p99us),
    String(sockit.errors),
    mb(sockit.peak),
    "1.00",
  ],
  [
    `node net (${runtime[0] === "node" ? "node" : "deno"})`,
    node.perSecond.toFixed(0),
    us(node.p50us),
    us(node.p99us),
    String(node.errors),
    mb(node.peak),
    (sockit.perSecond / node.perSecond).toFixed(2),
  ],
]);
console.log("ratio = sockit round trips/s ÷ node's (> 1 means sockit is faster)");
const results: ResultRow[] = [
  versus("round trips/s vs node net", {
    sockit: sockit.perSecond,
    peer: node.perSecond,
    unit: "/s",
    ratio: sockit.perSecond / node.perSecond,
  }, { atLeast: 1 }),
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
