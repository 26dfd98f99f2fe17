import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Entry } from "../../src/share/entry.ts";
import {
  contentType,
  directoryPage,
  directoryPolicy,
  entityTag,
  escapeHtml,
  listingOrder,
  naturalCompare,
  parseRange,
  sortEntries,
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

Deno.test("naturalCompare() orders numbers by value and ignores case, ties broken by the exact name", () => {
  const names = [
    "file10",
    "Zeta",
    "file2",
    "apple",
    "b",
    "Apple",
    "file1",
    "banana",
    "éclair",
    "ecl",
  ];
  assert.deepEqual(names.sort(naturalCompare), [
    "Apple",
    "apple",
    "b",
    "banana",
    "ecl",
    "éclair",
    "file1",
    "file2",
    "file10",
    "Zeta",
  ]);
  assert.ok(naturalCompare("v9.txt", "v10.txt") < 0);
  assert.ok(naturalCompare("x99999999999999999999", "x100000000000000000000") < 0);
  assert.equal(naturalCompare("same", "same"), 0);
  assert.notEqual(naturalCompare("file02", "file2"), 0, "different names never compare equal");
});

const MIXED: Entry[] = [
  { type: "f", size: 300, mtime: Date.UTC(2026, 0, 3), name: "file10.txt" },
  { type: "d", size: 0, mtime: Date.UTC(2026, 0, 1), name: "photos" },
  { type: "f", size: 20, mtime: Date.UTC(2026, 0, 5), name: "file2.txt" },
  { type: "f", size: 4000, mtime: Date.UTC(2026, 0, 2), name: "Apple.txt" },
  { type: "d", size: 0, mtime: Date.UTC(2026, 0, 4), name: "Docs" },
  { type: "f", size: 20, mtime: Date.UTC(2026, 0, 1), name: "apple.txt" },
  { type: "d", size: 0, mtime: Date.UTC(2026, 0, 2), name: "archive10" },
  { type: "d", size: 0, mtime: Date.UTC(2026, 0, 3), name: "archive9" },
];

const orders: [string, string[]][] = [
  ["", [
    "archive9",
    "archive10",
    "Docs",
    "photos",
    "Apple.txt",
    "apple.txt",
    "file2.txt",
    "file10.txt",
  ]],
  ["sort=name&order=desc", [
    "photos",
    "Docs",
    "archive10",
    "archive9",
    "file10.txt",
    "file2.txt",
    "apple.txt",
    "Apple.txt",
  ]],
  ["sort=size", [
    "archive9",
    "archive10",
    "Docs",
    "photos",
    "apple.txt",
    "file2.txt",
    "file10.txt",
    "Apple.txt",
  ]],
  ["sort=size&order=desc", [
    "photos",
    "Docs",
    "archive10",
    "archive9",
    "Apple.txt",
    "file10.txt",
    "file2.txt",
    "apple.txt",
  ]],
  ["sort=date", [
    "photos",
    "archive10",
    "archive9",
    "Docs",
    "apple.txt",
    "Apple.txt",
    "file10.txt",
    "file2.txt",
  ]],
  ["sort=date&order=desc", [
    "Docs",
    "archive9",
    "archive10",
    "photos",
    "file2.txt",
    "file10.txt",
    "Apple.txt",
    "apple.txt",
  ]],
  ["sort=bogus&order=sideways", [
    "archive9",
    "archive10",
    "Docs",
    "photos",
    "Apple.txt",
    "apple.txt",
    "file2.txt",
    "file10.txt",
  ]],
];
for (const [query, expected] of orders) {
  Deno.test(`sortEntries() with "?${query}" puts folders first, then by the column`, () => {
    const sorted = sortEntries(MIXED, listingOrder(new URLSearchParams(query)));
    assert.deepEqual(sorted.map((e) => e.name), expected);
  });
}

Deno.test("listingOrder() reads sort and order, and falls back to name ascending", () => {
  const read = (query: string) => listingOrder(new URLSearchParams(query));
  assert.deepEqual(read(""), { sort: "name", order: "asc" });
  assert.deepEqual(read("sort=size&order=desc"), { sort: "size", order: "desc" });
  assert.deepEqual(read("sort=date"), { sort: "date", order: "asc" });
  assert.deepEqual(read("order=desc"), { sort: "name", order: "desc" });
  assert.deepEqual(read("sort=SIZE&order=up"), { sort: "name", order: "asc" });
});

/** The entry names of a page, in the order its rows show them. */
function rowNames(page: string): string[] {
  return [...page.matchAll(/<tr[^>]*><td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1] ?? "");
}

Deno.test("directoryPage() lists folders first in natural order, by the order asked for", () => {
  assert.deepEqual(rowNames(directoryPage([], MIXED)), [
    "archive9/",
    "archive10/",
    "Docs/",
    "photos/",
    "Apple.txt",
    "apple.txt",
    "file2.txt",
    "file10.txt",
  ]);
  const bySize = directoryPage(["sub"], MIXED, { order: { sort: "size", order: "desc" } });
  assert.deepEqual(rowNames(bySize).slice(0, 1), ["../"], "the parent link stays on top");
  assert.deepEqual(rowNames(bySize).slice(5), [
    "Apple.txt",
    "file10.txt",
    "file2.txt",
    "apple.txt",
  ]);
});

Deno.test("directoryPage() sorts through plain links: each column header is a ?sort=…&order=… link", () => {
  const page = directoryPage([], MIXED);
  // The current column links to the other direction; the others to ascending.
  assert.match(
    page,
    /<th[^>]*aria-sort="ascending"[^>]*><a href="\?sort=name&#38;order=desc">Name/,
  );
  assert.match(page, /<a href="\?sort=size&#38;order=asc">Size<\/a>/);
  assert.match(page, /<a href="\?sort=date&#38;order=asc">Modified/);
  const bySize = directoryPage([], MIXED, { order: { sort: "size", order: "desc" } });
  assert.match(
    bySize,
    /<th[^>]*aria-sort="descending"[^>]*><a href="\?sort=size&#38;order=asc">Size/,
  );
  assert.match(bySize, /<a href="\?sort=name&#38;order=asc">Name<\/a>/);
  assert.equal(page.match(/aria-sort=/g)?.length, 1, "one column is marked as sorted");
});

Deno.test("directoryPage() shows human sizes with exact bytes aside, and UTC dates", () => {
  const page = directoryPage([], MIXED);
  assert.match(page, /title="4000 bytes">4\.0 kB</);
  assert.match(page, /title="20 bytes">20 B</);
  assert.match(page, /<time datetime="2026-01-02T00:00:00\.000Z">2026-01-02 00:00:00<\/time>/);
});

Deno.test("directoryPage() works without script: links, order and sort links are in the HTML", () => {
  const page = directoryPage(["docs"], MIXED);
  const withoutScripts = page.replace(/<script>[\s\S]*?<\/script>/g, "");
  assert.deepEqual(rowNames(withoutScripts).slice(0, 3), ["../", "archive9/", "archive10/"]);
  assert.match(withoutScripts, /href="archive9\/"/);
  assert.match(withoutScripts, /href="\?sort=size&#38;order=asc"/);
  // The filter box needs the script, so it is not shown until the script shows it.
  assert.match(withoutScripts, /<input type="search" id="filter" class="off"/);
  assert.match(withoutScripts, /\.off\{display:none\}/);
  assert.doesNotMatch(withoutScripts, /\son[a-z]+=/, "no inline event handlers");
});

/** The hashes a page's inline scripts and styles need in a CSP. */
function inlineHashes(page: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  return [...page.matchAll(pattern)].map((m) =>
    `'sha256-${createHash("sha256").update(m[1] ?? "").digest("base64")}'`
  );
}

Deno.test("directoryPolicy() allows exactly the page's inline script and style, nothing else", () => {
  for (const allowUpload of [false, true]) {
    const page = directoryPage([], MIXED, { allowUpload });
    const policy = directoryPolicy({ allowUpload });
    const directives = new Map(
      policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name = "", ...v]) => [name, v]),
    );
    assert.deepEqual(directives.get("default-src"), ["'none'"]);
    assert.deepEqual(directives.get("script-src")?.sort(), inlineHashes(page, "script").sort());
    assert.deepEqual(directives.get("style-src"), inlineHashes(page, "style"));
    assert.equal(inlineHashes(page, "script").length, allowUpload ? 2 : 1);
    assert.deepEqual(directives.get("connect-src"), ["'self'"]);
    assert.deepEqual(directives.get("base-uri"), ["'none'"]);
  }
});

Deno.test("directoryPage() escapes a name that tries to open a tag", () => {
  const page = directoryPage([], [{
    type: "f",
    size: 1,
    mtime: 0,
    name: `"><img src=x onerror=alert(1)>`,
  }]);
  assert.doesNotMatch(page, /<img/);
  assert.match(page, />&#34;&#62;&#60;img src=x onerror=alert\(1\)&#62;<\/a>/);
});
