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

/** Options for {@linkcode directoryPage}. */
export interface DirectoryPageOptions {
  /** Show the upload form. @default {false} */
  allowUpload?: boolean;
}

/**
 * The HTML page for a directory: breadcrumbs, then a table of name (a
 * link), size and modification date. Every name is HTML-escaped and every
 * link percent-encoded.
 *
 * @param path the directory's components
 */
export function directoryPage(
  path: readonly string[],
  entries: readonly Entry[],
  options: DirectoryPageOptions = {},
): string {
  const { allowUpload = false } = options;
  const crumbs = [`<a href="/">files</a>`];
  path.forEach((component, i) => {
    const href = "/" + path.slice(0, i + 1).map(encodeURIComponent).join("/") + "/";
    crumbs.push(`<a href="${escapeHtml(href)}">${escapeHtml(component)}</a>`);
  });
  const rows = entries.map((entry) => {
    const slash = entry.type === "d" ? "/" : "";
    const href = encodeURIComponent(entry.name) + slash;
    const date = new Date(entry.mtime).toISOString().replace("T", " ").slice(0, 19);
    const size = entry.type === "d" ? "—" : formatSize(entry.size);
    return `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(entry.name)}${slash}</a></td>` +
      `<td class="n" title="${entry.size} bytes">${size}</td><td>${date}</td></tr>`;
  });
  if (path.length > 0) rows.unshift(`<tr><td><a href="../">../</a></td><td></td><td></td></tr>`);
  const title = "/" + path.join("/");
  const upload = allowUpload
    ? `<form id="up"><input type="file" id="file" multiple> <button>Upload</button> <span id="msg"></span></form>
<script>
document.getElementById("up").onsubmit = async (event) => {
  event.preventDefault();
  const msg = document.getElementById("msg");
  for (const file of document.getElementById("file").files) {
    const response = await fetch(encodeURIComponent(file.name), { method: "PUT", body: file });
    msg.textContent = file.name + ": " + (await response.text());
  }
  location.reload();
};
</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} — sockit</title>
<style>body{font:15px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td{padding:.2em 1.2em .2em 0}.n{text-align:right}a{text-decoration:none}</style></head>
<body><h1>${crumbs.join(" / ")}</h1>
<table><thead><tr><th align="left">Name</th><th>Size</th><th align="left">Modified (UTC)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
<p><a href="?json">JSON</a></p>
${upload}
</body></html>
`;
}
