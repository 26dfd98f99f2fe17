/**
 * `tcp listen -k --exec` against `ncat -k -l --exec` and the bare-runtime
 * ceiling (exec_ceiling.ts), all running the same program:
 *
 * - spawn rate: CONNS connections, PARALLEL at a time, each sending one line
 *   to `head -n 1` and reading it back (a process per connection);
 * - bulk: SIZE bytes through `head -c SIZE` and back, one connection.
 *
 * The client is this script, the same for all three. ncat ends a session
 * when the client half-closes, so no client here half-closes: each program
 * ends by itself after a known amount of input. Target: sockit ≥ 1.0× ncat.
 *
 * Usage: deno task bench:exec [--conns 400] [--parallel 16] [--size BYTES] [--runs 3]
 *   [--quick] [--json]   (default 256 MiB; --quick: 100 connections, 32 MiB, 1 run)
 *
 * @module
 */

import { freePort, hasCommand, type Spawned } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  mb,
  parseBenchArgs,
  printTable,
  type ResultRow,
  startPeer,
  startSockit,
  versus,
} from "./_bench.ts";
import { DENO } from "../../tests/helpers/harness.ts";

const { values: { conns, parallel, size, runs }, json } = parseBenchArgs({
  conns: { default: 400, quick: 100 },
  parallel: { default: 16 },
  size: { default: 256 * 1024 ** 2, quick: 32 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
});

const LINE = new TextEncoder().encode("ping from the bench\n");

/** One connection: send `payload`, read until the server closes; returns bytes read. */
async function session(port: number, payload: Uint8Array): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const reading = (async () => {
      const buffer = new Uint8Array(256 * 1024);
      let total = 0;
      for (let n; (n = await conn.read(buffer)) !== null;) total += n;
      return total;
    })();
    for (let at = 0; at < payload.length;) at += await conn.write(payload.subarray(at));
    return await reading;
  } finally {
    conn.close();
  }
}

/** Connections per second: CONNS sessions of one line, PARALLEL at a time. */
async function spawnRate(port: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < conns) {
      next++;
      const got = await session(port, LINE);
      if (got !== LINE.length) throw new Error(`a session got ${got} bytes, not ${LINE.length}`);
    }
  }));
  return conns / ((performance.now() - started) / 1000);
}

/** MB/s of SIZE bytes there and back. */
async function bulk(port: number): Promise<number> {
  const payload = new Uint8Array(size).fill(0x61);
  const started = performance.now();
  const got = await session(port, payload);
  if (got !== size) throw new Error(`bulk got ${got} bytes, not ${size}`);
  return size / ((performance.now() - started) / 1000) / 1e6;
}

type Server = (program: string[]) => Promise<{ server: Spawned; port: number }>;

const sockit: Server = async (program) => {
  const [name, ...args] = program;
  const server = startSockit(
    ["tcp", "listen", "0", "-k", "-q", "--exec", [name!, ...args].join(" ")],
    ["--allow-net=127.0.0.1", `--allow-run=${name}`],
  );
  return { server, port: await server.port() };
};

const ceiling: Server = async (program) => {
  const server = startPeer(DENO, ["run", "-A", `${BENCH_DIR}exec_ceiling.ts`, ...program], {
    name: "ceiling",
  });
  return { server, port: await server.port() };
};

const ncat: Server = async (program) => {
  const port = freePort();
  const path = new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", `command -v ${program[0]}`] }).output()).stdout,
  ).trim();
  const server = startPeer("ncat", [
    "-v",
    "-k",
    "-l",
    "127.0.0.1",
    String(port),
    "--exec",
    [path, ...program.slice(1)].join(" "),
  ], { name: "ncat" });
  await server.waitFor(/Listening on/);
  return { server, port };
};

async function best(
  label: string,
  start: Server,
  program: string[],
  measure: (port: number) => Promise<number>,
): Promise<number> {
  let top = 0;
  for (let i = 0; i < runs; i++) {
    const { server, port } = await start(program);
    try {
      const figure = await measure(port);
      console.error(`  ${label} run ${i + 1}: ${figure.toFixed(1)}`);
      top = Math.max(top, figure);
    } finally {
      await server.stop();
    }
  }
  return top;
}

const servers: [string, Server][] = [["sockit", sockit], ["ceiling (bare Deno)", ceiling]];
if (hasCommand("ncat")) servers.push(["ncat --exec", ncat]);
else console.error("ncat not installed: skipped (apt-get install ncat)");

const results: ResultRow[] = [];
const rows = [["server", "conns/s (head -n 1)", `MB/s (${mb(size)} via head -c)`]];
const figures: Record<string, [number, number]> = {};
console.error(`exec: ${conns} connections (${parallel} at a time), then ${mb(size)} bulk`);
for (const [label, start] of servers) {
  const rate = await best(`${label} spawn`, start, ["head", "-n", "1"], spawnRate);
  const mbps = await best(`${label} bulk`, start, ["head", "-c", String(size)], bulk);
  figures[label] = [rate, mbps];
  rows.push([label, rate.toFixed(0), mbps.toFixed(0)]);
}
printTable(rows);
const [sRate, sBulk] = figures["sockit"]!;
const [cRate, cBulk] = figures["ceiling (bare Deno)"]!;
console.log(
  `sockit / ceiling: ${(sRate / cRate).toFixed(2)}× conns/s, ${(sBulk / cBulk).toFixed(2)}× MB/s`,
);
const peer = figures["ncat --exec"];
if (peer) {
  const [nRate, nBulk] = peer;
  console.log(
    `sockit / ncat:    ${(sRate / nRate).toFixed(2)}× conns/s, ${(sBulk / nBulk).toFixed(2)}× MB/s`,
  );
  results.push(
    versus(
      "exec spawn rate vs ncat --exec",
      { sockit: sRate, ceiling: cRate, peer: nRate, unit: "/s", ratio: sRate / nRate },
      { atLeast: 1 },
    ),
    versus(
      "exec bulk vs ncat --exec",
      { sockit: sBulk, ceiling: cBulk, peer: nBulk, unit: "MB/s", ratio: sBulk / nBulk },
      { atLeast: 1 },
    ),
  );
}
console.log("ratio = sockit figure / other figure (> 1 means sockit is faster)");
emitResult("exec", results, json);
