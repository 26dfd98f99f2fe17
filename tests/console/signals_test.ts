import assert from "node:assert/strict";
import { onInterrupt } from "../../src/console/signals.ts";

Deno.test("onInterrupt(): the first signal stops, the same press again is ignored, a later one exits", () => {
  assert.equal(onInterrupt(undefined, 1000), "stop");
  assert.equal(onInterrupt(1000, 1000), "ignore");
  assert.equal(onInterrupt(1000, 1299), "ignore");
  assert.equal(onInterrupt(1000, 1300), "exit");
  assert.equal(onInterrupt(1000, 5000), "exit");
});
