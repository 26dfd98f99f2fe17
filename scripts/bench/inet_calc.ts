// Bench helper: N `ip calc` computations of random CIDRs (half IPv4, half
// IPv6) with sockit's core; prints {"seconds": …}. usage: inet_calc.ts N
import { isPrivateNetwork } from "../../src/inet/classify.ts";
import { calculate, formatIP } from "../../src/inet/ip.ts";

const n = Number(Deno.args[0] ?? 100000);
let seed = 12345;
const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
const inputs: { version: 4 | 6; value: bigint; prefix: number }[] = [];
for (let i = 0; i < n; i++) {
  const version = i % 2 === 0 ? 4 : 6;
  let value = 0n;
  for (let w = 0; w < (version === 4 ? 2 : 8); w++) {
    value = (value << 16n) | BigInt(Math.floor(next() * 65536));
  }
  inputs.push({ version, value, prefix: Math.floor(next() * (version === 4 ? 33 : 129)) });
}
const started = performance.now();
let sink = 0;
for (const { version, value, prefix } of inputs) {
  const c = calculate({ address: { version, value }, prefix });
  // What `ip calc` shows: the formatted network, broadcast/last, hosts and the private flag.
  sink += formatIP({ version, value: c.network }).length +
    formatIP({ version, value: c.last }).length +
    c.hosts.toString().length + (isPrivateNetwork(c.network, c.last, version) ? 1 : 0);
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, sink }));
