/**
 * IP and port toolkit:
 *
 *   100,000 `calc` computations of random CIDRs (IPv4 and IPv6) with sockit's core,
 *   against the same with Python's ipaddress, each in one process   (target ≥ 5× Python),
 *   and against the bare-Deno ceiling (`calc_ceiling.ts`: the least code doing the same job)
 *   `port scan 127.0.0.1 1-65535` against `nc -z 127.0.0.1 1-65535`  (target ≥ 1.0× nc), and
 *   against the bare-Deno ceiling (`scan_ceiling.ts`) with the same worker count, alternating
 *   over ROUNDS rounds (order reversed every other round), medians
 *
 * Usage: deno task bench:inet [--count 100000] [--rounds 3] [--quick] [--json]   (--quick: 1 round)
 *
 * @module
 */

import { DENO, hasCommand } from "../../tests/helpers/harness.ts";
import { IN_FLIGHT_PER_THREAD } from "../../src/inet/scan.ts";
import {
  BENCH_DIR,
  emitResult,
  median,
  parseBenchArgs,
  printTable,
  type ResultRow,
  sockitShell,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { count, rounds }, json } = parseBenchArgs({
  count: { default: 100000 },
  rounds: { default: 3, quick: 1 },
});

const ours = await timeShell(`${DENO} run ${BENCH_DIR}inet_calc.ts ${count}`);
const sockitCalc = JSON.parse(ours.stdout).seconds as number;
const bare = await timeShell(`${DENO} run ${BENCH_DIR}calc_ceiling.ts ${count}`);
const ceilingCalc = JSON.parse(bare.stdout).seconds as number;
const python = `
import ipaddress, random, time
random.seed(12345)
inputs = []
for i in range(${count}):
    if i % 2 == 0:
        inputs.append(ipaddress.IPv4Network((random.getrandbits(32), random.randint(0, 32)), strict=False))
    else:
        inputs.append(ipaddress.IPv6Network((random.getrandbits(128), random.randint(0, 128)), strict=False))
start = time.perf_counter()
sink = 0
for n in inputs:
    hosts = n.num_addresses if n.prefixlen >= n.max_prefixlen - 1 else n.num_addresses - (2 if n.version == 4 else 1)
    sink += len(str(n.network_address)) + len(str(n.broadcast_address)) + len(str(hosts)) + (1 if n.is_private else 0)
print(time.perf_counter() - start)
`;
const py = hasCommand("python3") ? await timeShell(`python3 -c '${python}'`) : undefined;
const pythonCalc = py ? Number(py.stdout.trim()) : NaN;

// The scan: sockit as it runs by default (threads for 500 in flight, at least
// one per core; IN_FLIGHT_PER_THREAD each) and on one thread, the bare-Deno
// ceiling in the same two shapes, and nc; the five alternate over ROUNDS
// rounds (order reversed every other round); medians.
const cores = navigator.hardwareConcurrency;
const threads = Math.max(cores, Math.ceil(500 / IN_FLIGHT_PER_THREAD));
const one = IN_FLIGHT_PER_THREAD;
const ceilingShell = (workers: number, inFlight: number) =>
  `${DENO} run --no-prompt --allow-net=127.0.0.1 --allow-read ${BENCH_DIR}scan_ceiling.ts ${workers} ${inFlight}`;
const sockitDefault = `sockit (${threads} threads × ${Math.ceil(500 / threads)})`;
const ceilingDefault = `ceiling ${threads} threads × ${Math.ceil(500 / threads)}`;
const scanners: [string, string][] = [
  [sockitDefault, sockitShell(["port", "scan", "127.0.0.1", "1-65535", "-q"])],
  [
    `sockit --workers 1 --concurrency ${one}`,
    sockitShell([
      "port",
      "scan",
      "127.0.0.1",
      "1-65535",
      "-q",
      "--workers",
      "1",
      "--concurrency",
      String(one),
    ]),
  ],
  [ceilingDefault, ceilingShell(threads, 500)],
  [`ceiling 1 thread × ${one}`, ceilingShell(1, one)],
  ...(hasCommand("nc")
    ? [["nc -z", "nc -z 127.0.0.1 1-65535 2>/dev/null"] as [string, string]]
    : []),
];
const times = new Map<string, number[]>(scanners.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? scanners : [...scanners].reverse();
  for (const [name, script] of order) {
    times.get(name)!.push((await timeShell(`${script} > /dev/null; true`, 300_000)).seconds);
  }
}
const scanTime = (name: string) => median(times.get(name) ?? []);
const sockitScan = scanTime(sockitDefault);
const ceilingScan = scanTime(ceilingDefault);
const ncScan = hasCommand("nc") ? scanTime("nc -z") : NaN;

printTable([
  ["task", "sockit", "bare Deno ceiling", "peer", "peer", "sockit ratio (peer time ÷ sockit time)"],
  [
    `${count} calc (v4+v6)`,
    `${sockitCalc.toFixed(3)} s`,
    `${ceilingCalc.toFixed(3)} s`,
    "python ipaddress",
    `${pythonCalc.toFixed(3)} s`,
    (pythonCalc / sockitCalc).toFixed(2),
  ],
]);
console.log();
console.log(`scan 1-65535 on loopback, ${cores} cores, median of ${rounds} round(s):`);
printTable([
  ["scanner", "time", "its time ÷ sockit's (default)"],
  ...scanners.map(([name]) => [
    name,
    `${scanTime(name).toFixed(3)} s`,
    (scanTime(name) / sockitScan).toFixed(2),
  ]),
]);
console.log(
  `scan: sockit at ${(ceilingScan / sockitScan).toFixed(2)}× the ceiling's speed, ` +
    `${(ncScan / sockitScan).toFixed(2)}× nc's (the ceiling at ${
      (ncScan / ceilingScan).toFixed(2)
    }× nc's)`,
);
console.log("targets: calc ≥ 5× Python; scan ≥ 1.0× nc -z (sockit's time includes starting Deno)");
const results: ResultRow[] = [];
if (py) {
  results.push(versus(`${count} calc (v4+v6) time vs python ipaddress`, {
    sockit: sockitCalc,
    ceiling: ceilingCalc,
    peer: pythonCalc,
    unit: "s",
    ratio: pythonCalc / sockitCalc,
  }, { atLeast: 5 }));
}
if (hasCommand("nc")) {
  results.push(versus("scan 1-65535 time vs nc -z", {
    sockit: sockitScan,
    ceiling: ceilingScan,
    peer: ncScan,
    unit: "s",
    ratio: ncScan / sockitScan,
  }, { atLeast: 1 }));
}
emitResult("inet", results, json);
