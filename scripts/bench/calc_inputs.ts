// The CIDRs of the calc benchmark, the same for sockit's run (inet_calc.ts)
// and the ceiling's (calc_ceiling.ts): N random networks, half IPv4 and half
// IPv6, from a fixed seed.

/** One CIDR: its address as a number and its prefix length. */
export interface CalcInput {
  version: 4 | 6;
  value: bigint;
  prefix: number;
}

/** `n` random CIDRs, the same on every call. */
export function calcInputs(n: number): CalcInput[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const inputs: CalcInput[] = [];
  for (let i = 0; i < n; i++) {
    const version = i % 2 === 0 ? 4 : 6;
    let value = 0n;
    for (let w = 0; w < (version === 4 ? 2 : 8); w++) {
      value = (value << 16n) | BigInt(Math.floor(next() * 65536));
    }
    inputs.push({ version, value, prefix: Math.floor(next() * (version === 4 ? 33 : 129)) });
  }
  return inputs;
}
