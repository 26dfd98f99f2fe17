// The bare-runtime ceiling for the calc part of `bench:inet`: the same N
// random CIDRs as inet_calc.ts (same seed), each computed with the least code
// that does the job: IPv4 in 32-bit numbers, IPv6 in BigInt; the network and
// last address formatted (IPv6 with its longest zero run as ::), the host
// count, and a private flag (RFC 1918 and fc00::/7 only). Prints {"seconds": …}.
// usage: calc_ceiling.ts N
import { calcInputs } from "./calc_inputs.ts";

const n = Number(Deno.args[0] ?? 100000);
const inputs = calcInputs(n);

const v4Text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

function v6Text(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestAt = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  return bestAt < 0
    ? hex(groups)
    : `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLength))}`;
}

const started = performance.now();
let sink = 0;
for (const { version, value, prefix } of inputs) {
  if (version === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const network = (Number(value) & mask) >>> 0;
    const last = (network | ~mask) >>> 0;
    const hosts = prefix >= 31 ? 2 ** (32 - prefix) : 2 ** (32 - prefix) - 2;
    const private4 = (network >>> 24) === 10 || (network >>> 20) === 0xac1 ||
      (network >>> 16) === 0xc0a8;
    sink += v4Text(network).length + v4Text(last).length + String(hosts).length +
      (private4 ? 1 : 0);
  } else {
    const host = (1n << BigInt(128 - prefix)) - 1n;
    const network = value & ~host & ((1n << 128n) - 1n);
    const last = network | host;
    const hosts = prefix >= 127 ? host + 1n : host;
    const private6 = (network >> 121n) === 0x7en;
    sink += v6Text(network).length + v6Text(last).length + hosts.toString().length +
      (private6 ? 1 : 0);
  }
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, sink }));
