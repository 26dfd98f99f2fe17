/**
 * Differential test: thousands of random and edge-case addresses and
 * networks (IPv4 and IPv6) through sockit's core and through Python's
 * `ipaddress`; every answer must be identical: canonical form, private and
 * global flags, network, broadcast (last address), size, first and last
 * host, host count, and the network's private/global flags.
 */
import assert from "node:assert/strict";
import { isGlobal, isGlobalNetwork, isPrivate, isPrivateNetwork } from "../../src/inet/classify.ts";
import { calculate, formatIP, type IP, parseIP } from "../../src/inet/ip.ts";
import { Spawned } from "../helpers/harness.ts";

/** A seeded PRNG (mulberry32), so a failure can be reproduced. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGES_V4 = [
  "0.0.0.0",
  "0.255.255.255",
  "1.0.0.0",
  "9.255.255.255",
  "10.0.0.0",
  "10.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.64.0.0",
  "100.127.255.255",
  "100.128.0.0",
  "127.0.0.1",
  "169.254.1.1",
  "172.15.255.255",
  "172.16.0.0",
  "172.31.255.255",
  "172.32.0.0",
  "192.0.0.0",
  "192.0.0.7",
  "192.0.0.8",
  "192.0.0.170",
  "192.0.0.171",
  "192.0.0.172",
  "192.0.2.1",
  "192.88.99.1",
  "192.168.1.1",
  "198.17.255.255",
  "198.18.0.0",
  "198.19.255.255",
  "198.20.0.0",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "239.255.255.255",
  "240.0.0.1",
  "255.255.255.254",
  "255.255.255.255",
  "8.8.8.8",
];
const EDGES_V6 = [
  "::",
  "::1",
  "::2",
  "::ffff:10.0.0.1",
  "::ffff:8.8.8.8",
  "::ffff:100.64.0.1",
  "64:ff9b::1",
  "100::1",
  "100::1:0:0:0",
  "2001::1",
  "2001:1ff:ffff::",
  "2001:200::",
  "2001:2::1",
  "2001:3::",
  "2001:db8::1",
  "2001:10::1",
  "2001:20::1",
  "2002::1",
  "fbff::1",
  "fc00::1",
  "fdff::1",
  "fe00::1",
  "fe80::1",
  "febf::1",
  "fec0::1",
  "ff02::1",
  "2606:4700::1111",
];

function randomIP(next: () => number, version: 4 | 6): IP {
  let value = 0n;
  for (let i = 0; i < (version === 4 ? 2 : 8); i++) {
    value = (value << 16n) | BigInt(Math.floor(next() * 65536));
  }
  return { version, value };
}

/**
 * A Python whose ipaddress follows the current IANA registries (it has the
 * globally-reachable exceptions of the 2024 fix). Older builds (a pyenv
 * 3.11.7, say) use the previous lists; Debian's /usr/bin/python3 is patched.
 */
function currentPython(): string | undefined {
  for (const candidate of ["python3", "/usr/bin/python3", "/usr/local/bin/python3"]) {
    try {
      const { success } = new Deno.Command(candidate, {
        args: ["-c", "import ipaddress; ipaddress._IPv4Constants._private_networks_exceptions"],
        stdout: "null",
        stderr: "null",
      }).outputSync();
      if (success) return candidate;
    } catch {
      // not installed
    }
  }
  return undefined;
}
const python = currentPython();

Deno.test({
  name: "the IP core agrees with Python's ipaddress on thousands of addresses and networks",
  // In CI a missing (or outdated) Python fails the test instead of skipping it.
  ignore: python === undefined && !Deno.env.get("CI"),
  async fn() {
    assert.ok(python, "no python3 whose ipaddress has the 2024 IANA-registry fix");
    const next = random(20261121);
    const addresses: IP[] = [...EDGES_V4, ...EDGES_V6].map(parseIP);
    for (let i = 0; i < 3000; i++) addresses.push(randomIP(next, 4));
    for (let i = 0; i < 2000; i++) addresses.push(randomIP(next, 6));
    const networks: [IP, number][] = [];
    for (const ip of addresses) {
      const width = ip.version === 4 ? 32 : 128;
      networks.push([ip, Math.floor(next() * (width + 1))]);
    }
    for (const prefix of [0, 1, 8, 30, 31, 32]) networks.push([parseIP("10.1.2.3"), prefix]);
    for (const prefix of [0, 64, 126, 127, 128]) networks.push([parseIP("2001:db8::1"), prefix]);

    const input = {
      addresses: addresses.map(formatIP),
      networks: networks.map(([ip, prefix]) => `${formatIP(ip)}/${prefix}`),
    };
    const script = `
import ipaddress, json, sys
data = json.load(sys.stdin)
out = {"addresses": [], "networks": []}
for text in data["addresses"]:
    a = ipaddress.ip_address(text)
    out["addresses"].append([str(a), a.is_private, a.is_global])
for text in data["networks"]:
    n = ipaddress.ip_network(text, strict=False)
    hosts = n.hosts()
    first = next(iter(hosts), None)
    small = n.num_addresses <= 4096
    listed = list(n.hosts()) if small else None
    out["networks"].append([
        str(n.network_address), str(n.broadcast_address), str(n.num_addresses),
        str(first) if first is not None else None,
        str(listed[-1]) if small and listed else None,
        str(len(listed)) if small else None,
        n.is_private, n.is_global,
    ])
json.dump(out, sys.stdout)
`;
    await using py = new Spawned(python, ["-c", script]);
    await py.write(JSON.stringify(input));
    const { code, stdout, stderr } = await py.finish(60_000);
    assert.equal(code, 0, stderr);
    const expected = JSON.parse(stdout);

    const mismatches: string[] = [];
    addresses.forEach((ip, i) => {
      const ours = [formatIP(ip), isPrivate(ip), isGlobal(ip)];
      const theirs = expected.addresses[i];
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        mismatches.push(
          `${input.addresses[i]}: ours ${JSON.stringify(ours)} python ${JSON.stringify(theirs)}`,
        );
      }
    });
    networks.forEach(([address, prefix], i) => {
      const calc = calculate({ address, prefix });
      const show = (value: bigint) => formatIP({ version: address.version, value });
      const [network, broadcast, size, first, last, count, priv, glob] = expected.networks[i];
      const small = calc.size <= 4096n;
      const ours = [
        show(calc.network),
        show(calc.last),
        calc.size.toString(),
        show(calc.firstHost),
        small ? show(calc.lastHost) : null,
        small ? calc.hosts.toString() : null,
        isPrivateNetwork(calc.network, calc.last, address.version),
        isGlobalNetwork(calc.network, calc.last, address.version),
      ];
      const theirs = [network, broadcast, size, first, last, count, priv, glob];
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        mismatches.push(
          `${input.networks[i]}: ours ${JSON.stringify(ours)} python ${JSON.stringify(theirs)}`,
        );
      }
    });
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} mismatches`);
    assert.ok(addresses.length + networks.length > 10_000);
  },
});
