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
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Background, BENCH_DIR, have, mb, printTable, startSockit } from "./_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    conns: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    idle: { type: "string", default: "10000" },
    size: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const conns = Number(values.conns);
const seconds = Number(values.seconds);
const idle = Number(values.idle);
const size = Number(values.size);
const rounds = Number(values.rounds);
const runtime = have("node") ? ["node"] : [Deno.execPath(), "run", "-A"];
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
  const gen = new Background("load", command!, [
    ...prefix,
    LOAD,
    String(port),
    String(conns),
    String(seconds),
    String(size),
  ]);
  try {
    const [line] = await gen.waitFor(/\{"roundTrips".*\}/, (seconds + 60) * 1000);
    return JSON.parse(line);
  } finally {
    await gen.stop();
  }
}

async function against(server: Background): Promise<{ load: Load; peak: number }> {
  try {
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const result = await load(Number(port));
    return { load: result, peak: server.memory().peak };
  } finally {
    await server.stop();
  }
}

console.error(
  `tcp echo: ${conns} connections × ${size}-byte ping-pong, ${seconds} s a run, ${rounds} rounds`,
);
const sockitServer = () =>
  startSockit("sockit echo", [
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
  new Background("node echo", nodeCommand!, [...nodePrefix, `${BENCH_DIR}node_echo_server.mjs`]);
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
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
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

if (idle > 0) {
  const server = sockitServer();
  const [command, ...prefix] = runtime;
  let holder: Background | undefined;
  try {
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const before = server.memory().current;
    holder = new Background("idle", command!, [
      ...prefix,
      LOAD,
      port!,
      String(idle),
      "0",
      "0",
      "idle",
    ]);
    await holder.waitFor(/ready \d+/, 120_000);
    // Wait (bounded) until the server holds every connection: count its open descriptors.
    const fds = () => [...Deno.readDirSync(`/proc/${server.child.pid}/fd`)].length;
    for (let i = 0; i < 300 && fds() < idle; i++) await new Promise((r) => setTimeout(r, 100));
    const { current, peak } = server.memory();
    console.log(
      `sockit with ${idle} idle connections: RSS ${mb(current)} (peak ${mb(peak)}; ` +
        `${mb(before)} before connecting; target peak ≤ 300 MB)`,
    );
  } finally {
    await holder?.stop();
    await server.stop();
  }
}
