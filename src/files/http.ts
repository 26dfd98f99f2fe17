/**
 * The file service's face for browsers and curl (`files serve --http`):
 * directory pages, a JSON listing (`?json`), downloads with Content-Type,
 * Content-Length, Last-Modified, ETag, HEAD and single byte ranges (206,
 * 416), and, with `--allow-upload`, PUT uploads and a form. The same
 * sandbox rules as the file protocol apply: paths go through the same codec
 * and resolution. Built on `Deno.serve`.
 *
 * Requires `--allow-net=HOST`, `--allow-read=DIR` (uploads: `--allow-write=DIR`).
 *
 * @module
 */

import { describeError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { formatHostPort } from "../inet/address.ts";
import type { HostAddress } from "../inet/address.ts";
import { announceListening } from "../net/endpoint.ts";
import { contentType, directoryPage, entityTag, parseRange } from "./http_core.ts";
import { parsePath, ProtocolError } from "./protocol.ts";
import type { Sandbox } from "./sandbox.ts";
import { storeUpload } from "./upload.ts";

/** Options for {@linkcode serveHttp}. */
export interface ServeHttpOptions {
  allowUpload?: boolean;
  /** @default {1073741824} */
  maxUpload?: number;
  label?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A running HTTP face. */
export interface HttpFace {
  address: HostAddress;
  finished: Promise<void>;
}

/**
 * Starts the HTTP face and prints its `listening on` line.
 *
 * @throws {CliError} exit 1 when the address cannot be listened on
 */
export function serveHttp(
  address: HostAddress,
  sandbox: Sandbox,
  out: Output,
  options: ServeHttpOptions = {},
): HttpFace {
  const { allowUpload = false, maxUpload = 1024 ** 3, label, signal } = options;
  let bound: HostAddress = address;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      {
        hostname: address.hostname,
        port: address.port,
        ...(signal ? { signal } : {}),
        onListen({ port }) {
          bound = { ...address, port };
          announceListening(out, bound, label ? { label } : {});
        },
        onError(err) {
          const status = err instanceof ProtocolError ? err.code : 500;
          return new Response(`${status} ${err instanceof Error ? err.message : ""}\n`, { status });
        },
      },
      (request, info) =>
        handle(request, sandbox, { allowUpload, maxUpload, out, peer: peerOf(info) }),
    );
  } catch (err) {
    const where = formatHostPort(address.hostname, address.port);
    throw describeError(err, { action: "listen", address: where });
  }
  return { address: bound, finished: server.finished };
}

function peerOf(info: Deno.ServeHandlerInfo): string {
  const addr = info.remoteAddr as Deno.NetAddr;
  return formatHostPort(addr.hostname, addr.port);
}

interface Context {
  allowUpload: boolean;
  maxUpload: number;
  out: Output;
  peer: string;
}

function text(status: number, message: string, headers: HeadersInit = {}): Response {
  return new Response(`${status} ${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

async function handle(request: Request, sandbox: Sandbox, context: Context): Promise<Response> {
  const url = new URL(request.url);
  try {
    const path = parsePath(url.pathname, { showHidden: sandbox.showHidden });
    if (request.method === "PUT") return await upload(request, sandbox, path, context);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "method not allowed", {
        allow: context.allowUpload ? "GET, HEAD, PUT" : "GET, HEAD",
      });
    }
    const resolved = await sandbox.resolve(path);
    if (resolved.info.isDirectory) {
      if (!url.pathname.endsWith("/")) {
        return new Response(null, {
          status: 301,
          headers: { location: url.pathname + "/" + url.search },
        });
      }
      const entries = await sandbox.list(resolved);
      if (url.searchParams.has("json")) {
        const json = entries.map((e) => ({ ...e, mtime: new Date(e.mtime).toISOString() }));
        return new Response(JSON.stringify(json) + "\n", {
          headers: { "content-type": "application/json" },
        });
      }
      return new Response(directoryPage(path, entries, { allowUpload: context.allowUpload }), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    return await download(request, resolved.real, path.at(-1) ?? "", resolved.info);
  } catch (err) {
    if (err instanceof ProtocolError) return text(err.code, err.message);
    throw err;
  }
}

async function download(
  request: Request,
  real: string,
  name: string,
  info: Deno.FileInfo,
): Promise<Response> {
  const mtime = info.mtime?.getTime() ?? 0;
  const etag = entityTag(info.size, mtime);
  const headers = new Headers({
    "content-type": contentType(name),
    "accept-ranges": "bytes",
    "etag": etag,
    "last-modified": new Date(mtime).toUTCString(),
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
  const file = await Deno.open(real);
  await file.seek(start, Deno.SeekMode.Start);
  let left = length;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(Math.min(256 * 1024, left));
      const n = await file.read(buffer);
      if (n === null || n === 0) {
        file.close();
        // Shorter than promised (the file shrank): error the stream, never pad it.
        controller.error(new Error("file shrank while being sent"));
        return;
      }
      left -= n;
      controller.enqueue(buffer.subarray(0, n));
      if (left === 0) {
        file.close();
        controller.close();
      }
    },
    cancel() {
      file.close();
    },
  });
  return new Response(body, { status, headers });
}

async function upload(
  request: Request,
  sandbox: Sandbox,
  path: string[],
  context: Context,
): Promise<Response> {
  if (!context.allowUpload) {
    return text(405, "uploads are disabled (server runs without --allow-upload)");
  }
  const declared = request.headers.get("content-length");
  const size = declared === null ? undefined : Number(declared);
  const stored = await storeUpload(sandbox, path, async (sink) => {
    let received = 0;
    if (request.body) {
      for await (const chunk of request.body) {
        await sink(chunk);
        received += chunk.length;
      }
    }
    return received;
  }, { size, maxSize: context.maxUpload });
  context.out.status(`uploaded ${stored.rel} (${stored.size} bytes) from ${context.peer} (http)`);
  return text(201, `created ${stored.rel} (${stored.size} bytes, sha256 ${stored.sha256})`);
}
