import assert from "node:assert/strict";
import {
  clientSends,
  cookieText,
  makeCookie,
  paramsJson,
  parseParams,
  parseResults,
  streamId,
} from "../../src/bench/protocol.ts";
import { rttFigures } from "../../src/bench/latency.ts";
import { encodeProbe, parseProbe } from "../../src/bench/latency.ts";

Deno.test("makeCookie() makes 36 characters of iperf3's alphabet and a NUL", () => {
  const cookie = makeCookie(Uint8Array.from({ length: 36 }, (_, i) => i * 7));
  assert.equal(cookie.length, 37);
  assert.equal(cookie[36], 0);
  assert.match(cookieText(cookie)!, /^[a-z2-7]{36}$/);
});

Deno.test("cookieText() refuses what is not a cookie", () => {
  assert.equal(cookieText(new TextEncoder().encode("a".repeat(37))), undefined);
  assert.equal(cookieText(new Uint8Array(37)), undefined);
  assert.equal(cookieText(new TextEncoder().encode("a".repeat(35) + "\0")), undefined);
});

Deno.test("streamId() numbers streams 1, 3, 4, … as iperf3 does", () => {
  assert.deepEqual([0, 1, 2, 3].map(streamId), [1, 3, 4, 5]);
});

Deno.test("parseParams() reads iperf3's fields and round-trips paramsJson()", () => {
  const p = parseParams({ tcp: true, time: 3, parallel: 2, bidirectional: true, len: 1000 });
  assert.equal(p.direction, "bidir");
  assert.equal(clientSends(p, 1), true);
  assert.equal(clientSends(p, 2), false);
  const again = parseParams(paramsJson(p, "sockit"));
  assert.deepEqual({ ...again, clientVersion: "" }, { ...p, clientVersion: "" });
  const udp = parseParams({ udp: true, time: 1 });
  assert.equal(udp.len, 1460);
  assert.equal(udp.bandwidth, 0); // iperf3 leaves bandwidth out for -b 0
});

Deno.test("parseResults() keeps streams with ids and reads unsigned -1 as -1", () => {
  const r = parseResults({
    streams: [{ id: 1, bytes: 5, retransmits: 18446744073709551615 }, { bytes: 9 }, "x"],
  });
  assert.equal(r.streams.length, 1);
  assert.equal(r.streams[0]!.retransmits, -1);
});

Deno.test("rttFigures() takes nearest-rank percentiles; probes round-trip", () => {
  assert.equal(rttFigures([]), undefined);
  const many = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(rttFigures(many), { samples: 100, p50: 50, p99: 99, max: 100 });
  assert.deepEqual(parseProbe(encodeProbe(7, 12.5)), { seq: 7, sentMs: 12.5 });
  assert.equal(parseProbe(new Uint8Array(16)), undefined);
});
