/**
 * The pure parts of the HTTP face: `Range` header parsing, content types,
 * entity tags, the HTML directory page, and the status for each refusal of
 * the shared folder. No sockets, no file system.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { formatSize } from "../console/format.ts";
import type { Entry } from "../share/entry.ts";
import type { ShareErrorReason } from "../share/share_error.ts";
import type { FileVersion } from "../share/version.ts";
import { SHARE_ERROR_CODES } from "./protocol.ts";

/**
 * The HTTP status for each refusal of the shared folder. The file protocol's
 * `ERR` codes are HTTP status numbers by definition (docs/file-protocol.md),
 * so the HTTP face of the same service answers with the same table.
 */
export const SHARE_ERROR_STATUS: Readonly<Record<ShareErrorReason, number>> = SHARE_ERROR_CODES;

/** A satisfiable byte range, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header for a representation of `size` bytes.
 *
 * @returns a range; `"unsatisfiable"` (416) for a start past the end, an
 * empty suffix or a reversed range; undefined when the header is absent,
 * malformed or asks for several ranges (the whole file is then sent, as
 * RFC 9110 allows)
 * @example Ranges
 * ```ts
 * import { parseRange } from "./http_core.ts";
 * parseRange("bytes=0-99", 1000); // { start: 0, end: 99 }
 * parseRange("bytes=-100", 1000); // { start: 900, end: 999 }
 * ```
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === null) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = "", to = ""] = match;
  if (from === "" && to === "") return undefined;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Number(to);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

const TYPES: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  ts: "text/plain; charset=utf-8",
  json: "application/json",
  csv: "text/csv; charset=utf-8",
  xml: "application/xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
  wasm: "application/wasm",
};

/** The Content-Type for a file name (by extension; `application/octet-stream` otherwise). */
export function contentType(name: string): string {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  return TYPES[extension] ?? "application/octet-stream";
}

/**
 * A strong entity tag for a file version: its size, then 16 hex digits that
 * name the content, taken from its SHA-256 when given (for a version that is
 * not settled, see `share/version.ts`), else from a digest of the version
 * (device, inode, mtime, ctime), which changes whenever the content can have.
 *
 * @example Tags
 * ```ts
 * import { entityTag } from "./http_core.ts";
 * const version = { dev: 1, ino: 2, size: 14, mtime: 1_000, ctime: 2_000 };
 * entityTag(version); // "e-" and 16 hex digits, quoted
 * entityTag(version, "ab".repeat(32)); // "\"e-abababababababab\""
 * ```
 */
export function entityTag(version: FileVersion, sha256?: string): string {
  const name = sha256 ??
    createHash("sha256")
      .update(`${version.dev}:${version.ino}:${version.size}:${version.mtime}:${version.ctime}`)
      .digest("hex");
  return `"${version.size.toString(16)}-${name.slice(0, 16)}"`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A column of the directory page. */
export type ListingSort = "name" | "size" | "date";

/** How a directory page is ordered: by which column, which way. */
export interface ListingOrder {
  sort: ListingSort;
  order: "asc" | "desc";
}

const SORTS: readonly ListingSort[] = ["name", "size", "date"];

/**
 * The order a directory page asks for in its query: `sort=name|size|date`
 * and `order=asc|desc`. Anything else (absent, misspelt) means name,
 * ascending: a page is always shown, never refused for its query.
 *
 * @example Reading a query
 * ```ts
 * import { listingOrder } from "./http_core.ts";
 * listingOrder(new URLSearchParams("sort=size&order=desc")); // { sort: "size", order: "desc" }
 * listingOrder(new URLSearchParams("")); // { sort: "name", order: "asc" }
 * ```
 */
export function listingOrder(query: URLSearchParams): ListingOrder {
  const sort = SORTS.find((s) => s === query.get("sort")) ?? "name";
  return { sort, order: query.get("order") === "desc" ? "desc" : "asc" };
}

// Locale fixed to "en" so the order is the same on every server.
const COLLATOR = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/**
 * Natural, case-insensitive order of names: runs of digits compare by
 * value (`file2` before `file10`), case and accents are ignored (`Apple`
 * next to `apple`, `éclair` next to `eclair`). Names that differ only
 * there are then ordered by their code units, so two different names never
 * compare equal and the order is total.
 *
 * @returns negative, zero or positive, as `Array.prototype.sort` expects
 * @example Sorting names
 * ```ts
 * import { naturalCompare } from "./http_core.ts";
 * ["file10", "File2", "file1"].sort(naturalCompare); // ["file1", "File2", "file10"]
 * ```
 */
export function naturalCompare(a: string, b: string): number {
  return COLLATOR.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Entries as a directory page shows them: folders first, then files; each
 * group by the column asked for, ties by name ({@linkcode naturalCompare}).
 * Descending reverses each group, folders staying first.
 *
 * @returns a new array; `entries` is left as it is
 */
export function sortEntries(
  entries: readonly Entry[],
  order: ListingOrder = { sort: "name", order: "asc" },
): Entry[] {
  const sign = order.order === "desc" ? -1 : 1;
  const column = (a: Entry, b: Entry): number =>
    order.sort === "size" ? a.size - b.size : order.sort === "date" ? a.mtime - b.mtime : 0;
  return [...entries].sort((a, b) =>
    (a.type === b.type ? 0 : a.type === "d" ? -1 : 1) ||
    sign * (column(a, b) || naturalCompare(a.name, b.name))
  );
}

/** Options for {@linkcode directoryPage} and {@linkcode directoryPolicy}. */
export interface DirectoryPageOptions {
  /** Show the upload form. @default {false} */
  allowUpload?: boolean;
  /** The order of the rows (see {@linkcode listingOrder}). @default {{ sort: "name", order: "asc" }} */
  order?: ListingOrder;
}

// The page's only style and scripts. They are constants so that the page's
// Content-Security-Policy can name each by its hash (directoryPolicy).
const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em;font-weight:600}table{border-collapse:collapse;min-width:32em}
th,td{padding:.25em 1.5em .25em 0}th{text-align:left;border-bottom:1px solid #ccc}
th a{color:inherit}.n{text-align:right}a{text-decoration:none;color:#0645ad}
a:hover{text-decoration:underline}tbody tr:hover{background:#f3f6fa}
td time{font-variant-numeric:tabular-nums;color:#555}
#filter{font:inherit;padding:.2em .4em;margin-bottom:.8em;width:20em}.off{display:none}`;

const FILTER_SCRIPT = `
const box = document.getElementById("filter");
const rows = document.querySelectorAll("tbody tr:not(.up)");
const filter = () => {
  const text = box.value.toLowerCase();
  for (const row of rows) {
    row.classList.toggle("off", !row.cells[0].textContent.toLowerCase().includes(text));
  }
};
box.addEventListener("input", filter);
box.classList.remove("off");
filter();
`;

const UPLOAD_SCRIPT = `
document.getElementById("up").onsubmit = async (event) => {
  event.preventDefault();
  const msg = document.getElementById("msg");
  for (const file of document.getElementById("file").files) {
    const response = await fetch(encodeURIComponent(file.name), { method: "PUT", body: file });
    msg.textContent = file.name + ": " + (await response.text());
  }
  location.reload();
};
`;

function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/**
 * The Content-Security-Policy of a directory page: nothing runs but the
 * page's own style and scripts (named by hash), nothing loads from
 * elsewhere, and requests go only to the share's own origin.
 *
 * @example The policy
 * ```ts
 * import { directoryPolicy } from "./http_core.ts";
 * directoryPolicy(); // "default-src 'none'; style-src 'sha256-…'; script-src 'sha256-…'; …"
 * ```
 */
export function directoryPolicy(options: DirectoryPageOptions = {}): string {
  const { allowUpload = false } = options;
  const scripts = [FILTER_SCRIPT, ...(allowUpload ? [UPLOAD_SCRIPT] : [])];
  return [
    "default-src 'none'",
    `style-src ${sha256Source(STYLE)}`,
    `script-src ${scripts.map(sha256Source).join(" ")}`,
    // Requests to the share itself, as a link could make (the upload script's PUTs).
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const COLUMNS: readonly { sort: ListingSort; label: string; numeric: boolean }[] = [
  { sort: "name", label: "Name", numeric: false },
  { sort: "size", label: "Size", numeric: true },
  { sort: "date", label: "Modified (UTC)", numeric: false },
];

/**
 * The HTML page for a directory: breadcrumbs, a filter box, then a table of
 * name (a link), size and modification date, folders first (see
 * {@linkcode sortEntries}). Each column header is a plain link
 * (`?sort=size&order=desc`) that the server orders by, so the page works
 * without JavaScript; only the filter box needs its script, and is not
 * shown without it. Every name is HTML-escaped and every link
 * percent-encoded. Serve it with {@linkcode directoryPolicy}.
 *
 * @param path the directory's components
 */
export function directoryPage(
  path: readonly string[],
  entries: readonly Entry[],
  options: DirectoryPageOptions = {},
): string {
  const { allowUpload = false, order = { sort: "name", order: "asc" } } = options;
  const crumbs = [`<a href="/">files</a>`];
  path.forEach((component, i) => {
    const href = "/" + path.slice(0, i + 1).map(encodeURIComponent).join("/") + "/";
    crumbs.push(`<a href="${escapeHtml(href)}">${escapeHtml(component)}</a>`);
  });
  const headers = COLUMNS.map(({ sort, label, numeric }) => {
    const current = sort === order.sort;
    // The sorted column links to its other direction, the others to ascending.
    const next = current && order.order === "asc" ? "desc" : "asc";
    const href = `?sort=${sort}&order=${next}`;
    const aria = current
      ? ` aria-sort="${order.order === "asc" ? "ascending" : "descending"}"`
      : "";
    const arrow = current ? (order.order === "asc" ? " ▲" : " ▼") : "";
    const align = numeric ? ` class="n"` : "";
    return `<th${align}${aria}><a href="${escapeHtml(href)}">${label}</a>${arrow}</th>`;
  });
  const rows = sortEntries(entries, order).map((entry) => {
    const slash = entry.type === "d" ? "/" : "";
    const href = encodeURIComponent(entry.name) + slash;
    const iso = new Date(entry.mtime).toISOString();
    const date = iso.replace("T", " ").slice(0, 19);
    const size = entry.type === "d" ? "—" : formatSize(entry.size);
    return `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(entry.name)}${slash}</a></td>` +
      `<td class="n" title="${entry.size} bytes">${size}</td>` +
      `<td><time datetime="${iso}">${date}</time></td></tr>`;
  });
  if (path.length > 0) {
    rows.unshift(`<tr class="up"><td><a href="../">../</a></td><td></td><td></td></tr>`);
  }
  const title = "/" + path.join("/");
  const upload = allowUpload
    ? `<form id="up"><input type="file" id="file" multiple> <button>Upload</button> <span id="msg"></span></form>
<script>${UPLOAD_SCRIPT}</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} — sockit</title>
<style>${STYLE}</style></head>
<body><h1>${crumbs.join(" / ")}</h1>
<input type="search" id="filter" class="off" placeholder="Filter names" aria-label="Filter names">
<table><thead><tr>${headers.join("")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
<p><a href="?tar" download>Download this folder (.tar)</a> · <a href="?json">JSON</a></p>
<script>${FILTER_SCRIPT}</script>
${upload}
</body></html>
`;
}
