import assert from "node:assert/strict";
import { admits, isOpen, parseAccessList, parseAccessRule } from "../../src/inet/access.ts";

const validRules: [string, { version: 4 | 6; network: bigint; prefix: number }][] = [
  ["192.168.1.0/24", { version: 4, network: 0xc0a80100n, prefix: 24 }],
  ["192.168.1.77/24", { version: 4, network: 0xc0a80100n, prefix: 24 }],
  ["10.0.0.7", { version: 4, network: 0x0a000007n, prefix: 32 }],
  ["0.0.0.0/0", { version: 4, network: 0n, prefix: 0 }],
  ["172.16.0.0/255.240.0.0", { version: 4, network: 0xac100000n, prefix: 12 }],
  ["::1", { version: 6, network: 1n, prefix: 128 }],
  ["[::1]/128", { version: 6, network: 1n, prefix: 128 }],
  ["fd00::/8", { version: 6, network: 0xfdn << 120n, prefix: 8 }],
  ["2001:db8::1/32", { version: 6, network: 0x20010db8n << 96n, prefix: 32 }],
  ["::/0", { version: 6, network: 0n, prefix: 0 }],
  // IPv4-mapped rules become the IPv4 rule they map
  ["::ffff:10.0.0.0/104", { version: 4, network: 0x0a000000n, prefix: 8 }],
  ["::ffff:127.0.0.2", { version: 4, network: 0x7f000002n, prefix: 32 }],
];
for (const [text, expected] of validRules) {
  Deno.test(`parseAccessRule() parses "${text}"`, () => {
    const rule = parseAccessRule(text);
    assert.deepEqual(
      { version: rule.version, network: rule.network, prefix: rule.prefix },
      expected,
    );
    assert.equal(rule.text, text);
  });
}

const invalidRules = [
  "",
  "localhost",
  "10.0.0.0/33",
  "::/129",
  "10.0.0/8",
  "10.0.0.256/8",
  "10.0.0.0/",
  "10.0.0.0/-1",
  "10.0.0.0/8/8",
  "10.0.0.0/255.0.255.0",
  "fe80::1%eth0/64",
  "::1/ffff::",
  "1.2.3.4 ",
  "01.2.3.4/8",
  "*",
];
for (const text of invalidRules) {
  Deno.test(`parseAccessRule() rejects "${text}" with a message that quotes it`, () => {
    assert.throws(
      () => parseAccessRule(text),
      (err: unknown) =>
        (err instanceof SyntaxError || err instanceof RangeError) &&
        err.message.startsWith(`Cannot parse CIDR "${text}"`),
    );
  });
}

Deno.test("admits() admits everyone when the list has no rules", () => {
  const list = parseAccessList();
  assert.ok(isOpen(list));
  for (const peer of ["127.0.0.1", "::1", "8.8.8.8", "not-an-address"]) {
    assert.ok(admits(list, peer), peer);
  }
});

Deno.test("admits() with deny only: everyone but the denied", () => {
  const list = parseAccessList({ deny: ["127.0.0.2", "fd00::/8"] });
  assert.ok(admits(list, "127.0.0.1"));
  assert.ok(!admits(list, "127.0.0.2"));
  assert.ok(!admits(list, "fd12::5"));
  assert.ok(admits(list, "fe80::1"));
  assert.ok(admits(list, "::1"));
});

Deno.test("admits() with any allow rule denies what no allow rule covers", () => {
  const list = parseAccessList({ allow: ["127.0.0.0/8"] });
  assert.ok(admits(list, "127.0.0.1"));
  assert.ok(admits(list, "127.255.0.9"));
  assert.ok(!admits(list, "128.0.0.1"));
  assert.ok(!admits(list, "::1"), "an IPv6 peer is not covered by an IPv4 rule");
  assert.ok(!admits(list, "not-an-address"));
});

Deno.test("admits(): deny wins over allow", () => {
  const list = parseAccessList({ allow: ["10.0.0.0/8", "10.0.0.7"], deny: ["10.0.0.0/24"] });
  assert.ok(admits(list, "10.1.0.1"));
  assert.ok(!admits(list, "10.0.0.7"));
  assert.ok(!admits(list, "10.0.0.200"));
});

Deno.test("admits() matches IPv4-mapped IPv6 peers as their IPv4 address", () => {
  const allow = parseAccessList({ allow: ["192.168.0.0/16"] });
  assert.ok(admits(allow, "::ffff:192.168.4.5"));
  assert.ok(admits(allow, "::ffff:c0a8:0405"));
  assert.ok(!admits(allow, "::ffff:192.169.0.1"));
  const deny = parseAccessList({ deny: ["127.0.0.2"] });
  assert.ok(!admits(deny, "::ffff:127.0.0.2"));
  assert.ok(admits(deny, "::ffff:127.0.0.1"));
  const mappedRule = parseAccessList({ allow: ["::ffff:10.0.0.0/104"] });
  assert.ok(admits(mappedRule, "10.20.30.40"));
  assert.ok(admits(mappedRule, "::ffff:10.20.30.40"));
});

Deno.test("admits() handles IPv6 networks at every boundary", () => {
  const list = parseAccessList({ allow: ["2001:db8:abcd::/48"] });
  assert.ok(admits(list, "2001:db8:abcd::"));
  assert.ok(admits(list, "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff"));
  assert.ok(!admits(list, "2001:db8:abce::"));
  assert.ok(!admits(list, "2001:db8:abcc:ffff:ffff:ffff:ffff:ffff"));
  assert.ok(admits(list, "2001:db8:abcd::1%eth0"), "a zone on the peer is ignored");
  const all = parseAccessList({ allow: ["::/0"] });
  assert.ok(admits(all, "::1"));
  assert.ok(!admits(all, "127.0.0.1"), "::/0 covers IPv6 only; an IPv4 peer needs 0.0.0.0/0");
});

Deno.test("admits() of /0 and /32 edges for IPv4", () => {
  const list = parseAccessList({ allow: ["0.0.0.0/0"], deny: ["255.255.255.255/32"] });
  assert.ok(admits(list, "0.0.0.0"));
  assert.ok(admits(list, "255.255.255.254"));
  assert.ok(!admits(list, "255.255.255.255"));
});
