import assert from "node:assert/strict";
import { figuresLine, formatBits, spanFigures, sumFigures } from "../../src/bench/report.ts";

const udp = { received: 9, expected: 10, lost: 1, outOfOrder: 2, jitter: 0.0005 };

Deno.test("formatBits() uses decimal units", () => {
  assert.equal(formatBits(999), "999 bit/s");
  assert.equal(formatBits(9_010_000_000), "9.01 Gbit/s");
  assert.equal(formatBits(123_400_000), "123.4 Mbit/s");
});

Deno.test("spanFigures() and figuresLine(): UDP receivers show jitter, lost/total and out of order", () => {
  const f = spanFigures({ id: 1, sender: false, start: 0, end: 1, bytes: 12_000 }, udp);
  assert.equal(f.lost_percent, 10);
  assert.equal(f.bits_per_second, 96_000);
  assert.match(
    figuresLine(f, { role: "receiver" }),
    /0\.500 ms\s+1\/10 \(10\.00%\)\s+2\s+receiver$/,
  );
});

Deno.test("sumFigures(): out of order is summed only when every stream reports it", () => {
  const mine = spanFigures({ id: 1, sender: false, start: 0, end: 1, bytes: 100 }, udp);
  const stock = spanFigures({ id: 3, sender: false, start: 0, end: 1, bytes: 100 }, udp);
  delete stock.out_of_order; // a stock iperf3 server sends no count
  assert.equal(sumFigures([mine, mine], false).out_of_order, 4);
  const mixed = sumFigures([mine, stock], false);
  assert.equal(mixed.out_of_order, undefined);
  assert.equal(mixed.lost_packets, 2);
  assert.match(figuresLine(mixed), /\(10\.00%\)\s+-$/);
});
