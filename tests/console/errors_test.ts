import assert from "node:assert/strict";
import { describeError, input, permissionHint, UsageError } from "../../src/console/errors.ts";
import { parseInteger } from "../../src/command/values.ts";

Deno.test("permissionHint() names the exact flag", () => {
  const rows: [string, string | undefined][] = [
    [
      'Requires net access to "127.0.0.1:80", run again with the --allow-net flag',
      "run with --allow-net=127.0.0.1:80",
    ],
    [
      'Requires read access to "/srv", run again with the --allow-read flag',
      "run with --allow-read=/srv",
    ],
    [
      'Requires sys access to "networkInterfaces", run again',
      "run with --allow-sys=networkInterfaces",
    ],
    ["something else", undefined],
  ];
  for (const [message, hint] of rows) assert.equal(permissionHint(message), hint);
});

Deno.test("describeError() maps runtime errors to exit 1 with messages", () => {
  const inUse = describeError(new Deno.errors.AddrInUse("x"), {
    action: "listen",
    address: "127.0.0.1:9",
  });
  assert.equal(inUse.message, "address 127.0.0.1:9 is already in use");
  assert.equal(inUse.exitCode, 1);
  const refused = describeError(new Deno.errors.ConnectionRefused("x"), { address: "h:1" });
  assert.equal(refused.message, "connection refused by h:1");
  const timeout = describeError(new DOMException("t", "TimeoutError"), {
    action: "connect",
    address: "h:1",
    timeoutMs: 50,
  });
  assert.equal(timeout.message, "timed out connecting to h:1 after 50 ms");
  const root = describeError(new Deno.errors.PermissionDenied("x"), {
    action: "listen",
    address: "0.0.0.0:80",
  });
  assert.equal(root.hint, "port 80 needs root; use a port ≥ 1024");
  const capable = describeError(
    new Deno.errors.NotCapable('Requires net access to "h:1", run again with the --allow-net flag'),
  );
  assert.equal(capable.message, 'permission denied: net access to "h:1"');
  assert.equal(capable.hint, "run with --allow-net=h:1");
});

Deno.test("input() turns parse errors into exit-2 UsageErrors and passes others", () => {
  assert.throws(() =>
    input(() => {
      throw new SyntaxError("bad");
    }), (err) => err instanceof UsageError && err.exitCode === 2);
  assert.throws(() =>
    input(() => {
      throw new Error("other");
    }), (err) => !(err instanceof UsageError));
});

Deno.test("parseInteger() accepts plain integers in range only", () => {
  assert.equal(parseInteger("10", "--n"), 10);
  for (const bad of ["", "-1", "1.5", "1e3", "0x10", " 1", "abc"]) {
    assert.throws(() => parseInteger(bad, "--n"), UsageError, bad);
  }
  assert.throws(() => parseInteger("0", "--n", { min: 1 }), /must be 1-/);
});
