/**
 * The file service's face for browsers and curl (`files serve --http`):
 * directory pages, a JSON listing (`?json`), downloads with Content-Type,
 * Content-Length, Last-Modified, ETag, HEAD and single byte ranges (206,
 * 416), and, with `--allow-upload`, PUT uploads and a form. The same
 * sandbox rules as the file protocol apply: paths go through the same
 * percent-decoding, path rules and resolution; refusals get the HTTP
 * statuses of `SHARE_ERROR_STATUS`. The handler, {@linkcode handleRequest},
 * needs no socket; {@linkcode serveHttp} puts it on sockit's own HTTP/1.1
 * server (`http_server.ts`).
 *
 * Requires `--allow-net=HOST`, `--allow-read=DIR` (uploads: `--allow-write=DIR`).
 *
 * @module
 */

import { formatSize } from "../console/format.ts";
import { describeError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { formatHostPort } from "../inet/address.ts";
import type { HostAddress } from "../inet/address.ts";
import { type BoundListener, listen, type ListenTls } from "../net/endpoint.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { splitPath } from "../share/path.ts";
import { escapeText } from "../text/escape.ts";
import type { Resolved, Sandbox } from "../share/sandbox.ts";
import { isSettled, versionOf } from "../share/version.ts";
import { fileChunks } from "./file_chunks.ts";
import { tarFolder } from "./tar_folder.ts";
import { FileChangedError, HashCache } from "./hash_cache.ts";
import type { ServerStats } from "../net/server.ts";
import { serveHttpConnections } from "./http_server.ts";
import { ShareError } from "../share/share_error.ts";
import { stageUpload, type StoredUpload } from "../share/upload.ts";
import {
  contentType,
  directoryPage,
  directoryPolicy,
  entityTag,
  listingOrder,
  parseRange,
  SHARE_ERROR_STATUS,
} from "./http_core.ts";
import { decodePath } from "./protocol.ts";

/** Options for {@linkcode serveHttp}. */
export interface ServeHttpOptions {
  allowUpload?: boolean;
  /** @default {1073741824} */
  maxUpload?: number;
  /** Connections at once; more are answered 503. @default {1000} */
  maxConns?: number;
  /** Connections from one client address at once; more are answered 503. @default {64} */
  maxPerAddress?: number;
  /** Close a connection silent this long. @default {60000} */
  idleMs?: number;
  /** How long a request head may take once begun (slowloris). @default {10000} */
  headerMs?: number;
  label?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The `--allow`/`--deny` gate. */
  access?: AccessGate | undefined;
  /** HTTPS with these credentials. */
  tls?: ListenTls | undefined;
}

/** A running HTTP face. */
export interface HttpFace {
  address: HostAddress;
  /** Settles when the face stops, with its totals (they count in the server's summary). */
  finished: Promise<ServerStats>;
}

/**
 * Starts the HTTP face on its own HTTP/1.1 server (`http_server.ts`, which
 * bounds header time and connections as `Deno.serve` cannot) and prints its
 * `listening on` line.
 *
 * @throws {CliError} exit 1 when the address cannot be listened on
 */
export function serveHttp(
  address: HostAddress,
  sandbox: Sandbox,
  out: Output,
  options: ServeHttpOptions = {},
): HttpFace {
  const { allowUpload = false, maxUpload = 1024 ** 3, label, signal, tls, ...limits } = options;
  let bound: BoundListener;
  try {
    bound = listen(address, out, { ...(label ? { label } : {}), tls });
  } catch (err) {
    const where = formatHostPort(address.hostname, address.port);
    throw describeError(err, { action: "listen", address: where });
  }
  const hashes = new HashCache();
  const tag = label ? ` (${label})` : "";
  const finished = serveHttpConnections(
    bound,
    out,
    (request, peer) =>
      handleRequest(request, sandbox, {
        allowUpload,
        maxUpload,
        hashes,
        onError(err) {
          out.warn(
            `${peer}: ${escapeText(err instanceof Error ? err.message : String(err))}${tag}`,
          );
        },
        onUpload(stored) {
          const size = formatSize(stored.size);
          out.status(`uploaded ${escapeText(stored.rel)} (${size}) from ${peer}${tag}`, {
            event: "uploaded",
            path: stored.rel,
            size: stored.size,
            ...(stored.sha256 ? { sha256: stored.sha256 } : {}),
            from: peer,
            ...(label ? { service: label } : {}),
          });
        },
      }),
    { ...limits, label, signal },
  );
  const port = bound.address.transport === "unix" ? address.port : bound.address.port;
  return { address: { ...address, port }, finished };
}

/** Options for {@linkcode handleRequest}. */
export interface HandleRequestOptions {
  /** Accept PUT uploads (and show the upload form). @default {false} */
  allowUpload?: boolean;
  /** Largest upload in bytes. @default {1073741824} */
  maxUpload?: number;
  /** Called for each stored upload (for the log line). */
  onUpload?: (stored: StoredUpload) => void;
  /** Hashes of files, for the entity tags of files changed within the last second. */
  hashes?: HashCache;
  /**
   * Called with an unexpected failure (a disk error) before it is answered
   * with a plain 500: its details are for the server's log, never the peer.
   */
  onError?: (err: unknown) => void;
}

/** Sent with every answer: the declared type is the type, browsers never guess another. */
const NOSNIFF = { "x-content-type-options": "nosniff" };

/**
 * Sent with every file: the browser renders it, if at all, as a sandboxed
 * page of its own origin, so an uploaded page runs no script in the share's
 * origin (and cannot reach its pages or uploads).
 */
const FILE_POLICY = { ...NOSNIFF, "content-security-policy": "sandbox" };

function text(status: number, message: string, headers: HeadersInit = {}): Response {
  return new Response(`${status} ${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...NOSNIFF, ...headers },
  });
}

/**
 * Answers one request for the shared folder: a directory page (ordered by
 * `?sort=name|size|date&order=asc|desc`; JSON with `?json`; a 301 to the
 * path with a trailing `/`), a file (HEAD,
 * conditional and range requests), or a PUT upload; refusals as plain-text
 * statuses. Needs no socket, so it is tested with `new Request(…)`.
 *
 * Requires `--allow-read=DIR` (uploads: `--allow-write=DIR`).
 *
 * @param request the request; only its URL path and query are used for routing
 * @param sandbox the shared folder
 * @returns the response; a file body streams from disk
 * @example Asking for the directory page
 * ```ts ignore
 * import { handleRequest } from "./http.ts";
 * const response = await handleRequest(new Request("http://localhost/"), share);
 * console.log(response.status, await response.text());
 * ```
 */
export async function handleRequest(
  request: Request,
  sandbox: Sandbox,
  options: HandleRequestOptions = {},
): Promise<Response> {
  const {
    allowUpload = false,
    maxUpload = 1024 ** 3,
    onUpload,
    onError,
    hashes = new HashCache(),
  } = options;
  const url = new URL(request.url);
  let decoded: string;
  try {
    decoded = decodePath(url.pathname);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return text(400, err.message);
  }
  try {
    const path = splitPath(decoded, { showHidden: sandbox.showHidden });
    if (request.method === "PUT") {
      if (!allowUpload) {
        return text(405, "uploads are disabled (server runs without --allow-upload)");
      }
      return await upload(request, sandbox, path, { maxUpload, onUpload });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "method not allowed", {
        allow: allowUpload ? "GET, HEAD, PUT" : "GET, HEAD",
      });
    }
    const resolved = await sandbox.resolve(path);
    if (resolved.info.isDirectory) {
      if (!url.pathname.endsWith("/")) {
        // Built from the checked components, so it is always a path on this
        // host: "//docs" would send a browser to the host "docs".
        const location = "/" + path.map((c) => encodeURIComponent(c) + "/").join("");
        return new Response(null, {
          status: 301,
          headers: { location: location + url.search, ...NOSNIFF },
        });
      }
      if (url.searchParams.has("tar")) {
        return folderArchive(request, sandbox, resolved, path, onError);
      }
      const entries = await sandbox.list(resolved);
      if (url.searchParams.has("json")) {
        const json = entries.map((e) => ({ ...e, mtime: new Date(e.mtime).toISOString() }));
        return new Response(JSON.stringify(json) + "\n", {
          headers: { "content-type": "application/json", ...NOSNIFF },
        });
      }
      const order = listingOrder(url.searchParams);
      return new Response(directoryPage(path, entries, { allowUpload, order }), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          ...NOSNIFF,
          // Only the page's own script and style run: a name can never become one.
          "content-security-policy": directoryPolicy({ allowUpload }),
        },
      });
    }
    return await download(request, resolved, path.at(-1) ?? "", hashes);
  } catch (err) {
    if (err instanceof ShareError) return text(SHARE_ERROR_STATUS[err.reason], err.message);
    if (err instanceof FileChangedError) {
      onError?.(err);
      return text(503, "the file is changing; try again", { "retry-after": "1" });
    }
    onError?.(err);
    return text(500, "the server failed to read or write");
  }
}

/**
 * A folder as a streamed tar archive (`?tar`): no length is known in
 * advance, so it goes out chunked; a failure midway (a file changed while
 * read, a disk error) breaks the stream off, so a client never takes a torn
 * archive for a whole one.
 */
function folderArchive(
  request: Request,
  sandbox: Sandbox,
  resolved: Resolved,
  path: string[],
  onError: ((err: unknown) => void) | undefined,
): Response {
  const top = path.at(-1) ?? (sandbox.root.split("/").filter(Boolean).at(-1) ?? "files");
  // An ASCII stand-in for old clients, the exact name for the others (RFC 6266).
  const ascii = top.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const headers = {
    ...NOSNIFF,
    "content-type": "application/x-tar",
    // Streamed as it is read: the server must not gather it to learn its length.
    "transfer-encoding": "chunked",
    "content-disposition": `attachment; filename="${ascii}.tar"; filename*=UTF-8''${
      encodeURIComponent(top + ".tar")
    }`,
  };
  if (request.method === "HEAD") return new Response(null, { headers });
  const chunks = tarFolder(sandbox, resolved, top);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (err) {
        onError?.(err);
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, { headers });
}

/**
 * A file: its headers from the open file (what is sent is what is
 * described), conditional and range requests, and a body that is cut short
 * rather than completed if the file changes while it is sent.
 */
async function download(
  request: Request,
  resolved: Resolved,
  name: string,
  hashes: HashCache,
): Promise<Response> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(resolved.real);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return text(404, "no such file or directory");
    throw err;
  }
  let streaming = false;
  try {
    const now = Date.now();
    const info = await file.stat();
    // Replaced by something else since it was resolved.
    if (!info.isFile) return text(400, "not a regular file or folder");
    const version = versionOf(info);
    // A version that cannot show a change yet is named, and checked, by its content.
    const sha256 = isSettled(version, now)
      ? undefined
      : await hashes.sha256(resolved.real, file, version, false);
    const etag = entityTag(version, sha256);
    const headers = new Headers({
      ...FILE_POLICY,
      "content-type": contentType(name),
      "accept-ranges": "bytes",
      "etag": etag,
      "last-modified": new Date(version.mtime).toUTCString(),
    });
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers });
    }
    const range = request.headers.has("if-range") && request.headers.get("if-range") !== etag
      ? undefined
      : parseRange(request.headers.get("range"), info.size);
    if (range === "unsatisfiable") {
      headers.set("content-range", `bytes */${info.size}`);
      return new Response(null, { status: 416, headers });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    const length = info.size === 0 ? 0 : end - start + 1;
    headers.set("content-length", String(length));
    if (range) headers.set("content-range", `bytes ${start}-${end}/${info.size}`);
    const status = range ? 206 : 200;
    if (request.method === "HEAD" || length === 0) return new Response(null, { status, headers });
    const chunks = fileChunks(file, { start, end: end + 1, version, sha256 });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) {
            file.close();
            controller.close();
          } else {
            controller.enqueue(next.value);
          }
        } catch (err) {
          file.close();
          // Changed or shrank: error the stream, never complete or pad it.
          controller.error(err);
        }
      },
      cancel() {
        file.close();
      },
    });
    streaming = true;
    return new Response(body, { status, headers });
  } finally {
    if (!streaming) file.close();
  }
}

async function upload(
  request: Request,
  sandbox: Sandbox,
  path: string[],
  limits: { maxUpload: number; onUpload: ((stored: StoredUpload) => void) | undefined },
): Promise<Response> {
  const { maxUpload, onUpload } = limits;
  const declared = request.headers.get("content-length");
  const size = declared === null ? undefined : Number(declared);
  using staged = await stageUpload(sandbox, path, { size, maxSize: maxUpload, hash: true });
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch {
        // The client went away or broke its framing mid-body: its fault, not the server's.
        return text(400, "the request body was cut short");
      }
      if (next.done) break;
      await staged.write(next.value);
    }
  }
  const stored = staged.commit();
  onUpload?.(stored);
  return text(201, `created ${stored.rel} (${formatSize(stored.size)}, sha256 ${stored.sha256})`);
}
