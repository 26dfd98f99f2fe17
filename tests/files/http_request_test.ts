import assert from "node:assert/strict";
import {
  bodyFraming,
  checkIncompleteHead,
  ChunkedDecoder,
  emptyLinesLength,
  expectsContinue,
  formatResponseHead,
  headLength,
  HttpRequestError,
  keepsAlive,
  MAX_FIELDS,
  parseRequestHead,
  type RequestHead,
  targetPath,
} from "../../src/files/http_request.ts";
import { concatBytes } from "../../src/net/buffer.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const head = (text: string) => parseRequestHead(bytes(text));

function refuses(status: number, fn: () => unknown, what?: string) {
  assert.throws(fn, (err) => err instanceof HttpRequestError && err.status === status, what);
}

Deno.test("headLength() finds the empty line after CRLF or LF lines, resuming where it stopped", () => {
  const text = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
  assert.equal(headLength(bytes(text)), text.indexOf("BODY"));
  assert.equal(headLength(bytes("GET / HTTP/1.1\nHost: a\n\nBODY")), 24);
  assert.equal(headLength(bytes("GET / HTTP/1.1\r\nHost: a\r\n")), -1);
  // A byte at a time: each call scans only from where the last one stopped.
  let found = -1;
  for (let n = 1; n <= text.length && found < 0; n++) {
    found = headLength(bytes(text.slice(0, n)), n - 1);
  }
  assert.equal(found, text.indexOf("BODY"));
});

Deno.test("emptyLinesLength() skips CRLF and LF before a request line, waits on a lone CR", () => {
  assert.equal(emptyLinesLength(bytes("\r\n\nGET")), 3);
  assert.equal(emptyLinesLength(bytes("GET")), 0);
  assert.equal(emptyLinesLength(bytes("\r\n\r")), -1);
  assert.equal(emptyLinesLength(bytes("\rX")), 0, "a bare CR is the parser's to refuse");
});

Deno.test("parseRequestHead() reads method, target, version and fields", () => {
  const parsed = head("PUT /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nX-Long:  v  1 \t\r\nEmpty:\r\n\r\n");
  assert.deepEqual(parsed, {
    method: "PUT",
    target: "/a%20b?x=1",
    minor: 1,
    fields: [["host", "h"], ["x-long", "v  1"], ["empty", ""]],
  });
  assert.equal(head("GET / HTTP/1.0\n\n").minor, 0, "no Host needed in HTTP/1.0; LF endings");
  assert.equal(head("GET / HTTP/1.2\r\nHost: h\r\n\r\n").minor, 1, "a later 1.x is served as 1.1");
  assert.deepEqual(head("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xe9\r\n\r\n").fields[1], [
    "x",
    "caf\xe9",
  ]);
});

const invalid: [string, number, string][] = [
  ["GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "a bare CR between fields"],
  ["GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "a bare CR in a value"],
  ["GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "obs-fold"],
  ["GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "space before the colon"],
  ["GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400, "a control character in a value"],
  ["GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400, "a field without a colon"],
  ["GET / HTTP/1.1\r\n\r\n", 400, "no Host in HTTP/1.1"],
  ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts"],
  ["GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "two spaces"],
  ["GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "a trailing space"],
  ["GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "a space in the target"],
  ["GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "a raw non-ASCII target"],
  ["G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "a method that is not a token"],
  ["GET / HTTP/11\r\nHost: h\r\n\r\n", 400, "a malformed version"],
  ["GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/2"],
  [
    "GET / HTTP/1.1\r\nHost: h\r\n" + "X: y\r\n".repeat(MAX_FIELDS) + "\r\n",
    431,
    "too many fields",
  ],
  [`GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: h\r\n\r\n`, 414, "a long request line"],
];
for (const [text, status, what] of invalid) {
  Deno.test(`parseRequestHead() refuses ${what} with ${status}`, () => {
    refuses(status, () => head(text), what);
  });
}

Deno.test("checkIncompleteHead() refuses a request line or head that grows past its limit", () => {
  checkIncompleteHead(bytes("GET /" + "a".repeat(8000)));
  refuses(414, () => checkIncompleteHead(bytes("GET /" + "a".repeat(9000))));
  refuses(431, () => checkIncompleteHead(bytes("GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(3000))));
});

function framing(fields: [string, string][], minor: 0 | 1 = 1) {
  const parsed: RequestHead = { method: "PUT", target: "/", minor, fields };
  return bodyFraming(parsed);
}

Deno.test("bodyFraming() reads Content-Length and chunked, and refuses what smuggling needs", () => {
  assert.deepEqual(framing([]), { kind: "none" });
  assert.deepEqual(framing([["content-length", "0"]]), { kind: "none" });
  assert.deepEqual(framing([["content-length", "12"]]), { kind: "length", length: 12 });
  assert.deepEqual(framing([["content-length", "12, 12"]]), { kind: "length", length: 12 });
  assert.deepEqual(framing([["transfer-encoding", "Chunked"]]), { kind: "chunked" });
  refuses(400, () => framing([["content-length", "12"], ["content-length", "13"]]));
  refuses(400, () => framing([["content-length", "-1"]]));
  refuses(400, () => framing([["content-length", "1e3"]]));
  refuses(400, () => framing([["content-length", "9".repeat(16)]]));
  refuses(400, () => framing([["transfer-encoding", "chunked"], ["content-length", "3"]]));
  refuses(400, () => framing([["transfer-encoding", "chunked"]], 0));
  refuses(501, () => framing([["transfer-encoding", "gzip, chunked"]]));
  refuses(501, () => framing([["transfer-encoding", "chunked, gzip"]]));
});

Deno.test("keepsAlive(), expectsContinue() and targetPath()", () => {
  const h = (fields: [string, string][], minor: 0 | 1 = 1) => ({
    method: "GET",
    target: "/",
    minor,
    fields,
  });
  assert.equal(keepsAlive(h([])), true);
  assert.equal(keepsAlive(h([["connection", "keep-alive, Close"]])), false);
  assert.equal(keepsAlive(h([], 0)), false);
  assert.equal(expectsContinue(h([["expect", "100-Continue"]])), true);
  assert.equal(expectsContinue(h([["expect", "100-continue"]], 0)), false);
  assert.equal(targetPath("/a?b"), "/a?b");
  assert.equal(targetPath("//evil.example/x"), "//evil.example/x", "a path, never a host");
  assert.equal(targetPath("http://evil.example/x?y"), "/x?y");
  refuses(400, () => targetPath("*"));
  refuses(400, () => targetPath("evil.example:443"));
});

/** Decodes `text` fed in pieces of `size` bytes; the data and what is left after the body. */
function decodeIn(text: string, size: number) {
  const decoder = new ChunkedDecoder();
  const data: Uint8Array[] = [];
  const input = bytes(text);
  let rest = "";
  for (let i = 0; i < input.length; i += size) {
    const piece = input.subarray(i, i + size);
    if (decoder.done) {
      rest += String.fromCharCode(...piece);
      continue;
    }
    const result = decoder.decode(piece);
    data.push(...result.data.map((d) => d.slice()));
    rest += String.fromCharCode(...piece.subarray(result.used));
  }
  return { text: String.fromCharCode(...concatBytes(data)), done: decoder.done, rest };
}

Deno.test("ChunkedDecoder decodes in any slicing, ignores extensions and trailers, stops at the end", () => {
  const body =
    "5\r\nhello\r\n7;name=value\r\n, world\r\nA\n0123456789\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (const size of [1, 2, 3, 7, 1000]) {
    assert.deepEqual(decodeIn(body, size), {
      text: "hello, world0123456789",
      done: true,
      rest: "NEXT",
    }, `pieces of ${size}`);
  }
  assert.equal(decodeIn("3\r\nabc\r\n", 1).done, false, "not done before the last chunk");
});

const badChunks: [string, string][] = [
  ["g\r\n", "a size that is not hex"],
  ["\r\n", "an empty size"],
  ["5 \r\nhello\r\n0\r\n\r\n", "whitespace after the size"],
  ["5;\r\nhello\r\n0\r\n\r\n", "an empty extension"],
  ["5\rX\nhello\r\n", "a bare CR"],
  ["3\r\nabcdef\r\n", "data longer than its size"],
  ["1".repeat(16) + "\r\n", "a size of 16 digits"],
  ["fffffffffffffff\r\n", "a size past the safe integers"],
  ["0\r\nBad Trailer\r\n\r\n", "a malformed trailer"],
  ["1;" + "x".repeat(5000) + "\r\n", "a framing line over 4096 bytes"],
];
for (const [text, what] of badChunks) {
  Deno.test(`ChunkedDecoder refuses ${what}`, () => {
    refuses(400, () => new ChunkedDecoder().decode(bytes(text)), what);
  });
}

Deno.test("formatResponseHead() writes the status line with its reason and the fields", () => {
  assert.equal(
    formatResponseHead(503, [["connection", "close"]]),
    "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n",
  );
  assert.equal(formatResponseHead(299, []), "HTTP/1.1 299 Unknown\r\n\r\n");
});
