/**
 * Bulk TCP throughput: SIZE bytes from `head -c` through a client into a
 * discarding server, over loopback.
 *
 *   sockit tcp connect → sockit tcp listen --mode sink
 *   bare Deno ceiling: stdin → Deno.connect → a Deno reader (tcp_bulk_ceiling.ts)
 *   nc -N              → nc -l > /dev/null          (the target: sockit ≥ 1.0× nc)
 *   iperf3 -c -n SIZE  → iperf3 -s                  (stretch: ≥ 0.8× iperf3, one stream)
 *
 * Usage: deno task bench:tcp-bulk [--size BYTES] [--runs N] [--quick] [--json]
 *   (default 2 GiB, 3 runs; --quick: 256 MiB, 1 run; best run counts)
 *
 * @module
 */

import { DENO, freePort, hasCommand } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  mb,
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

const { values: { size, runs }, json } = parseBenchArgs({
  size: { default: 2 * 1024 ** 3, quick: 256 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
});

async function sockitRun(): Promise<{ seconds: number; serverPeak: number }> {
  // JSON events carry the exact byte count (the status line writes sizes for people).
  const server = startSockit(["tcp", "listen", "0", "--mode", "sink", "--json"]);
  try {
    const [, port] = await server.waitFor(/"event":"listening"[^\n]*"port":(\d+)/, {
      on: "stdout",
    });
    const client = sockitShell(["tcp", "connect", `127.0.0.1:${port}`, "-q"]);
    const result = await timeShell(`head -c ${size} /dev/zero | ${client}`);
    if (result.code !== 0) throw new Error(`sockit client failed: ${result.stderr}`);
    const peak = server.memory().peak;
    const { stdout } = await server.finish(30_000);
    const received = /"event":"sink"[^\n]*"bytesIn":(\d+)/.exec(stdout)?.[1];
    if (Number(received) !== size) throw new Error(`sink received ${received}, expected ${size}`);
    return { seconds: result.seconds, serverPeak: peak };
  } finally {
    await server.stop();
  }
}

/** The bare Deno pipe (tcp_bulk_ceiling.ts): plain async stdin reads, awaited writes. */
async function ceilingRun(): Promise<number> {
  const ceiling = `${BENCH_DIR}tcp_bulk_ceiling.ts`;
  const server = startPeer(DENO, ["run", "--allow-net=127.0.0.1", ceiling, "sink"], {
    name: "ceiling sink",
  });
  try {
    const [, port] = await server.waitFor(/^(\d+)\n/, { on: "stdout" });
    const result = await timeShell(
      `head -c ${size} /dev/zero | ${
        shellQuote(DENO)
      } run --allow-net=127.0.0.1 ${ceiling} send ${port}`,
    );
    if (result.code !== 0) throw new Error(`ceiling client failed: ${result.stderr}`);
    return result.seconds;
  } finally {
    await server.stop();
  }
}

async function ncRun(): Promise<number> {
  const port = freePort();
  const server = startPeer("sh", ["-c", `nc -v -l 127.0.0.1 ${port} > /dev/null`], {
    name: "nc -l",
  });
  try {
    await server.waitFor(/Listening on/);
    const result = await timeShell(`head -c ${size} /dev/zero | nc -N 127.0.0.1 ${port}`);
    if (result.code !== 0) throw new Error(`nc client failed: ${result.stderr}`);
    return result.seconds;
  } finally {
    await server.stop();
  }
}

async function iperfRun(): Promise<number> {
  const report = await runIperf3(`-n ${size}`);
  return size / (report.end.sum_received.bits_per_second / 8);
}

async function best<T>(
  label: string,
  run: () => Promise<T>,
  seconds: (t: T) => number,
): Promise<T> {
  let bestResult: T | undefined;
  for (let i = 0; i < runs; i++) {
    const result = await run();
    console.error(`  ${label} run ${i + 1}: ${seconds(result).toFixed(3)} s`);
    if (bestResult === undefined || seconds(result) < seconds(bestResult)) bestResult = result;
  }
  return bestResult!;
}

console.error(`tcp bulk: ${mb(size)} over loopback, best of ${runs}`);
const sockit = await best("sockit", sockitRun, (r) => r.seconds);
const rows = [["peer", "seconds", "throughput", "sockit ratio"]];
const results: ResultRow[] = [];
const rate = (s: number) => `${(size / s / 1e6).toFixed(0)} MB/s`;
const ceiling = await best("bare Deno ceiling", ceilingRun, (s) => s);
const figures = (peer: number) => ({
  sockit: size / sockit.seconds / 1e6,
  ceiling: size / ceiling / 1e6,
  peer: size / peer / 1e6,
  unit: "MB/s",
  ratio: peer / sockit.seconds,
});
rows.push(["sockit", sockit.seconds.toFixed(3), rate(sockit.seconds), "1.00"]);
rows.push([
  "bare Deno ceiling",
  ceiling.toFixed(3),
  rate(ceiling),
  (ceiling / sockit.seconds).toFixed(2),
]);
if (hasCommand("nc")) {
  const nc = await best("nc", ncRun, (s) => s);
  rows.push(["nc -N → nc -l", nc.toFixed(3), rate(nc), (nc / sockit.seconds).toFixed(2)]);
  results.push(versus("throughput vs nc -N → nc -l", figures(nc), { atLeast: 1 }));
} else console.error("nc not installed: skipped (apt-get install netcat-openbsd)");
if (hasCommand("iperf3")) {
  const iperf = await best("iperf3", iperfRun, (s) => s);
  rows.push([
    "iperf3 (1 stream)",
    iperf.toFixed(3),
    rate(iperf),
    (iperf / sockit.seconds).toFixed(2),
  ]);
  results.push(versus("throughput vs iperf3 (stretch)", figures(iperf), { atLeast: 0.8 }));
} else console.error("iperf3 not installed: skipped (apt-get install iperf3)");
printTable(rows);
console.log(`sockit sink server peak RSS: ${mb(sockit.serverPeak)}`);
console.log("ratio = peer time / sockit time (> 1 means sockit is faster)");
emitResult("tcp_bulk", results, json);
