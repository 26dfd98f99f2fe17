/**
 * Chat relay: a room of CLIENTS (500) connected clients, SENDERS (50) of
 * them sending as fast as the server takes their lines, for SECONDS each,
 * against `sockit chat serve` and `ncat --chat` with the same load generator
 * (chat_load.mjs, run by node when installed) in the same run, and against
 * the bare-runtime ceiling (chat_ceiling.ts: a minimal Deno fan-out relay,
 * same prefix per line, no limits). Reports
 * delivered messages per second (target: sockit ≥ 1.0× ncat), p50/p99
 * delivery latency, disconnected clients and each server's peak RSS.
 *
 * A second run per server sends at a fixed RATE (10 lines/s per sender),
 * a load both can carry, so their latencies compare at equal load.
 *
 * Usage: deno task bench:chat [--clients 500] [--senders 50] [--seconds 10] [--rounds 3] [--rate 10]
 *   [--quick] [--json]   (--quick: 100 clients, 10 sending, 3 s, 1 round)
 *
 * @module
 */

import { DENO, freePort, hasCommand, type Spawned } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
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

const { values, json } = parseBenchArgs({
  clients: { default: 500, quick: 100 },
  senders: { default: 50, quick: 10 },
  seconds: { default: 10, quick: 3 },
  rounds: { default: 3, quick: 1 },
  rate: { default: 10 },
});
const runtime = NODE_OR_DENO;

interface Load {
  sent: number;
  delivered: number;
  deliveredPerSecond: number;
  p50us: number;
  p99us: number;
  disconnected: number;
}

async function load(
  server: Spawned,
  port: number,
  rate = 0,
): Promise<{ load: Load; peak: number }> {
  const [command, ...prefix] = runtime;
  const gen = startPeer(command!, [
    ...prefix,
    `${BENCH_DIR}chat_load.mjs`,
    String(port),
    String(values.clients),
    String(values.senders),
    String(values.seconds),
    String(rate),
  ], { name: "chat load" });
  try {
    const [line] = await gen.waitFor(/\{"sent".*\}/, {
      on: "stdout",
      timeoutMs: (values.seconds + 90) * 1000,
    });
    return { load: JSON.parse(line), peak: server.memory().peak };
  } finally {
    await gen.stop();
    await server.stop();
  }
}

async function sockitRound(rate = 0) {
  const server = startSockit(["chat", "serve", "0", "-q", "--max-conns", "2000"]);
  return load(server, await server.port(), rate);
}

async function ceilingRound(rate = 0) {
  const server = startPeer(DENO, [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}chat_ceiling.ts`,
  ], { name: "chat ceiling" });
  return load(server, await server.port(), rate);
}

async function ncatRound(rate = 0) {
  const port = freePort();
  const server = startPeer("ncat", [
    "-v",
    "-l",
    "127.0.0.1",
    String(port),
    "--chat",
    "--max-conns",
    "2000",
  ], { name: "ncat --chat" });
  await server.waitFor(/Listening on/);
  return load(server, port, rate);
}

console.error(
  `chat: ${values.clients} clients, ${values.senders} sending, ${values.seconds} s a run, ${values.rounds} rounds`,
);
const runs: Record<string, { load: Load; peak: number }[]> = {
  sockit: [],
  ceiling: [],
  ncat: [],
};
for (let round = 1; round <= values.rounds; round++) {
  runs.sockit!.push(await sockitRound());
  runs.ceiling!.push(await ceilingRound());
  if (hasCommand("ncat")) runs.ncat!.push(await ncatRound());
  const s = runs.sockit!.at(-1)!.load;
  const c = runs.ceiling!.at(-1)!.load;
  const n = runs.ncat!.at(-1)?.load;
  console.error(
    `  round ${round}: sockit ${s.deliveredPerSecond.toFixed(0)}/s, ceiling ${
      c.deliveredPerSecond.toFixed(0)
    }/s` + (n ? `, ncat ${n.deliveredPerSecond.toFixed(0)}/s` : ""),
  );
}
const summary = (rs: { load: Load; peak: number }[]) => ({
  perSecond: median(rs.map((r) => r.load.deliveredPerSecond)),
  p50: median(rs.map((r) => r.load.p50us)),
  p99: median(rs.map((r) => r.load.p99us)),
  disconnected: Math.max(...rs.map((r) => r.load.disconnected)),
  peak: Math.max(...rs.map((r) => r.peak)),
});
const sockit = summary(runs.sockit!);
const ceiling = summary(runs.ceiling!);
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
const rows = [[
  "server (median)",
  "delivered/s",
  "p50",
  "p99",
  "dropped clients",
  "peak RSS",
  "sockit ratio",
  "÷ ceiling",
]];
rows.push([
  "sockit chat serve",
  sockit.perSecond.toFixed(0),
  ms(sockit.p50),
  ms(sockit.p99),
  String(sockit.disconnected),
  mb(sockit.peak),
  "1.00",
  (sockit.perSecond / ceiling.perSecond).toFixed(2),
]);
rows.push([
  "bare Deno ceiling",
  ceiling.perSecond.toFixed(0),
  ms(ceiling.p50),
  ms(ceiling.p99),
  String(ceiling.disconnected),
  mb(ceiling.peak),
  (sockit.perSecond / ceiling.perSecond).toFixed(2),
  "1.00",
]);
const results: ResultRow[] = [];
if (runs.ncat!.length > 0) {
  const ncat = summary(runs.ncat!);
  rows.push([
    "ncat --chat",
    ncat.perSecond.toFixed(0),
    ms(ncat.p50),
    ms(ncat.p99),
    String(ncat.disconnected),
    mb(ncat.peak),
    (sockit.perSecond / ncat.perSecond).toFixed(2),
    (ncat.perSecond / ceiling.perSecond).toFixed(2),
  ]);
  results.push(versus("delivered lines/s vs ncat --chat", {
    sockit: sockit.perSecond,
    peer: ncat.perSecond,
    ceiling: ceiling.perSecond,
    unit: "/s",
    ratio: sockit.perSecond / ncat.perSecond,
  }, { atLeast: 1 }));
} else console.error("ncat not installed: skipped (apt-get install ncat)");
printTable(rows);
console.log(
  "sockit ratio = sockit delivered/s ÷ that row's (> 1 means sockit is faster); " +
    "÷ ceiling = that row's delivered/s ÷ the bare Deno relay's",
);

const rate = values.rate;
if (rate > 0) {
  const paced = [["at " + rate + " lines/s per sender", "delivered/s", "p50", "p99", "dropped"]];
  for (
    const [name, round] of [["sockit chat serve", sockitRound], ["ncat --chat", ncatRound]] as const
  ) {
    if (name.startsWith("ncat") && !hasCommand("ncat")) continue;
    const { load: l } = await round(rate);
    paced.push([
      name,
      l.deliveredPerSecond.toFixed(0),
      ms(l.p50us),
      ms(l.p99us),
      String(l.disconnected),
    ]);
  }
  printTable(paced);
}
emitResult("chat", results, json);
