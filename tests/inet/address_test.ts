import assert from "node:assert/strict";
import {
  formatAddress,
  parseConnectTarget,
  parseListenAddress,
  parsePort,
} from "../../src/inet/address.ts";

const validListen: [string, string][] = [
  ["0", "127.0.0.1:0"],
  [":0", "127.0.0.1:0"],
  ["9000", "127.0.0.1:9000"],
  [":65535", "127.0.0.1:65535"],
  ["localhost:0", "localhost:0"],
  ["0.0.0.0:80", "0.0.0.0:80"],
  ["[::1]:0", "[::1]:0"],
  ["[::]:8080", "[::]:8080"],
  ["[fe80::1%lo]:1", "[fe80::1%lo]:1"],
  ["my-host.example:1", "my-host.example:1"],
  ["unix:./test.sock", "unix:./test.sock"],
  ["unix:/tmp/a b.sock", "unix:/tmp/a b.sock"],
];

for (const [text, expected] of validListen) {
  Deno.test(`parseListenAddress() accepts "${text}"`, () => {
    assert.equal(formatAddress(parseListenAddress(text)), expected);
  });
}

const invalidListen: [string, RegExp][] = [
  ["70000", /"70000".*0-65535/],
  ["-1", /"-1"/],
  ["abc", /"abc"/],
  ["1.2.3.4:", /"1.2.3.4:".*missing port/],
  ["[::1", /"\[::1".*missing "\]"/],
  ["host:port:extra", /"host:port:extra".*too many/],
  ["::1:80", /too many/],
  ["1.2.3.256:80", /"1.2.3.256"/],
  ["01.2.3.4:80", /not a valid IPv4/],
  ["1..3.4:80", /not a valid IPv4/],
  ["[::1]80", /expected ":PORT"/],
  ["[::1]:", /missing port/],
  ["[zz::1]:80", /IPv6/],
  ["bad_host!:80", /not a valid host name/],
  ["host: 80", /port " 80"/],
  ["host:0x50", /port "0x50"/],
  ["host:65536", /"65536"/],
  ["unix:", /empty socket path/],
  ["", /""/],
];

for (const [text, message] of invalidListen) {
  Deno.test(`parseListenAddress() rejects "${text}"`, () => {
    assert.throws(() => parseListenAddress(text), (err: Error) => {
      assert.ok(err instanceof SyntaxError || err instanceof RangeError, String(err));
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("parseListenAddress() uses defaultHost for PORT and :PORT", () => {
  assert.deepEqual(parseListenAddress("80", { defaultHost: "::1" }), {
    transport: "tcp",
    hostname: "::1",
    port: 80,
  });
  assert.equal(formatAddress(parseListenAddress(":80", { defaultHost: "::1" })), "[::1]:80");
});

Deno.test("parseListenAddress() refuses unix: when not allowed", () => {
  assert.throws(() => parseListenAddress("unix:/x", { allowUnix: false }), SyntaxError);
});

const validTargets: [string, string][] = [
  ["127.0.0.1:80", "127.0.0.1:80"],
  ["localhost:1", "localhost:1"],
  ["[::1]:9000", "[::1]:9000"],
  ["[::ffff:1.2.3.4]:9", "[::ffff:1.2.3.4]:9"],
  ["example.com.:443", "example.com.:443"],
  ["unix:/run/x.sock", "unix:/run/x.sock"],
];

for (const [text, expected] of validTargets) {
  Deno.test(`parseConnectTarget() accepts "${text}"`, () => {
    assert.equal(formatAddress(parseConnectTarget(text)), expected);
  });
}

const invalidTargets: [string, RegExp][] = [
  ["127.0.0.1:0", /"0".*1-65535/],
  ["127.0.0.1", /"127.0.0.1".*HOST:PORT/],
  [":80", /missing host/],
  ["host:", /missing port/],
  ["host:port", /port "port"/],
  ["[::1]", /HOST:PORT/],
  ["a:b:c", /too many/],
];

for (const [text, message] of invalidTargets) {
  Deno.test(`parseConnectTarget() rejects "${text}"`, () => {
    assert.throws(() => parseConnectTarget(text), message);
  });
}

Deno.test("parseConnectTarget() uses defaultPort for a bare host", () => {
  assert.equal(formatAddress(parseConnectTarget("10.0.0.1", { defaultPort: 69 })), "10.0.0.1:69");
  assert.equal(formatAddress(parseConnectTarget("[::1]", { defaultPort: 69 })), "[::1]:69");
});

Deno.test("parsePort() enforces the minimum", () => {
  assert.equal(parsePort("0"), 0);
  assert.throws(() => parsePort("0", 1), /must be 1-65535/);
  assert.throws(() => parsePort("+1"), RangeError);
  assert.throws(() => parsePort("1e3"), RangeError);
});
