import assert from "node:assert/strict";
import { buildRequest, parseHeaderOption, parseHttpUrl } from "../../src/http/request.ts";

Deno.test("parseHttpUrl() reads scheme, host, port, Host header and target", () => {
  const rows: [string, boolean, string, number, string, string][] = [
    ["http://example.com", false, "example.com", 80, "example.com", "/"],
    ["https://example.com/a?b=1", true, "example.com", 443, "example.com", "/a?b=1"],
    ["http://127.0.0.1:8080/x y", false, "127.0.0.1", 8080, "127.0.0.1:8080", "/x%20y"],
    ["http://[::1]:9000/", false, "::1", 9000, "[::1]:9000", "/"],
    ["https://[2001:db8::1]/", true, "2001:db8::1", 443, "[2001:db8::1]", "/"],
    ["http://example.com:80/", false, "example.com", 80, "example.com", "/"],
  ];
  for (const [text, tls, hostname, port, host, target] of rows) {
    assert.deepEqual(
      (({ tls, hostname, port, host, target }) => ({ tls, hostname, port, host, target }))(
        parseHttpUrl(text),
      ),
      { tls, hostname, port, host, target },
      text,
    );
  }
});

const badUrls: [string, RegExp][] = [
  ["ftp://example.com/", /unsupported scheme "ftp"/],
  ["example.com/path", /missing scheme/],
  ["http://", /Cannot parse URL/],
  ["http:///path", /missing host/],
  ["http://example.com:99999/", /Cannot parse URL/],
  ["http://example.com:0/", /port 0 is out of range/],
  ["http://1.2.3.999/", /Cannot parse URL|not a valid IPv4/],
  ["http://exa mple.com/", /Cannot parse URL/],
  ["http://user:pw@example.com/", /credentials/],
];
for (const [text, message] of badUrls) {
  Deno.test(`parseHttpUrl() rejects "${text}"`, () => {
    assert.throws(
      () => parseHttpUrl(text),
      (err) =>
        (err instanceof SyntaxError || err instanceof RangeError) && message.test(err.message),
    );
  });
}

Deno.test("buildRequest() writes the request head, -H replacing defaults", () => {
  const target = parseHttpUrl("http://[::1]:8080/a?b=c");
  assert.equal(
    buildRequest(target, { version: "0.1.0", headers: [["Accept", "text/html"], ["X-Test", "1"]] }),
    "GET /a?b=c HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: sockit/0.1.0\r\nConnection: close\r\n" +
      "Accept: text/html\r\nX-Test: 1\r\n\r\n",
  );
  assert.match(
    buildRequest(target, { method: "HEAD", version: "1" }),
    /^HEAD \/a\?b=c HTTP\/1\.1\r\n/,
  );
});

Deno.test("parseHeaderOption() wants Name: value without line breaks", () => {
  assert.deepEqual(parseHeaderOption("X-A:  b c "), ["X-A", "b c"]);
  assert.throws(() => parseHeaderOption("no colon"), SyntaxError);
  assert.throws(() => parseHeaderOption("Bad Name: x"), SyntaxError);
  assert.throws(() => parseHeaderOption("X: a\r\nInjected: 1"), SyntaxError);
});
