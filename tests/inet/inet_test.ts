import assert from "node:assert/strict";
import { embeddedIPv4, ipv4Class, scope } from "../../src/inet/classify.ts";
import { calculate, formatIP, parseIP, parseMask, parseNetwork } from "../../src/inet/ip.ts";
import { parsePortList, portRange, serviceByName, servicesOnPort } from "../../src/inet/ports.ts";

const scopes: [string, string][] = [
  ["0.0.0.0", "unspecified"],
  ["255.255.255.255", "broadcast"],
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["172.32.0.1", "global"],
  ["192.168.0.1", "private"],
  ["100.64.0.1", "shared"],
  ["127.0.0.1", "loopback"],
  ["169.254.10.10", "link-local"],
  ["192.0.2.1", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["224.0.0.251", "multicast"],
  ["240.0.0.1", "reserved"],
  ["8.8.8.8", "global"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["::ffff:1.2.3.4", "ipv4-mapped"],
  ["2001:db8::1", "documentation"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
  ["2002:c000:204::1", "6to4"],
  ["fd12:3456::1", "unique-local"],
  ["fe80::1%eth0", "link-local"],
  ["ff02::1", "multicast"],
  ["2606:4700::1111", "global"],
];
for (const [text, expected] of scopes) {
  Deno.test(`scope("${text}") is ${expected}`, () => assert.equal(scope(parseIP(text)), expected));
}

Deno.test("ipv4Class() gives the historical class", () => {
  const rows: [string, string][] = [
    ["1.0.0.0", "A"],
    ["127.255.255.255", "A"],
    ["128.0.0.0", "B"],
    ["192.0.0.0", "C"],
    ["224.0.0.1", "D"],
    ["240.0.0.1", "E"],
  ];
  for (const [text, cls] of rows) assert.equal(ipv4Class(parseIP(text).value), cls, text);
});

Deno.test("embeddedIPv4() finds mapped, 6to4 and Teredo addresses", () => {
  assert.deepEqual(embeddedIPv4(parseIP("::ffff:10.0.0.1")), { mapped: "10.0.0.1" });
  assert.deepEqual(embeddedIPv4(parseIP("2002:c000:204::1")), { "6to4": "192.0.2.4" });
  assert.deepEqual(embeddedIPv4(parseIP("2001:0:4136:e378:8000:63bf:3fff:fdd2")), {
    "teredo-server": "65.54.227.120",
    "teredo-client": "192.0.2.45",
  });
});

const masks: [string, 4 | 6, number | RegExp][] = [
  ["/24", 4, 24],
  ["24", 4, 24],
  ["255.255.255.0", 4, 24],
  ["255.255.252.0", 4, 22],
  ["0.0.0.0", 4, 0],
  ["255.255.255.255", 4, 32],
  ["/64", 6, 64],
  ["/33", 4, /prefixes are 0-32/],
  ["/129", 6, /prefixes are 0-128/],
  ["255.0.255.0", 4, /not contiguous/],
  ["255.255.255.1", 4, /not contiguous/],
  ["255.255.256.0", 4, /expected \/PREFIX or a dotted mask/],
  ["ffff::", 6, /expected \/PREFIX/],
  ["/x", 4, /expected \/PREFIX/],
];
for (const [text, version, expected] of masks) {
  Deno.test(`parseMask("${text}", v${version})`, () => {
    if (typeof expected === "number") assert.equal(parseMask(text, version), expected);
    else assert.throws(() => parseMask(text, version), expected);
  });
}

Deno.test("calculate() applies the /31, /32, /127 and /128 rules", () => {
  const hosts = (cidr: string) => {
    const c = calculate(parseNetwork(cidr));
    const show = (v: bigint) => formatIP({ version: c.version, value: v });
    return [show(c.firstHost), show(c.lastHost), c.hosts];
  };
  assert.deepEqual(hosts("10.0.0.5/30"), ["10.0.0.5", "10.0.0.6", 2n]);
  assert.deepEqual(hosts("10.0.0.5/31"), ["10.0.0.4", "10.0.0.5", 2n]);
  assert.deepEqual(hosts("10.0.0.5/32"), ["10.0.0.5", "10.0.0.5", 1n]);
  assert.deepEqual(hosts("2001:db8::/126"), ["2001:db8::1", "2001:db8::3", 3n]);
  assert.deepEqual(hosts("2001:db8::/127"), ["2001:db8::", "2001:db8::1", 2n]);
  assert.deepEqual(hosts("2001:db8::/128"), ["2001:db8::", "2001:db8::", 1n]);
  assert.equal(calculate(parseNetwork("::/0")).size, 1n << 128n);
});

Deno.test("parseNetwork() takes CIDR or ADDRESS MASK, not both", () => {
  assert.equal(parseNetwork("10.0.0.1", "255.0.0.0").prefix, 8);
  assert.throws(() => parseNetwork("10.0.0.1/8", "255.0.0.0"), /one or the other/);
  assert.throws(() => parseNetwork("10.0.0.1"), /missing \/PREFIX or MASK/);
  assert.throws(() => parseNetwork("10.0.0.256/8"), /10\.0\.0\.256/);
});

const portLists: [string, number[] | RegExp][] = [
  ["80", [80]],
  ["22,80,8000-8002", [22, 80, 8000, 8001, 8002]],
  ["80,22,80", [22, 80]],
  ["65535", [65535]],
  ["80-", /"80-"/],
  ["9-3", /"9-3": 9 is above 3/],
  ["0", /port 0 in "0"/],
  ["65536", /port 65536/],
  ["http", /"http"/],
  ["1,,2", /""/],
];
for (const [text, expected] of portLists) {
  Deno.test(`parsePortList("${text}")`, () => {
    if (Array.isArray(expected)) assert.deepEqual(parsePortList(text), expected);
    else assert.throws(() => parsePortList(text), expected);
  });
}

Deno.test("port ranges and the service table", () => {
  assert.equal(portRange(0), "well-known");
  assert.equal(portRange(1023), "well-known");
  assert.equal(portRange(1024), "registered");
  assert.equal(portRange(49151), "registered");
  assert.equal(portRange(49152), "dynamic/private");
  assert.deepEqual(servicesOnPort(22).map((s) => s.name), ["ssh"]);
  assert.equal(serviceByName("HTTPS")?.port, 443);
  assert.equal(serviceByName("nonsense"), undefined);
});
