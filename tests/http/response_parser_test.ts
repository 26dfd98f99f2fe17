import assert from "node:assert/strict";
import {
  HttpParseError,
  type ResponseEvent,
  ResponseParser,
} from "../../src/http/response_parser.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Parses `raw` whole and one byte at a time; both must agree. Returns status, headers, body, trailers. */
function parse(raw: string, method = "GET", close = true) {
  const run = (bytewise: boolean) => {
    const parser = new ResponseParser({ method });
    const events: ResponseEvent[] = [];
    const bytes = enc(raw);
    if (bytewise) { for (const b of bytes) events.push(...parser.push(new Uint8Array([b]))); }
    else events.push(...parser.push(bytes));
    if (close) events.push(...parser.end());
    const head = events.find((e) => e.type === "head");
    const body = events.filter((e) => e.type === "body").map((e) =>
      new TextDecoder().decode(e.data)
    ).join("");
    const trailers = events.find((e) => e.type === "trailers");
    return {
      status: head?.type === "head" ? head.status : 0,
      headers: head?.type === "head" ? head.headers : [],
      body,
      trailers: trailers?.type === "trailers" ? trailers.headers : [],
      ended: events.at(-1)?.type === "end",
    };
  };
  const whole = run(false);
  assert.deepEqual(run(true), whole, "byte-at-a-time parse differs");
  return whole;
}

const good: [string, string, string, number, string][] = [
  ["Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "GET", 200, "hello"],
  ["zero length", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", 200, ""],
  [
    "chunked",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "GET",
    200,
    "hello world",
  ],
  [
    "chunk extensions",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n0;end\r\n\r\n",
    "GET",
    200,
    "hello",
  ],
  [
    "upper-case hex",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
    "GET",
    200,
    "0123456789",
  ],
  [
    "close-delimited",
    "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end",
    "GET",
    200,
    "until the end",
  ],
  ["HEAD ignores Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "HEAD", 200, ""],
  ["204", "HTTP/1.1 204 No Content\r\n\r\n", "GET", 204, ""],
  ["304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "GET", 304, ""],
  [
    "100 Continue first",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "GET",
    200,
    "ok",
  ],
  ["no reason phrase", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", "GET", 404, ""],
  [
    "gzip then chunked",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    "GET",
    200,
    "ab",
  ],
  [
    "TE wins over CL",
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    "GET",
    200,
    "ab",
  ],
  [
    "same CL twice",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
    "GET",
    200,
    "ab",
  ],
];
for (const [name, raw, method, status, body] of good) {
  Deno.test(`ResponseParser: ${name}`, () => {
    const result = parse(raw, method);
    assert.equal(result.status, status);
    assert.equal(result.body, body);
    assert.equal(result.ended, true);
  });
}

Deno.test("ResponseParser keeps duplicate headers and joins folded ones", () => {
  const { headers } = parse(
    "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Long: one\r\n  two\r\nContent-Length: 0\r\n\r\n",
  );
  assert.deepEqual(headers, [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"], ["X-Long", "one two"], [
    "Content-Length",
    "0",
  ]]);
});

Deno.test("ResponseParser reports trailers", () => {
  const { trailers, body } = parse(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nChecksum: abc\r\nX-Done: yes\r\n\r\n",
  );
  assert.equal(body, "x");
  assert.deepEqual(trailers, [["Checksum", "abc"], ["X-Done", "yes"]]);
});

Deno.test("ResponseParser ends a Content-Length body without waiting for the close", () => {
  const parser = new ResponseParser();
  const events = parser.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
  assert.equal(events.at(-1)?.type, "end");
  assert.equal(parser.done, true);
});

const bad: [string, string, RegExp][] = [
  ["closed before any byte", "", /closed without a response/],
  ["closed in the header", "HTTP/1.1 200 OK\r\nContent-Le", /closed before the header ended/],
  [
    "short Content-Length body",
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    /cut short: 5 bytes missing/,
  ],
  [
    "chunked cut off",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    /chunked body was cut short/,
  ],
  [
    "malformed chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
    /malformed chunk size "zz"/,
  ],
  [
    "chunk without CRLF",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
    /not followed by CRLF/,
  ],
  ["invalid status line", "HTTP/2 200 OK\r\n\r\n", /invalid status line/],
  ["garbage status", "hello there\r\n\r\n", /invalid status line/],
  ["status 099", "HTTP/1.1 099 Odd\r\n\r\n", /invalid status line/],
  [
    "conflicting Content-Length",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
    /conflicting Content-Length/,
  ],
  [
    "negative Content-Length",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    /invalid Content-Length/,
  ],
  ["header without colon", "HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n", /malformed header line/],
  ["space in header name", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", /malformed header line/],
  ["fold with nothing before", "HTTP/1.1 200 OK\r\n folded\r\n\r\n", /folded header line/],
];
for (const [name, raw, message] of bad) {
  Deno.test(`ResponseParser rejects: ${name}`, () => {
    assert.throws(
      () => parse(raw),
      (err) => err instanceof HttpParseError && message.test(err.message),
    );
  });
}

Deno.test("ResponseParser bounds the header size and the number of fields", () => {
  const parser = new ResponseParser({ maxHeaderBytes: 1024 });
  assert.throws(
    () => parser.push(enc("HTTP/1.1 200 OK\r\nX: " + "a".repeat(2000))),
    /response header over 1024 bytes/,
  );
  const endless = new ResponseParser({ maxHeaderBytes: 4096 });
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) endless.push(enc(`X-${i}: y\r\n`.padStart(0)));
  }, /over 4096 bytes|more than/);
  const many = new ResponseParser({ maxHeaders: 3 });
  assert.throws(
    () => many.push(enc("HTTP/1.1 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n")),
    /more than 3/,
  );
});

// RFC 9112 §2.2: LF alone ends a line; empty lines before a status line are skipped.
const lenient: [string, string, number, string][] = [
  ["bare-LF line endings", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, "ok"],
  [
    "bare-LF and CRLF mixed",
    "HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\nok",
    200,
    "ok",
  ],
  [
    "bare-LF chunked body and trailers",
    "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n0\nX-T: 1\n\n",
    200,
    "hello",
  ],
  [
    "bare-LF empty trailers",
    "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n1\nx\n0\n\n",
    200,
    "x",
  ],
  [
    "empty lines before the status line",
    "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    200,
    "ok",
  ],
  [
    "an empty line after 100 Continue",
    "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    200,
    "ok",
  ],
  ["a bare-LF empty line before the status line", "\nHTTP/1.1 204 No Content\n\n", 204, ""],
  [
    "whitespace before a chunk extension (BWS)",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a = 1 ;b\r\nok\r\n0\r\n\r\n",
    200,
    "ok",
  ],
  [
    "a quoted chunk extension value",
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a="x; \\"y\\""\r\nok\r\n0\r\n\r\n',
    200,
    "ok",
  ],
  [
    "100 interim responses, then the final one",
    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n".repeat(100) +
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    200,
    "ok",
  ],
];
for (const [name, raw, status, body] of lenient) {
  Deno.test(`ResponseParser accepts ${name}, without waiting for the close`, () => {
    const result = parse(raw, "GET", false);
    assert.equal(result.status, status);
    assert.equal(result.body, body);
    assert.equal(result.ended, true);
  });
}

const refused: [string, string, RegExp][] = [
  [
    "a bare CR between header fields",
    "HTTP/1.1 200 OK\r\nFoo: 1\rBar: 2\r\nContent-Length: 0\r\n\r\n",
    /bare CR/,
  ],
  ["a bare CR in the status line", "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n", /bare CR/],
  [
    "a bare CR before a line end",
    "HTTP/1.1 200 OK\r\nFoo: 1\r\r\nContent-Length: 0\r\n\r\n",
    /bare CR/,
  ],
  [
    "a bare CR in a trailer",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\rB: 2\r\n\r\n",
    /bare CR/,
  ],
  ["a NUL in a field value", "HTTP/1.1 200 OK\r\nFoo: a\0b\r\nContent-Length: 0\r\n\r\n", /NUL/],
  [
    "whitespace after a chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n25  \r\n" + "x".repeat(37) +
    "\r\n0\r\n\r\n",
    /malformed chunk size "25 {2}"/,
  ],
  [
    "an empty chunk extension",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n",
    /malformed chunk size "2;"/,
  ],
  [
    "a chunk extension without a name",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;=x\r\nab\r\n0\r\n\r\n",
    /malformed chunk size/,
  ],
  [
    "an unterminated quoted chunk extension",
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a="x\r\nab\r\n0\r\n\r\n',
    /malformed chunk size/,
  ],
  [
    "an unsolicited 101 Switching Protocols",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    /101 Switching Protocols without an upgrade request/,
  ],
  [
    "more than 100 interim responses",
    "HTTP/1.1 100 Continue\r\n\r\n".repeat(101) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    /more than 100 interim \(1xx\) responses/,
  ],
];
for (const [name, raw, message] of refused) {
  Deno.test(`ResponseParser rejects ${name}`, () => {
    assert.throws(
      () => parse(raw),
      (err) => err instanceof HttpParseError && message.test(err.message),
    );
  });
}

Deno.test("ResponseParser reports interim responses as events", () => {
  const parser = new ResponseParser();
  const events = parser.push(
    enc("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
  );
  assert.deepEqual(events.map((e) => e.type), ["interim", "head", "end"]);
  assert.deepEqual(events[0], {
    type: "interim",
    version: "1.1",
    status: 103,
    reason: "Early Hints",
    headers: [["Link", "</a.css>"]],
  });
});

Deno.test("ResponseParser bounds empty lines before a status line by the header size", () => {
  const parser = new ResponseParser({ maxHeaderBytes: 1024 });
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) parser.push(enc("\r\n"));
  }, /response header over 1024 bytes/);
});

Deno.test("ResponseParser bounds the interim responses it follows (maxInterim)", () => {
  const parser = new ResponseParser({ maxInterim: 2 });
  assert.throws(
    () => parser.push(enc("HTTP/1.1 102 Processing\r\n\r\n".repeat(3))),
    /more than 2 interim \(1xx\) responses/,
  );
});

Deno.test("ResponseParser refuses a NUL in a folded header continuation too", () => {
  const parser = new ResponseParser();
  assert.throws(
    () => parser.push(new TextEncoder().encode("HTTP/1.1 200 \na:\n \0\n\n")),
    HttpParseError,
  );
});

Deno.test("ResponseParser: a chunk size line over 4096 bytes is refused whether it comes whole or in pieces", () => {
  const text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;" + "a=1".repeat(1500) +
    "\r\nabc\r\n0\r\n\r\n";
  const bytes = new TextEncoder().encode(text);
  assert.throws(() => new ResponseParser().push(bytes), /chunk size line over 4096 bytes/);
  const parser = new ResponseParser();
  assert.throws(() => {
    for (let i = 0; i < bytes.length; i += 7) parser.push(bytes.subarray(i, i + 7));
  }, /chunk size line over 4096 bytes/);
});
