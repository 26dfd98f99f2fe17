import assert from "node:assert/strict";
import { parseIP, parseNetwork } from "../../src/inet/ip.ts";
import { addressFields, fieldsJson, fieldsText, networkFields } from "../../src/inet/report.ts";

Deno.test("addressFields() renders the same record as text and as JSON", () => {
  const fields = addressFields(parseIP("192.168.1.10"));
  assert.equal(
    fieldsText(fields),
    [
      "address  192.168.1.10",
      "version  4",
      "class    C",
      "binary   11000000.10101000.00000001.00001010",
      "scope    private",
      "private  yes",
      "global   no",
      "",
    ].join("\n"),
  );
  assert.deepEqual(fieldsJson(fields), {
    address: "192.168.1.10",
    version: 4,
    class: "C",
    binary: "11000000.10101000.00000001.00001010",
    scope: "private",
    private: true,
    global: false,
  });
});

Deno.test("addressFields() of IPv6 carries the full and compressed forms, zone and embedded IPv4", () => {
  const json = fieldsJson(addressFields(parseIP("::ffff:10.0.0.1")));
  assert.equal(json.full, "0000:0000:0000:0000:0000:ffff:0a00:0001");
  assert.equal(json.compressed, "::ffff:a00:1");
  assert.equal(json.mapped, "10.0.0.1");
  assert.equal(json.scope, "ipv4-mapped");
  const zoned = fieldsJson(addressFields(parseIP("fe80::1%eth0")));
  assert.equal(zoned.zone, "eth0");
  assert.equal(zoned.scope, "link-local");
});

Deno.test("networkFields() text shows /prefix and yes/no; JSON has numbers, booleans and nested binary", () => {
  const fields = networkFields(parseNetwork("10.0.0.1", "255.255.252.0"));
  const text = fieldsText(fields);
  assert.match(text, /^network +10\.0\.0\.0\/22$/m);
  assert.match(text, /^prefix +\/22$/m);
  assert.match(text, /^private +yes$/m);
  assert.doesNotMatch(text, /^global/m);
  const json = fieldsJson(fields);
  assert.equal(json.network, "10.0.0.0");
  assert.equal(json.prefix, 22);
  assert.equal(json.broadcast, "10.0.3.255");
  assert.equal(json.global, false);
  assert.deepEqual(json.binary, {
    address: "00001010.00000000.00000000.00000001",
    mask: "11111111.11111111.11111100.00000000",
    network: "00001010.00000000.00000000.00000000",
  });
});

Deno.test("networkFields() of IPv6 names the last address, not a broadcast", () => {
  const json = fieldsJson(networkFields(parseNetwork("2001:db8::/48")));
  assert.equal(json.last, "2001:db8:0:ffff:ffff:ffff:ffff:ffff");
  assert.equal(json.broadcast, undefined);
  assert.equal(json.hosts, "1208925819614629174706175");
});
