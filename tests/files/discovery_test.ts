import assert from "node:assert/strict";
import {
  type Announcement,
  announceName,
  AnswerLimiter,
  encodeMessage,
  MAX_MESSAGE,
  parseMessage,
} from "../../src/files/discovery.ts";

const encoder = new TextEncoder();
const NONCE = "0123456789abcdef";
const here: Announcement = {
  kind: "here",
  nonce: NONCE,
  name: "share",
  files: 9000,
  http: 8080,
  tls: false,
  fingerprint: null,
};
const wire = (value: unknown) => encoder.encode(JSON.stringify(value));
const good = JSON.parse(new TextDecoder().decode(encodeMessage(here)));

Deno.test("encodeMessage() and parseMessage() round-trip queries and announcements", () => {
  assert.deepEqual(parseMessage(encodeMessage(here)), here);
  assert.deepEqual(parseMessage(encodeMessage({ ...here, nonce: null, http: null })), {
    ...here,
    nonce: null,
    http: null,
  });
  const tls = { ...here, tls: true, fingerprint: "ab".repeat(32) };
  assert.deepEqual(parseMessage(encodeMessage(tls)), tls);
  assert.deepEqual(parseMessage(encodeMessage({ kind: "find", nonce: NONCE })), {
    kind: "find",
    nonce: NONCE,
  });
});

const BAD: [string, Uint8Array][] = [
  ["empty", new Uint8Array()],
  ["not JSON", encoder.encode("hello")],
  ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
  ["an array", wire([good])],
  ["null", wire(null)],
  ["another version", wire({ ...good, v: 2 })],
  ["an unknown kind", wire({ ...good, sockit: "there" })],
  ["an extra key", wire({ ...good, host: "10.0.0.9" })],
  ["a missing key", wire({ ...good, fingerprint: undefined })],
  ["a short nonce", wire({ ...good, nonce: "abc" })],
  ["an upper-case nonce", wire({ ...good, nonce: NONCE.toUpperCase() })],
  ["port 0", wire({ ...good, files: 0 })],
  ["port 65536", wire({ ...good, http: 65536 })],
  ["a fractional port", wire({ ...good, files: 9000.5 })],
  ["a port as text", wire({ ...good, files: "9000" })],
  ["tls as text", wire({ ...good, tls: "no" })],
  ["a fingerprint without TLS", wire({ ...good, fingerprint: "ab".repeat(32) })],
  ["a short fingerprint", wire({ ...good, tls: true, fingerprint: "ab" })],
  ["an empty name", wire({ ...good, name: "" })],
  ["a name with ESC", wire({ ...good, name: "a\x1b[2Jb" })],
  ["a name with a bidi override", wire({ ...good, name: "a\u202eb" })],
  ["a name over 64 characters", wire({ ...good, name: "n".repeat(65) })],
  ["a query with extra keys", wire({ sockit: "find", v: 1, nonce: NONCE, x: 1 })],
  ["oversized", wire({ ...good, name: "n".repeat(40), pad: "x".repeat(MAX_MESSAGE) })],
];
for (const [name, bytes] of BAD) {
  Deno.test(`parseMessage() drops ${name}`, () => {
    assert.equal(parseMessage(bytes), undefined);
  });
}

Deno.test("announceName() drops control characters and keeps at most 64 characters", () => {
  assert.equal(announceName("my\x1b[31m share\n"), "my[31m share");
  assert.equal([...announceName("é".repeat(100))].length, 64);
  assert.equal(announceName("\x07"), "sockit");
});

Deno.test("AnswerLimiter answers one address once a second and at most N in a second overall", () => {
  const limiter = new AnswerLimiter({ perSecond: 3, maxSources: 4 });
  assert.equal(limiter.allow("10.0.0.1", 1000), true);
  assert.equal(limiter.allow("10.0.0.1", 1500), false);
  assert.equal(limiter.allow("10.0.0.2", 1500), true);
  assert.equal(limiter.allow("10.0.0.3", 1600), true);
  assert.equal(limiter.allow("10.0.0.4", 1700), false, "over 3 in this second");
  assert.equal(limiter.allow("10.0.0.1", 2000), true, "a new second, a second later");
  // Many sources (spoofed, say): memory stays bounded, the rate too.
  let answered = 0;
  for (let i = 0; i < 10_000; i++) if (limiter.allow(`10.1.${i >> 8}.${i & 255}`, 5000)) answered++;
  assert.equal(answered, 3);
});
