/**
 * The TCP relay against socat's fork relay and a bare Deno relay (the
 * runtime's ceiling, bare_relay.ts), measured in the same run:
 *
 * 1. Bulk: SIZE bytes from `head -c … | socat -u -b 262144 - TCP:…` (the
 *    same client for every relay, `nc -N` without socat) through the relay
 *    into `sockit tcp listen --mode sink` (which checks the byte count).
 *      sockit relay tcp 0 127.0.0.1:SINK
 *      socat TCP-LISTEN:P,fork,reuseaddr TCP:127.0.0.1:SINK   (target: sockit ≥ 1.0× socat)
 *      deno run bare_relay.ts SINK                             (the ceiling)
 *    Best of RUNS; the relay's peak RSS is reported (socat's is its
 *    parent's, the forked child doing the work is not counted).
 * 2. Echo: CONNS connections ping-pong 64-byte messages for SECONDS through
 *    the relay to a Node.js echo server (echo_load.mjs): round trips/s and
 *    p99, target sockit ≥ 1.0× socat's fork relay. Rounds alternate between
 *    the relays; medians are reported.
 *
 * Usage: deno task bench:relay [--size BYTES] [--runs N] [--conns 1000] [--seconds 10]
 *   [--quick] [--json]   (default 2 GiB, 3 runs; --quick: 256 MiB, 1 run, 200 connections, 3 s)
 *
 * @module
 */

import { DENO, type Spawned } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  type EchoLoad,
  emitResult,
  mb,
  median,
  NODE_OR_DENO,
  parseBenchArgs,
  printTable,
  type ResultRow,
  runEchoLoad,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";
import { freePort, hasCommand } from "../../tests/helpers/harness.ts";

const { values: { size, runs, conns, seconds }, json } = parseBenchArgs({
  size: { default: 2 * 1024 ** 3, quick: 256 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
  conns: { default: 1000, quick: 200 },
  seconds: { default: 10, quick: 3 },
});

/** A relay under test: started in front of TARGET_PORT, ready, with its port. */
interface Relay {
  name: string;
  start(targetPort: number): Promise<{ proc: Spawned; port: number }>;
}

const CEILING = "bare Deno relay (ceiling)";
const RELAYS: Relay[] = [
  {
    name: "sockit relay tcp",
    async start(targetPort: number) {
      const proc = startSockit(
        ["relay", "tcp", "0", `127.0.0.1:${targetPort}`, "-q", "--max-conns", "20000"],
        ["--allow-net=127.0.0.1"],
      );
      return { proc, port: await proc.port() };
    },
  },
  {
    name: "socat fork relay",
    async start(targetPort: number) {
      const port = freePort();
      const proc = startPeer("socat", [
        "-d",
        "-d",
        `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=1024`,
        `TCP:127.0.0.1:${targetPort}`,
      ], { name: "socat" });
      await proc.waitFor(/listening on/);
      return { proc, port };
    },
  },
  {
    name: CEILING,
    async start(targetPort: number) {
      const proc = startPeer(DENO, [
        "run",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        `${BENCH_DIR}bare_relay.ts`,
        String(targetPort),
      ], { name: "bare relay" });
      return { proc, port: await proc.port() };
    },
  },
].filter((relay) => relay.name !== "socat fork relay" || hasCommand("socat"));

/** One bulk transfer through `relay` into a fresh sink: seconds and the relay's peak RSS. */
async function bulk(relay: Relay): Promise<{ seconds: number; peak: number }> {
  // JSON events carry the exact byte count (the status line writes sizes for people).
  const sink = startSockit(["tcp", "listen", "0", "--mode", "sink", "--json"], [
    "--allow-net=127.0.0.1",
  ]);
  let proc: Spawned | undefined;
  try {
    const [, sinkPort] = await sink.waitFor(/"event":"listening"[^\n]*"port":(\d+)/, {
      on: "stdout",
    });
    const started = await relay.start(Number(sinkPort));
    proc = started.proc;
    const client = hasCommand("socat")
      ? `socat -u -b 262144 - TCP:127.0.0.1:${started.port}`
      : `nc -N 127.0.0.1 ${started.port}`;
    const result = await timeShell(`head -c ${size} /dev/zero | ${client}`);
    if (result.code !== 0) {
      throw new Error(`the client through ${relay.name} failed: ${result.stderr}`);
    }
    const { stdout } = await sink.finish(60_000);
    const received = /"event":"sink"[^\n]*"bytesIn":(\d+)/.exec(stdout)?.[1];
    if (Number(received) !== size) {
      throw new Error(`${relay.name}: the sink received ${received}, expected ${size}`);
    }
    return { seconds: result.seconds, peak: proc.memory().peak };
  } finally {
    await proc?.stop();
    await sink.stop();
  }
}

/** The echo load through `relay` to a Node.js echo server. */
async function echo(relay: Relay): Promise<EchoLoad> {
  const [command, ...prefix] = NODE_OR_DENO;
  const server = startPeer(command!, [...prefix, `${BENCH_DIR}node_echo_server.mjs`], {
    name: "node echo",
  });
  let proc: Spawned | undefined;
  try {
    const started = await relay.start(await server.port());
    proc = started.proc;
    return await runEchoLoad(started.port, conns, seconds, 64, 120);
  } finally {
    await proc?.stop();
    await server.stop();
  }
}

console.error(`relay bulk: ${mb(size)} through each relay into a sink, best of ${runs}`);
const bulkBest = new Map<string, { seconds: number; peak: number }>();
for (let run = 1; run <= runs; run++) {
  for (const relay of RELAYS) {
    const result = await bulk(relay);
    console.error(`  ${relay.name} run ${run}: ${result.seconds.toFixed(3)} s`);
    const best = bulkBest.get(relay.name);
    if (!best || result.seconds < best.seconds) bulkBest.set(relay.name, result);
  }
}
const sockitBulk = bulkBest.get(RELAYS[0]!.name)!;
const rate = (s: number) => `${(size / s / 1e6).toFixed(0)} MB/s`;
const bulkRows = [["relay (best)", "seconds", "throughput", "peak RSS", "sockit ratio"]];
for (const relay of RELAYS) {
  const { seconds: s, peak } = bulkBest.get(relay.name)!;
  const rss = relay.name.startsWith("socat") ? `${mb(peak)} (parent)` : mb(peak);
  bulkRows.push([relay.name, s.toFixed(3), rate(s), rss, (s / sockitBulk.seconds).toFixed(2)]);
}
printTable(bulkRows);
console.log("ratio = other relay's time / sockit's time (> 1 means sockit is faster)");
const results: ResultRow[] = [];
const socatBulk = bulkBest.get("socat fork relay");
if (socatBulk) {
  results.push(versus("bulk throughput vs socat fork relay", {
    sockit: size / sockitBulk.seconds / 1e6,
    ceiling: size / bulkBest.get(CEILING)!.seconds / 1e6,
    peer: size / socatBulk.seconds / 1e6,
    unit: "MB/s",
    ratio: socatBulk.seconds / sockitBulk.seconds,
  }, { atLeast: 1 }));
} else console.error("socat not installed: skipped (apt-get install socat)");

console.error(
  `relay echo: ${conns} connections × 64-byte ping-pong, ${seconds} s a round, ${runs} rounds`,
);
const loads = new Map<string, EchoLoad[]>(RELAYS.map((relay) => [relay.name, []]));
for (let round = 1; round <= runs; round++) {
  for (const relay of RELAYS) {
    const load = await echo(relay);
    loads.get(relay.name)!.push(load);
    console.error(
      `  ${relay.name} round ${round}: ${load.perSecond.toFixed(0)}/s ` +
        `p99 ${(load.p99us / 1000).toFixed(1)} ms, ${load.errors} errors`,
    );
  }
}
const summary = (name: string) => {
  const list = loads.get(name)!;
  return {
    perSecond: median(list.map((l) => l.perSecond)),
    p50us: median(list.map((l) => l.p50us)),
    p99us: median(list.map((l) => l.p99us)),
    errors: list.reduce((sum, l) => sum + l.errors, 0),
  };
};
const sockitEcho = summary(RELAYS[0]!.name);
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const echoRows = [["relay (median)", "round trips/s", "p50", "p99", "errors", "sockit ratio"]];
for (const relay of RELAYS) {
  const s = summary(relay.name);
  echoRows.push([
    relay.name,
    s.perSecond.toFixed(0),
    ms(s.p50us),
    ms(s.p99us),
    String(s.errors),
    (sockitEcho.perSecond / s.perSecond).toFixed(2),
  ]);
}
printTable(echoRows);
console.log("ratio = sockit round trips/s ÷ the other relay's (> 1 means sockit is faster)");
if (loads.has("socat fork relay") && hasCommand("socat")) {
  const socat = summary("socat fork relay");
  results.push(versus(`round trips/s, ${conns} connections, vs socat fork relay`, {
    sockit: sockitEcho.perSecond,
    ceiling: summary(CEILING).perSecond,
    peer: socat.perSecond,
    unit: "/s",
    ratio: sockitEcho.perSecond / socat.perSecond,
  }, { atLeast: 1 }));
}
emitResult("relay", results, json);
