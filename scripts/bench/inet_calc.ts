// Bench helper: N `ip calc` computations of random CIDRs (half IPv4, half
// IPv6) with sockit's core; prints {"seconds": …}. usage: inet_calc.ts N
import { calcInputs } from "./calc_inputs.ts";
import { isPrivateNetwork } from "../../src/inet/classify.ts";
import { calculate, formatIP } from "../../src/inet/ip.ts";

const n = Number(Deno.args[0] ?? 100000);
const inputs = calcInputs(n);
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
