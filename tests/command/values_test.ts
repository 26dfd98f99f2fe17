import assert from "node:assert/strict";
import { Args, parseQuantity, type Unit } from "../../src/command/values.ts";
import type { OptionSpec } from "../../src/command/spec.ts";
import { UsageError } from "../../src/console/errors.ts";
import { TABLE } from "../../src/cli/table.ts";

const SPECS: Record<string, OptionSpec> = {
  count: { type: "string", value: "N", help: "how many", default: 1, min: 1, max: 10 },
  wait: { type: "string", value: "MS", help: "how long" },
  mode: { type: "string", value: "M", help: "mode", choices: ["a", "b"], default: "a" },
  host: { type: "string", value: "HOST", help: "host", default: "127.0.0.1" },
  verbose: { type: "boolean", help: "more" },
};

Deno.test("Args applies each option's default when it is absent", () => {
  const args = new Args([], {}, SPECS);
  assert.equal(args.number("count"), 1);
  assert.equal(args.integer("wait"), undefined);
  assert.equal(args.choice("mode"), "a");
  assert.equal(args.string("host"), "127.0.0.1");
  assert.equal(args.flag("verbose"), false);
});

Deno.test("Args parses given values within the spec's bounds and choices", () => {
  const args = new Args(
    [],
    { count: "10", wait: "0", mode: "b", host: "::1", verbose: true },
    SPECS,
  );
  assert.equal(args.number("count"), 10);
  assert.equal(args.integer("wait"), 0);
  assert.equal(args.choice("mode"), "b");
  assert.equal(args.string("host"), "::1");
  assert.equal(args.flag("verbose"), true);
});

Deno.test("Args refuses values outside the bounds or choices with a usage error", () => {
  const rows: [string, string, RegExp][] = [
    ["count", "0", /Cannot parse --count "0": must be 1-10/],
    ["count", "11", /must be 1-10/],
    ["count", "1e3", /must be a whole number/],
    ["count", "-1", /must be a whole number/],
    ["wait", " 5", /expected a number, or with ms, s, m/],
  ];
  for (const [name, value, message] of rows) {
    const args = new Args([], { [name]: value }, SPECS);
    assert.throws(
      () => args.integer(name),
      (err) => err instanceof UsageError && message.test(err.message),
    );
  }
  const args = new Args([], { mode: "c" }, SPECS);
  assert.throws(() => args.choice("mode"), /Cannot use --mode "c": must be one of a, b/);
});

Deno.test("Args.positional returns the argument, its fallback, or a usage error", () => {
  const args = new Args(["one"], {}, SPECS);
  assert.equal(args.positional(0), "one");
  assert.equal(args.positional(1, "."), ".");
  assert.equal(args.optionalPositional(1), undefined);
  assert.throws(() => args.positional(1), UsageError);
});

Deno.test("Args: an option the command does not define is a bug, not a usage error", () => {
  const args = new Args([], {}, SPECS);
  assert.throws(() => args.integer("nope"), TypeError);
  assert.throws(() => args.number("wait"), TypeError);
});

Deno.test("every option in the command table has a default within its own bounds and choices", () => {
  for (const entry of TABLE) {
    const commands = entry.kind === "group" ? entry.commands : [entry];
    for (const command of commands) {
      for (const [name, spec] of Object.entries(command.options)) {
        const where = `${entry.name} ${command.name} --${name}`;
        if (spec.choices && spec.default !== undefined) {
          assert.ok(spec.choices.includes(String(spec.default)), `${where}: default not a choice`);
        }
        if (typeof spec.default === "number") {
          assert.ok(spec.default >= (spec.min ?? 0), `${where}: default below min`);
          assert.ok(
            spec.default <= (spec.max ?? Number.MAX_SAFE_INTEGER),
            `${where}: default above max`,
          );
        }
        assert.ok(
          !/\(\d+\)$/.test(spec.help),
          `${where}: the default belongs in the spec, not the help`,
        );
      }
    }
  }
});

Deno.test("parseQuantity(): durations with ms, s, m; sizes with K, M, G; bare numbers in the option's unit", () => {
  const rows: [string, Unit, number][] = [
    ["1500", "ms", 1500],
    ["500ms", "ms", 500],
    ["2s", "ms", 2000],
    ["1m", "ms", 60_000],
    ["3", "s", 3],
    ["2s", "s", 2],
    ["1m", "s", 60],
    ["2000ms", "s", 2],
    ["512", "bytes", 512],
    ["64K", "bytes", 65_536],
    ["10M", "bytes", 10_485_760],
    ["1G", "bytes", 1_073_741_824],
  ];
  for (const [text, unit, expected] of rows) {
    assert.equal(parseQuantity(text, "--x", unit), expected, `${text} as ${unit}`);
  }
});

Deno.test("parseQuantity() refuses unknown suffixes, fractions of a second and values out of range", () => {
  const rows: [string, Unit, RegExp][] = [
    ["2h", "ms", /expected a number, or with ms, s, m/],
    ["1.5s", "ms", /expected a number/],
    ["-1s", "ms", /expected a number/],
    ["10k", "bytes", /expected BYTES, or with K, M, G/],
    ["1500ms", "s", /must be whole seconds/],
    ["0s", "ms", /must be 1-/],
  ];
  for (const [text, unit, message] of rows) {
    assert.throws(
      () => parseQuantity(text, "--x", unit, { min: 1 }),
      (err) => err instanceof UsageError && message.test(err.message),
      `${text} as ${unit}`,
    );
  }
});

Deno.test("Args reads MS, S and BYTES options with their units", () => {
  const specs: Record<string, OptionSpec> = {
    idle: { type: "string", value: "MS", help: "idle", min: 1 },
    timeout: { type: "string", value: "S", help: "timeout", default: 1, min: 1, max: 255 },
    max: { type: "string", value: "BYTES", help: "max", default: 1024 },
  };
  const args = new Args([], { idle: "2s", timeout: "1m", max: "1M" }, specs);
  assert.equal(args.integer("idle"), 2000);
  assert.equal(args.number("timeout"), 60);
  assert.equal(args.number("max"), 1_048_576);
  assert.throws(
    () => new Args([], { timeout: "5m" }, specs).number("timeout"),
    /must be 1-255 seconds/,
  );
});
