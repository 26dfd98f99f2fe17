import assert from "node:assert/strict";
import { formatIPv4, parseIPv4 } from "../../src/inet/ipv4.ts";
import { formatIPv6, parseIPv6 } from "../../src/inet/ipv6.ts";

const v4Valid: [string, number][] = [
  ["0.0.0.0", 0],
  ["127.0.0.1", 0x7f000001],
  ["255.255.255.255", 0xffffffff],
  ["192.168.1.10", 3232235786],
];
for (const [text, value] of v4Valid) {
  Deno.test(`parseIPv4() parses "${text}"`, () => {
    assert.equal(parseIPv4(text), value);
    assert.equal(formatIPv4(value), text);
  });
}

for (
  const text of [
    "1.2.3.256",
    "1..3.4",
    "01.2.3.4",
    "0x1.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.-4",
    "",
  ]
) {
  Deno.test(`parseIPv4() rejects "${text}"`, () => {
    assert.throws(() => parseIPv4(text), SyntaxError);
  });
}

const v6Valid: [string, string][] = [
  ["::", "::"],
  ["::1", "::1"],
  ["2001:db8::1", "2001:db8::1"],
  ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
  ["::ffff:192.0.2.1", "::ffff:c000:201"],
  ["1::", "1::"],
  ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
];
for (const [text, canonical] of v6Valid) {
  Deno.test(`parseIPv6() parses "${text}" to RFC 5952 "${canonical}"`, () => {
    assert.equal(formatIPv6(parseIPv6(text).value), canonical);
  });
}

Deno.test("parseIPv6() keeps the zone apart", () => {
  assert.deepEqual(parseIPv6("fe80::1%eth0"), { value: 0xfe80n << 112n | 1n, zone: "eth0" });
});

for (
  const text of [
    "",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "12345::",
    "g::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "::1.2.3.4:5",
    "::1.2.3",
    "fe80::1%",
    "1:2:3:4:5:6:7:8::",
  ]
) {
  Deno.test(`parseIPv6() rejects "${text}"`, () => {
    assert.throws(() => parseIPv6(text), SyntaxError);
  });
}
