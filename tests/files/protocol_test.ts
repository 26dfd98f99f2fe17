import assert from "node:assert/strict";
import {
  decodePath,
  encodePath,
  formatEntry,
  formatError,
  parseEntry,
  parsePath,
  parseReply,
  parseRequest,
  ProtocolError,
  protocolErrorOf,
} from "../../src/files/protocol.ts";
import { ShareError, type ShareErrorReason } from "../../src/share/share_error.ts";

const longPath = Array.from({ length: 6 }, () => "p".repeat(200)).join("/"); // 1205 bytes > 1024

const hostile: [string, number][] = [
  ["..", 403],
  ["../etc/passwd", 403],
  ["../../etc/passwd", 403],
  ["a/../../b", 403],
  ["%2e%2e/secret", 403],
  ["%2E%2E%2Fsecret", 403],
  ["a%2f..%2f..%2fb", 403],
  ["..%5c..%5cwindows", 403],
  ["a\\b", 403],
  ["%00", 403],
  ["a%00.txt", 403],
  ["a%0ab", 403],
  [".env", 403],
  ["docs/.git/config", 403],
  ["%2eprofile", 403],
  ["%zz", 400],
  ["%", 400],
  ["%c3%28", 400],
  ["x".repeat(256), 400],
  [("a/").repeat(65) + "a", 400],
  [longPath, 400],
];
for (const [path, code] of hostile) {
  Deno.test(`parsePath() refuses "${path.slice(0, 40)}" with ${code}`, () => {
    assert.throws(
      () => parsePath(path),
      (err) => err instanceof ProtocolError && err.code === code,
    );
  });
}

const fine: [string, string[]][] = [
  ["notes.txt", ["notes.txt"]],
  ["/notes.txt", ["notes.txt"]],
  ["", []],
  [".", []],
  ["/", []],
  ["docs/a%20b.txt", ["docs", "a b.txt"]],
  ["docs//./x", ["docs", "x"]],
  ["%E4%BD%A0%E5%A5%BD.txt", ["你好.txt"]],
  ["a..b", ["a..b"]],
];
for (const [path, components] of fine) {
  Deno.test(`parsePath() accepts "${path}"`, () => {
    assert.deepEqual(parsePath(path), components);
  });
}

Deno.test("parsePath() allows hidden names with showHidden", () => {
  assert.deepEqual(parsePath(".env", { showHidden: true }), [".env"]);
  assert.throws(() => parsePath("../x", { showHidden: true }), ProtocolError);
});

Deno.test("encodePath() round-trips through parsePath()", () => {
  for (const components of [["a b", "c%d"], ["你好"], ["x?y#z"]]) {
    assert.deepEqual(parsePath(encodePath(components)), components);
  }
});

Deno.test("parseRequest() reads every verb", () => {
  assert.deepEqual(parseRequest("HELLO 1"), { verb: "HELLO", version: 1 });
  assert.deepEqual(parseRequest("GET notes.txt"), { verb: "GET", path: ["notes.txt"], offset: 0 });
  assert.deepEqual(parseRequest("get a 10"), { verb: "GET", path: ["a"], offset: 10 });
  assert.deepEqual(parseRequest("LIST"), { verb: "LIST", path: [] });
  assert.deepEqual(parseRequest("STAT docs"), { verb: "STAT", path: ["docs"] });
  assert.deepEqual(parseRequest(`PUT up.txt 3 ${"A".repeat(64)}`), {
    verb: "PUT",
    path: ["up.txt"],
    size: 3,
    sha256: "a".repeat(64),
  });
  assert.deepEqual(parseRequest("QUIT"), { verb: "QUIT" });
});

const badRequests: [string, number][] = [
  ["", 400],
  ["FETCH x", 400],
  ["GET", 400],
  ["GET a b c", 400],
  ["GET a -1", 400],
  ["GET a 01", 400],
  ["GET a 1e3", 400],
  ["GET a 99999999999999999", 400],
  ["PUT a 3 xyz", 400],
  ["PUT a 3", 400],
  ["HELLO 0", 505],
  ["HELLO x", 400],
  ["QUIT now", 400],
  ["GET ../x", 403],
];
for (const [line, code] of badRequests) {
  Deno.test(`parseRequest("${line}") is ERR ${code}`, () => {
    assert.throws(
      () => parseRequest(line),
      (err) => err instanceof ProtocolError && err.code === code,
    );
  });
}

Deno.test("parseEntry() refuses names that could leave the destination", () => {
  for (const name of ["..", ".", "", "a%2Fb", "%2Fetc", "a%5Cb", "%00", "a%00b"]) {
    assert.throws(() => parseEntry(`f 1 0 ${name}`), ProtocolError, name);
  }
  assert.throws(() => parseEntry("x 1 0 a"), ProtocolError);
  assert.throws(() => parseEntry("f -1 0 a"), ProtocolError);
  assert.equal(parseEntry("f 1 0 bad%1B%5B2J").name, "bad\x1b[2J", "kept; escaped when printed");
  const entry = { type: "f" as const, size: 3, mtime: 5, name: "a b%.txt" };
  assert.deepEqual(parseEntry(formatEntry(entry)), entry);
});

Deno.test("parseReply() reads OK and ERR lines and refuses anything else", () => {
  assert.deepEqual(parseReply("OK STAT f 1 2"), {
    ok: true,
    verb: "STAT",
    fields: ["f", "1", "2"],
  });
  assert.deepEqual(parseReply("ERR 404 no such file"), {
    ok: false,
    code: 404,
    reason: "no such file",
  });
  assert.throws(() => parseReply("HTTP/1.1 200 OK"), ProtocolError);
});

Deno.test("decodePath() only decodes: bad encoding is a SyntaxError, rules are splitPath()'s", () => {
  assert.equal(decodePath("a%2f..%2fb"), "a/../b");
  assert.equal(decodePath("%2eenv"), ".env");
  assert.throws(() => decodePath("%c3%28"), {
    name: "SyntaxError",
    message: `bad percent-encoding in "%c3%28"`,
  });
});

Deno.test("protocolErrorOf() answers each refusal of the shared folder with its ERR code", () => {
  const cases: [ShareErrorReason, number][] = [
    ["too-long", 400],
    ["bad-name", 403],
    ["hidden", 403],
    ["outside", 403],
    ["not-found", 404],
    ["exists", 409],
    ["too-large", 413],
    ["mismatch", 422],
    ["cannot-write", 500],
  ];
  for (const [reason, code] of cases) {
    const err = protocolErrorOf(new ShareError(reason, "why"));
    assert.equal(err.code, code, reason);
    assert.equal(formatError(err.code, err.message), `ERR ${code} why`);
  }
});

Deno.test("parseReply() takes any reason text, line separators (U+2028) included", () => {
  assert.deepEqual(parseReply("ERR 404 no\u2028such\u2029file"), {
    ok: false,
    code: 404,
    reason: "no\u2028such\u2029file",
  });
});
