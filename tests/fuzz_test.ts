/**
 * A seeded slice of `deno task fuzz`: every target's properties over its
 * seeds and a few thousand mutated inputs (always the same ones), and the
 * engine itself: it finds a planted defect, shrinks it, and is
 * deterministic.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describeInput, type FuzzTarget, fuzzTarget } from "../scripts/fuzz/engine.ts";
import { holds } from "../scripts/fuzz/property.ts";
import { Rng } from "../scripts/fuzz/rng.ts";
import { TARGETS } from "../scripts/fuzz/targets.ts";

const SEED = 1;
const INPUTS = 5000;
// Mutations up to 8 kB (past every line and header limit but the 64 kB ones): the full run goes
// to 70 kB.
const MAX_BYTES = 8192;

for (const target of TARGETS) {
  Deno.test(`fuzz ${target.name}: ${INPUTS} seeded inputs hold every property`, async () => {
    const result = await fuzzTarget(target, { seed: SEED, inputs: INPUTS, maxBytes: MAX_BYTES });
    const report = result.failures.map((f) =>
      `${f.kind} at input #${f.index} (deno task fuzz --only ${f.target} --seed ${f.seed} ` +
      `--inputs ${f.index + 1} --max-bytes ${MAX_BYTES}): ${f.message}\n` +
      `  minimal ${describeInput(target, f.minimal)}`
    ).join("\n");
    assert.equal(result.failures.length, 0, report);
    assert.equal(result.inputs, INPUTS);
  });
}

/** A parser with two planted defects: a crash on "%%" and a broken property on a CR. */
const planted: FuzzTarget = {
  name: "planted",
  about: "test target",
  kind: "text",
  seeds: ["hello world", "a b c"],
  check(input) {
    const text = new TextDecoder().decode(input);
    if (text.includes("%%")) throw new TypeError("planted crash");
    holds(!text.includes("\r"), "no CR survives");
    return "accepted";
  },
};

Deno.test("fuzzTarget() finds planted defects and shrinks each to its minimal input", async () => {
  const result = await fuzzTarget(planted, { seed: SEED, inputs: 5000, keepGoing: true });
  const bySignature = new Map(result.failures.map((f) => [f.kind, f]));
  const crash = bySignature.get("exception");
  const broken = bySignature.get("violation");
  assert.ok(crash && broken, JSON.stringify(result.failures.map((f) => f.signature)));
  assert.equal(new TextDecoder().decode(crash.minimal), "%%");
  assert.equal(new TextDecoder().decode(broken.minimal), "\r");
  assert.match(crash.message, /TypeError: planted crash/);
  assert.match(broken.message, /no CR survives/);
});

Deno.test("fuzzTarget() stops a target at its first failure unless told to keep going", async () => {
  const result = await fuzzTarget(planted, { seed: SEED, inputs: 20_000 });
  assert.equal(result.failures.length, 1);
  assert.equal(result.inputs, result.failures[0]!.index + 1);
});

Deno.test("fuzzTarget() is deterministic: the same seed finds the same input", async () => {
  const first = await fuzzTarget(planted, { seed: 7, inputs: 20_000 });
  const second = await fuzzTarget(planted, { seed: 7, inputs: 20_000 });
  assert.equal(first.failures[0]?.index, second.failures[0]?.index);
  assert.deepEqual(first.failures[0]?.input, second.failures[0]?.input);
});

Deno.test("fuzzTarget() reports a valid input the parser refuses", async () => {
  const refusing: FuzzTarget = { ...planted, check: () => "rejected" };
  const result = await fuzzTarget(refusing, { seed: SEED, inputs: 10 });
  assert.equal(result.failures[0]?.kind, "refused-valid");
  assert.equal(result.failures[0]?.index, 0);
});

Deno.test("Rng.forInput() regenerates any input's stream on its own", () => {
  const a = Rng.forInput(1, "files.request", 123);
  const b = Rng.forInput(1, "files.request", 123);
  const c = Rng.forInput(1, "files.request", 124);
  const take = (rng: Rng) => Array.from({ length: 8 }, () => rng.next());
  const first = take(a);
  assert.deepEqual(take(b), first);
  assert.notDeepEqual(take(c), first);
  for (const value of first) assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32);
});
