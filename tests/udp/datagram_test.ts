import assert from "node:assert/strict";
import {
  checkPayload,
  datagramEvent,
  datagramLine,
  datagramLineParts,
  MAX_PAYLOAD_IPV4,
  MAX_PAYLOAD_IPV6,
  maxPayload,
  stampReply,
} from "../../src/udp/datagram.ts";
import { defaultBind } from "../../src/udp/send.ts";

const enc = (s: string) => new TextEncoder().encode(s);
/** A datagram as the socket layer would hand it over (no socket involved). */
const peerPort = 5000;
const datagram = (data: Uint8Array, truncated = false) => ({
  data,
  from: `127.0.0.1:${peerPort}`,
  hostname: "127.0.0.1",
  port: peerPort,
  truncated,
});

Deno.test("maxPayload() is 65507 over IPv4 and 65527 over IPv6", () => {
  assert.equal(maxPayload("10.0.0.1"), MAX_PAYLOAD_IPV4);
  assert.equal(maxPayload("example.com"), 65507);
  assert.equal(maxPayload("::1"), MAX_PAYLOAD_IPV6);
  assert.equal(MAX_PAYLOAD_IPV6, 65527);
});

Deno.test("checkPayload() rejects one byte over the limit, naming the limit", () => {
  checkPayload(65507, "127.0.0.1");
  assert.throws(() => checkPayload(65508, "127.0.0.1"), /65508-byte datagram.*IPv4 is 65507/);
  checkPayload(65527, "::1");
  assert.throws(() => checkPayload(65528, "::1"), /IPv6 is 65527/);
});

Deno.test("stampReply() prefixes the datagram's own bytes", () => {
  const reply = stampReply(enc("hi\n"), new Date(0));
  assert.equal(new TextDecoder().decode(reply), "[1970-01-01T00:00:00.000Z] hi\n");
});

Deno.test("datagramLine() is HOST:PORT TEXT on one line", () => {
  assert.equal(datagramLine(datagram(enc("a\nb")), "utf-8"), "127.0.0.1:5000 a\\nb");
});

Deno.test("datagramLineParts() prints what datagramLine() would, raw bytes only when safe", () => {
  const bodies = [
    "plain ascii ~ text",
    "",
    "back\\slash",
    "tab\there",
    "\x1b[31mred",
    "del\x7f",
    "héllo ünïcode",
    "bidi \u202e override",
    "line\u2028separator",
  ];
  const cases = [...bodies.map(enc), new Uint8Array([0x61, 0xff, 0x62]), new Uint8Array([0x9b])];
  for (const data of cases) {
    const [prefix, body] = datagramLineParts(datagram(data), "utf-8");
    const printed = body === undefined ? prefix : prefix + new TextDecoder().decode(body);
    assert.equal(printed, datagramLine(datagram(data), "utf-8"), JSON.stringify([...data]));
  }
  const [, raw] = datagramLineParts(datagram(enc("plain ascii")), "utf-8");
  assert.ok(raw !== undefined, "safe ASCII is printed as its own bytes");
  const [, escaped] = datagramLineParts(datagram(enc("a\\b")), "utf-8");
  assert.equal(escaped, undefined, "a backslash is escaped, not printed raw");
});

Deno.test("datagramEvent() has size, text, base64 when invalid, truncated when cut", () => {
  assert.deepEqual(datagramEvent(datagram(enc("hello")), "utf-8"), {
    event: "datagram",
    from: "127.0.0.1:5000",
    size: 5,
    text: "hello",
  });
  const invalid = datagramEvent(datagram(new Uint8Array([0xff]), true), "utf-8");
  assert.equal(invalid.base64, "/w==");
  assert.equal(invalid.truncated, true);
});

Deno.test("defaultBind() stays on loopback for loopback targets, else the wildcard", () => {
  const bind = (hostname: string) => defaultBind({ transport: "tcp", hostname, port: 9 }).hostname;
  assert.equal(bind("127.0.0.1"), "127.0.0.1");
  assert.equal(bind("127.1.2.3"), "127.0.0.1");
  assert.equal(bind("localhost"), "127.0.0.1");
  assert.equal(bind("::1"), "::1");
  assert.equal(bind("192.168.1.255"), "0.0.0.0");
  assert.equal(bind("fe80::1"), "::");
});
