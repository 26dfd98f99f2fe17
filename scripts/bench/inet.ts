/**
 * IP and port toolkit:
 *
 *   100,000 `calc` computations of random CIDRs (IPv4 and IPv6) with sockit's core,
 *   against the same with Python's ipaddress, each in one process   (target ≥ 5× Python)
 *   `port scan 127.0.0.1 1-65535` against `nc -z 127.0.0.1 1-65535`  (target ≥ 1.0× nc)
 *
 * Usage: deno task bench:inet [--count 100000] [--quick] [--json]   (--quick changes nothing here)
 *
 * @module
 */

import { DENO, hasCommand } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  parseBenchArgs,
  printTable,
  type ResultRow,
  sockitShell,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { count }, json } = parseBenchArgs({
  count: { default: 100000 },
});

const ours = await timeShell(`${DENO} run ${BENCH_DIR}inet_calc.ts ${count}`);
const sockitCalc = JSON.parse(ours.stdout).seconds as number;
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

const scan = await timeShell(
  `${sockitShell(["port", "scan", "127.0.0.1", "1-65535", "-q"])} > /dev/null; true`,
  300_000,
);
const nc = hasCommand("nc")
  ? await timeShell("nc -z 127.0.0.1 1-65535 2>/dev/null; true", 300_000)
  : undefined;

printTable([
  ["task", "sockit", "peer", "peer", "sockit ratio (peer time ÷ sockit time)"],
  [
    `${count} calc (v4+v6)`,
    `${sockitCalc.toFixed(3)} s`,
    "python ipaddress",
    `${pythonCalc.toFixed(3)} s`,
    (pythonCalc / sockitCalc).toFixed(2),
  ],
  [
    "scan 1-65535 on loopback",
    `${scan.seconds.toFixed(3)} s`,
    "nc -z",
    nc ? `${nc.seconds.toFixed(3)} s` : "-",
    nc ? (nc.seconds / scan.seconds).toFixed(2) : "-",
  ],
]);
console.log("targets: calc ≥ 5× Python; scan ≥ 1.0× nc -z (sockit's time includes starting Deno)");
const results: ResultRow[] = [];
if (py) {
  results.push(versus(`${count} calc (v4+v6) time vs python ipaddress`, {
    sockit: sockitCalc,
    peer: pythonCalc,
    unit: "s",
    ratio: pythonCalc / sockitCalc,
  }, { atLeast: 5 }));
}
if (nc) {
  results.push(versus("scan 1-65535 time vs nc -z", {
    sockit: scan.seconds,
    peer: nc.seconds,
    unit: "s",
    ratio: nc.seconds / scan.seconds,
  }, { atLeast: 1 }));
}
emitResult("inet", results, json);
