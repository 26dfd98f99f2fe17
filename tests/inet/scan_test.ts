import assert from "node:assert/strict";
import { metItself } from "../../src/inet/scan.ts";

Deno.test("metItself() is true only when both ends of a TCP connection are one address and port", () => {
  const end = { transport: "tcp" as const, hostname: "127.0.0.1", port: 40001 };
  assert.equal(metItself(end, { ...end }), true);
  assert.equal(metItself(end, { ...end, port: 40002 }), false, "another port");
  assert.equal(metItself(end, { ...end, hostname: "127.0.0.2" }), false, "another host");
  const v6 = { transport: "tcp" as const, hostname: "::1", port: 40001 };
  assert.equal(metItself(v6, { ...v6 }), true);
  assert.equal(metItself(end, v6), false, "IPv4 and IPv6 ends");
  const unix = { transport: "unix" as const, path: "/tmp/x" };
  assert.equal(metItself(unix, unix), false, "not a TCP connection");
});
