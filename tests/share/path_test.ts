import assert from "node:assert/strict";
import { MAX_COMPONENTS, MAX_PATH_BYTES, splitPath } from "../../src/share/path.ts";
import { ShareError, type ShareErrorReason } from "../../src/share/share_error.ts";

const longPath = Array.from({ length: 6 }, () => "p".repeat(200)).join("/"); // 1205 bytes

const refused: [string, ShareErrorReason][] = [
  ["..", "bad-name"],
  ["../etc/passwd", "bad-name"],
  ["a/../../b", "bad-name"],
  ["/../x", "bad-name"],
  ["a\\b", "bad-name"],
  ["..\\..\\windows", "bad-name"],
  ["\0", "bad-name"],
  ["a\0.txt", "bad-name"],
  ["a\nb", "bad-name"],
  ["a\x7fb", "bad-name"],
  ["a\x9bb", "bad-name"],
  [".env", "hidden"],
  ["docs/.git/config", "hidden"],
  ["x".repeat(256), "too-long"],
  [("a/").repeat(MAX_COMPONENTS) + "a", "too-long"],
  [longPath, "too-long"],
  ["é".repeat(MAX_PATH_BYTES / 2 + 1), "too-long"], // counted in UTF-8 bytes
];
for (const [text, reason] of refused) {
  Deno.test(`splitPath() refuses ${JSON.stringify(text.slice(0, 40))} as ${reason}`, () => {
    assert.throws(
      () => splitPath(text),
      (err) => err instanceof ShareError && err.reason === reason,
    );
  });
}

const fine: [string, string[]][] = [
  ["notes.txt", ["notes.txt"]],
  ["/notes.txt", ["notes.txt"]],
  ["", []],
  [".", []],
  ["/", []],
  ["docs//./x", ["docs", "x"]],
  ["a b/c.txt", ["a b", "c.txt"]],
  ["你好.txt", ["你好.txt"]],
  ["a..b", ["a..b"]],
  // Percent signs are ordinary characters here: decoding is each protocol's business.
  ["%2e%2e/%2fx", ["%2e%2e", "%2fx"]],
  ["100%", ["100%"]],
];
for (const [text, components] of fine) {
  Deno.test(`splitPath() accepts ${JSON.stringify(text)}`, () => {
    assert.deepEqual(splitPath(text), components);
  });
}

Deno.test("splitPath() allows hidden names with showHidden, never ..", () => {
  assert.deepEqual(splitPath("docs/.env", { showHidden: true }), ["docs", ".env"]);
  assert.throws(
    () => splitPath("../x", { showHidden: true }),
    (err) => err instanceof ShareError && err.reason === "bad-name",
  );
});

Deno.test("splitPath() keeps today's messages", () => {
  const cases: [string, string][] = [
    ["a/../b", `".." is not allowed in paths`],
    ["a\\b", "backslashes are not allowed in paths"],
    ["a\0b", "control characters are not allowed in paths"],
    [".x", "hidden files are not shared"],
    ["x".repeat(256), "path component over 255 bytes"],
    [longPath, "path over 1024 bytes"],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => splitPath(text), { name: "ShareError", message });
  }
});
