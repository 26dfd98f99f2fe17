import assert from "node:assert/strict";
import {
  contentType,
  directoryPage,
  entityTag,
  escapeHtml,
  parseRange,
} from "../../src/files/http_core.ts";

const ranges: [string | null, number, ReturnType<typeof parseRange>][] = [
  [null, 100, undefined],
  ["bytes=0-9", 100, { start: 0, end: 9 }],
  ["bytes=90-", 100, { start: 90, end: 99 }],
  ["bytes=90-200", 100, { start: 90, end: 99 }],
  ["bytes=-10", 100, { start: 90, end: 99 }],
  ["bytes=-500", 100, { start: 0, end: 99 }],
  ["bytes=100-", 100, "unsatisfiable"],
  ["bytes=50-40", 100, "unsatisfiable"],
  ["bytes=-0", 100, "unsatisfiable"],
  ["bytes=0-0", 0, "unsatisfiable"],
  ["bytes=0-1,5-6", 100, undefined],
  ["items=0-1", 100, undefined],
  ["bytes=a-b", 100, undefined],
  ["bytes=-", 100, undefined],
];
for (const [header, size, expected] of ranges) {
  Deno.test(`parseRange(${JSON.stringify(header)}, ${size})`, () => {
    assert.deepEqual(parseRange(header, size), expected);
  });
}

Deno.test("contentType() knows common types and falls back to octet-stream", () => {
  assert.equal(contentType("a.TXT"), "text/plain; charset=utf-8");
  assert.equal(contentType("page.html"), "text/html; charset=utf-8");
  assert.equal(contentType("x.png"), "image/png");
  assert.equal(contentType("archive"), "application/octet-stream");
});

Deno.test("entityTag() changes with size or time", () => {
  const v = (size: number, mtime: number) => ({ dev: 1, ino: 2, size, mtime, ctime: 3 });
  assert.notEqual(entityTag(v(10, 1)), entityTag(v(10, 2)));
  assert.notEqual(entityTag(v(10, 1)), entityTag(v(11, 1)));
});

Deno.test("entityTag() changes with inode or ctime, and names content by its hash when given", () => {
  const version = { dev: 1, ino: 2, size: 10, mtime: 1, ctime: 3 };
  assert.notEqual(entityTag(version), entityTag({ ...version, ino: 9 }));
  assert.notEqual(entityTag(version), entityTag({ ...version, ctime: 4 }));
  assert.notEqual(entityTag(version), entityTag({ ...version, dev: 7 }));
  assert.match(entityTag(version), /^"a-[0-9a-f]{16}"$/);
  assert.equal(entityTag(version, "0123456789abcdef".repeat(4)), `"a-0123456789abcdef"`);
});

Deno.test("directoryPage() escapes names and percent-encodes links", () => {
  const page = directoryPage(["a&b"], [
    { type: "f", size: 5, mtime: 0, name: `<script>alert("x")</script>.txt` },
    { type: "d", size: 0, mtime: 0, name: "sp ace" },
  ]);
  assert.doesNotMatch(page, /<script>alert/);
  assert.match(page, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;\.txt/);
  assert.match(page, /href="sp%20ace\/"/);
  assert.match(page, /href="\/a%26b\/">a&#38;b<\/a>/);
  assert.match(page, /href="\.\.\/"/);
  assert.doesNotMatch(page, /type="file"/, "no upload form unless allowed");
  assert.match(directoryPage([], [], { allowUpload: true }), /type="file"/);
  assert.equal(escapeHtml(`'"&<>`), "&#39;&#34;&#38;&#60;&#62;");
});
