import assert from "node:assert/strict";
import { renderProgress } from "../../src/console/progress.ts";

Deno.test("renderProgress() shows bar, percentage, bytes, rate and ETA", () => {
  assert.equal(
    renderProgress({ label: "big.iso", done: 50, total: 100, seconds: 2, width: 20 }),
    "big.iso [#####-----]  50% 50 B/100 B 25 B/s ETA 2s",
  );
  assert.equal(
    renderProgress({
      label: "x",
      done: 2_500_000_000,
      total: 5_000_000_000,
      seconds: 10,
      width: 8,
    }),
    "x [##--]  50% 2.5 GB/5.0 GB 250 MB/s ETA 10s",
  );
  assert.match(
    renderProgress({ label: "x", done: 1_000_000, total: 10_000_000_000, seconds: 1 }),
    /ETA 2h46m$/,
  );
});

Deno.test("renderProgress() copes with an empty file and no elapsed time", () => {
  assert.equal(
    renderProgress({ label: "empty", done: 0, total: 0, seconds: 0, width: 8 }),
    "empty [####] 100% 0 B/0 B 0 B/s",
  );
});

Deno.test("renderProgress() of a body of unknown length shows bytes and rate", () => {
  assert.equal(
    renderProgress({ label: "body", done: 2_500_000, total: undefined, seconds: 2 }),
    "body 2.5 MB 1.25 MB/s",
  );
});

Deno.test("renderProgress() on a narrow terminal shrinks the bar first, then the label, never the numbers", () => {
  const state = { label: "a-rather-long-file-name.iso", done: 50, total: 100, seconds: 2 };
  for (const columns of [80, 60, 50, 40, 30]) {
    const line = renderProgress({ ...state, columns });
    assert.ok(line.length <= columns - 1, `${columns}: ${line}`);
    assert.match(line, /(^| )50% 50 B\/100 B 25 B\/s ETA 2s$/, `${columns}: ${line}`);
  }
  assert.match(renderProgress({ ...state, columns: 80 }), /\[#+-+\]/);
  assert.doesNotMatch(renderProgress({ ...state, columns: 40 }), /\[/);
  assert.match(renderProgress({ ...state, columns: 40 }), /^a-rather.*… +50%/);
});

Deno.test("renderProgress() of a resumed download rates only this run's bytes", () => {
  // 600 of 1000 bytes were on disk; 200 more arrived in 2 s: 100 B/s, 2 s left.
  const line = renderProgress({
    label: "x",
    done: 800,
    total: 1000,
    seconds: 2,
    start: 600,
    width: 20,
  });
  assert.match(line, / 80% 800 B\/1\.0 kB 100 B\/s ETA 2s$/);
});

Deno.test("renderProgress() on a terminal that reports 0 columns still shows the line", () => {
  const line = renderProgress({
    label: "x",
    done: 50,
    total: 100,
    seconds: 2,
    width: 20,
    columns: 0,
  });
  assert.match(line, /^x \[#+-+\] {2}50% 50 B\/100 B 25 B\/s ETA 2s$/);
});
