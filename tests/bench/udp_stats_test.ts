import assert from "node:assert/strict";
import { readHeader, UdpReceiver, udpSpan, writeHeader } from "../../src/bench/udp_stats.ts";

Deno.test("writeHeader() and readHeader() round-trip 32- and 64-bit counters", () => {
  const d = new Uint8Array(64);
  writeHeader(d, { sec: 0x2f40, usec: 0x8da3e, seq: 1 }, false);
  // As stock iperf3 3.12 put it on the wire.
  assert.deepEqual([...d.subarray(0, 12)], [0, 0, 0x2f, 0x40, 0, 8, 0xda, 0x3e, 0, 0, 0, 1]);
  assert.deepEqual(readHeader(d, false), { sec: 0x2f40, usec: 0x8da3e, seq: 1 });
  writeHeader(d, { sec: 1, usec: 2, seq: 2 ** 40 + 5 }, true);
  assert.deepEqual(readHeader(d, true), { sec: 1, usec: 2, seq: 2 ** 40 + 5 });
  assert.equal(readHeader(new Uint8Array(11), false), undefined);
  assert.equal(readHeader(new Uint8Array(15), true), undefined);
});

/** A deterministic stream: datagram `seq` sent at seq ms, delayed by `delay(seq)` ms. */
function simulate(
  order: number[],
  delay: (seq: number) => number,
): UdpReceiver {
  const r = new UdpReceiver();
  for (const seq of order) {
    const sentMs = seq;
    const sec = Math.floor(sentMs / 1000);
    const usec = (sentMs % 1000) * 1000;
    r.receive({ sec, usec, seq }, (sentMs + delay(seq)) / 1000);
  }
  return r;
}

Deno.test("UdpReceiver: loss, reordering and duplicates are counted apart", () => {
  const order: number[] = [];
  for (let s = 1; s <= 1000; s++) if (s % 10 !== 0) order.push(s); // 100 lost
  // 5 adjacent pairs swapped: late, not lost.
  for (const i of [10, 200, 400, 600, 800]) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
  order.splice(500, 0, order[499]!, order[300]!); // 2 duplicates
  const f = simulate(order, () => 5).figures();
  assert.equal(f.expected, 999); // 1000 is lost, so 999 is the highest seen
  assert.equal(f.received, 900);
  assert.equal(f.lost, 100 - 1);
  assert.equal(f.outOfOrder, 5);
  assert.equal(f.duplicates, 2);
});

Deno.test("UdpReceiver: a late datagram fills its gap instead of counting twice", () => {
  const f = simulate([1, 2, 5, 3, 4, 6], () => 1).figures();
  assert.equal(f.lost, 0);
  assert.equal(f.outOfOrder, 2);
  assert.equal(f.received, 6);
});

Deno.test("UdpReceiver: RFC 3550 jitter follows J += (|D| - J) / 16", () => {
  assert.ok(simulate([1, 2, 3, 4, 5], () => 7).figures().jitter < 1e-12);
  // Delays alternating 0 and 2 ms: |D| = 2 ms for every pair.
  const r = simulate(Array.from({ length: 11 }, (_, i) => i + 1), (s) => s % 2 === 0 ? 2 : 0);
  let j = 0;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    j += (0.002 - j) / 16;
    sum += j;
  }
  const f = r.figures();
  assert.ok(Math.abs(f.jitter - j) < 1e-12);
  assert.equal(f.jitterSamples, 10);
  assert.ok(Math.abs(f.jitterSum - sum) < 1e-12);
});

Deno.test("udpSpan(): an interval's figures are the difference, its jitter the interval's mean", () => {
  const r = new UdpReceiver();
  const at = (seq: number, delayMs: number) =>
    r.receive({ sec: 0, usec: seq * 1000, seq }, (seq + delayMs) / 1000);
  at(1, 1);
  at(2, 1);
  at(4, 1); // 3 missing
  const first = r.figures();
  at(3, 9); // late: out of order, no longer lost
  at(5, 1);
  const second = r.figures();
  const span = udpSpan(second, first);
  assert.equal(span.received, 2);
  assert.equal(span.outOfOrder, 1);
  assert.equal(span.lost, 0);
  assert.equal(udpSpan(first).lost, 1);
  assert.ok(span.jitter > 0);
  const whole = udpSpan(second);
  assert.equal(whole.expected, 5);
  assert.equal(whole.lost, 0);
});

Deno.test("UdpReceiver: a jump past the window and a very late datagram keep the counts whole", () => {
  const f = simulate([1, 2, 200_000, 3, 200_001], () => 1).figures();
  assert.equal(f.expected, 200_001);
  assert.equal(f.received, 5);
  assert.equal(f.lost, 200_001 - 5);
  assert.equal(f.outOfOrder, 1);
  assert.equal(f.duplicates, 0);
});
