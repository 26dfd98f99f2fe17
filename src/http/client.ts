/**
 * `http get`: an HTTP/1.1 client on `Deno.connect` / `Deno.connectTls` (not
 * `fetch`). The request goes out, the reply is fed to the pure
 * {@linkcode ResponseParser}, the body goes to stdout or to a temporary
 * file that is renamed only when the response is complete, so a truncated
 * or malformed response never leaves a FILE behind.
 *
 * Requires `--allow-net=HOST:PORT` (and `--allow-write`/`--allow-read` of FILE's folder with -o,
 * `--allow-read` of a `--cacert` file).
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };
import { InterruptedError, OperationError, SocketError } from "../console/errors.ts";
import { formatRate, formatSize } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { Progress } from "../console/progress.ts";
import { formatHostPort } from "../inet/address.ts";
import { writeAll } from "../net/buffer.ts";
import { closeQuietly } from "../net/endpoint.ts";
import { dial } from "../net/dial.ts";
import { ProxyError } from "../net/proxy.ts";
import type { ProxyUrl } from "../inet/proxy_url.ts";
import { escapeText } from "../text/escape.ts";
import { type TlsClientOptions, TlsTrustError } from "../tls/client.ts";
import { BodyWriter } from "./body_writer.ts";
import { buildRequest, type HttpTarget, parseHttpUrl, REDIRECTS } from "./request.ts";
import { type HeaderField, HttpParseError, ResponseParser } from "./response_parser.ts";

/** Options for {@linkcode runHttpGet}. */
export interface HttpGetOptions {
  /** Write the body here (temp file, renamed when complete); stdout otherwise. */
  output?: string | undefined;
  /** Print the status line and headers before the body (`-i`). */
  include?: boolean;
  /** Send HEAD (`-I`): headers only. */
  head?: boolean;
  /** Follow redirects (`-L`). */
  follow?: boolean;
  /** @default {10} */
  maxRedirects?: number;
  headers?: [string, string][];
  /**
   * Give up when connecting, waiting for a byte, or receiving the whole
   * response header (interim 1xx responses included) takes longer.
   */
  timeoutMs?: number | undefined;
  /** Exit 1 on status ≥ 400 (`--fail`). */
  fail?: boolean;
  /** Reach servers through this proxy (a CONNECT or SOCKS5 tunnel, for http: and https: alike). */
  proxy?: ProxyUrl | undefined;
  /** How an `https:` server is trusted (`--cacert`, `--pin`, `--insecure`, …). */
  tls?: TlsClientOptions | undefined;
  signal?: AbortSignal;
  /**
   * Takes the body instead of stdout or `output` ({@linkcode streamHttpGet}):
   * given the response head, returns where each piece of the body goes (a
   * view valid until the returned promise settles). May throw to refuse
   * the response.
   */
  body?: ((head: HttpHead) => Promise<(data: Uint8Array) => Promise<void>>) | undefined;
}

/** A response's status line and header fields. */
export interface HttpHead {
  version: string;
  status: number;
  reason: string;
  headers: HeaderField[];
}

type Head = HttpHead;

const encoder = new TextEncoder();

/**
 * Why an HTTP fetch failed, for the command to add its hint: `untrusted` (a
 * TLS certificate the client does not trust), `status` (`--fail` and a status
 * of 400 or more), or `response` (anything else).
 */
export type HttpFailure = "untrusted" | "status" | "response";

/** A failed fetch, with a reason the command maps to a hint. */
export class HttpError extends OperationError {
  readonly reason: HttpFailure;
  /** For `untrusted`: the TLS refusal, with the certificate it saw. */
  readonly trust: TlsTrustError | undefined;

  constructor(message: string, reason: HttpFailure = "response", trust?: TlsTrustError) {
    super(message);
    this.name = "HttpError";
    this.reason = reason;
    this.trust = trust;
  }
}

/**
 * Fetches `url`, following redirects when asked.
 *
 * @throws {HttpError} a bad redirect, `--fail` status, a broken or cut-off response
 * @throws {SocketError} connect, read or write failures
 * @throws {InterruptedError} when `signal` aborts
 */
export async function runHttpGet(
  url: string,
  out: Output,
  options: HttpGetOptions,
): Promise<void> {
  const { follow = false, maxRedirects = 10, output, fail = false } = options;
  const started = performance.now();
  let target = parseHttpUrl(url);
  const seen = new Set<string>([target.url.href]);
  for (let redirects = 0;; redirects++) {
    const { head, bytes, location } = await fetchOnce(target, out, options, { redirect: follow });
    if (location !== undefined) {
      let next: HttpTarget;
      try {
        next = parseHttpUrl(location, target.url);
      } catch (err) {
        throw new HttpError(
          escapeText(`cannot follow redirect to "${location}": ${(err as Error).message}`),
        );
      }
      if (seen.has(next.url.href)) throw new HttpError(`redirect loop at ${next.url.href}`);
      if (redirects + 1 > maxRedirects) throw new HttpError(`more than ${maxRedirects} redirects`);
      seen.add(next.url.href);
      out.status(`following ${head.status} to ${next.url.href}`, {
        event: "redirect",
        status: head.status,
        url: next.url.href,
      });
      target = next;
      continue;
    }
    const seconds = (performance.now() - started) / 1000;
    if (out.json) {
      await out.event({
        event: "response",
        url: target.url.href,
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        size: bytes,
        seconds,
        ...(output ? { path: output } : {}),
      });
    }
    if (fail && head.status >= 400) {
      throw new HttpError(
        `HTTP ${head.status} ${escapeText(head.reason)} from ${target.url.href}`,
        "status",
      );
    }
    if (output) {
      // A rate over a few bytes measures round trips, not transfer: shown from 1 MB on.
      const rate = bytes >= 1e6 ? `, ${formatRate(bytes / Math.max(seconds, 1e-6))}` : "";
      out.status(`saved ${escapeText(output)} (${formatSize(bytes)}, HTTP ${head.status}${rate})`);
    }
    return;
  }
}

/**
 * One GET of `url`, its body handed to `options.body` as it arrives (no
 * redirect followed, nothing printed but `-v` details). Returns once the
 * response is complete.
 *
 * @throws {HttpError} a broken or cut-off response, or what `options.body` threw
 * @throws {SocketError} connect, read or write failures
 * @throws {InterruptedError} when `signal` aborts
 */
export async function streamHttpGet(
  url: string,
  out: Output,
  options: HttpGetOptions & Required<Pick<HttpGetOptions, "body">>,
): Promise<{ head: HttpHead; bytes: number }> {
  const { head, bytes } = await fetchOnce(parseHttpUrl(url), out, options, { redirect: false });
  return { head, bytes };
}

/** One request and response. With `redirect`, a 3xx with Location returns early, body unread. */
async function fetchOnce(
  target: HttpTarget,
  out: Output,
  options: HttpGetOptions,
  { redirect }: { redirect: boolean },
): Promise<{ head: Head; bytes: number; location?: string }> {
  const {
    include = false,
    head: headOnly = false,
    headers = [],
    timeoutMs,
    output,
    fail = false,
    signal,
  } = options;
  const where = formatHostPort(target.hostname, target.port);
  const method = headOnly ? "HEAD" : "GET";
  const conn = await open(target, options, out);
  // The idle timer: no byte for timeoutMs closes the connection.
  let timedOut: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timeoutMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut ??= `timed out: no data from ${where} for ${timeoutMs} ms`;
      closeQuietly(conn);
    }, timeoutMs);
  };
  // The header timer: the whole header, interim responses included, within timeoutMs, so a
  // server cannot hold the client by trickling header lines or 1xx responses.
  let headerTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  let temp: { file: Deno.FsFile; path: string } | undefined;
  let keep = false;
  try {
    const request = buildRequest(target, { method, headers, version: config.version });
    for (const line of request.trimEnd().split("\r\n")) out.detail(`> ${line}`);
    // TLS verifies the certificate during the handshake, on this first write.
    await writeAll(conn, encoder.encode(request)).catch((err) => {
      throw transportError(err, where);
    });
    arm();
    if (timeoutMs !== undefined) {
      headerTimer = setTimeout(() => {
        timedOut ??= `timed out: no complete response header from ${where} in ${timeoutMs} ms`;
        closeQuietly(conn);
      }, timeoutMs);
    }
    const parser = new ResponseParser({ method });
    // Two 256 KiB read buffers: the body of one read is written while the next read fills the other.
    const body = new BodyWriter(256 * 1024);
    let head: Head | undefined;
    let bytes = 0;
    let progress: Progress | undefined;
    // The body's taker (options.body): each piece handed on at once, before the next read.
    let direct: ((data: Uint8Array) => Promise<void>) | undefined;
    for (;;) {
      const buffer = await body.next();
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (err) {
        if (timedOut) throw new HttpError(timedOut);
        if (signal?.aborted) throw new InterruptedError();
        throw transportError(err, where);
      }
      arm();
      const events = n === null ? parser.end() : parser.push(buffer.subarray(0, n));
      for (const event of events) {
        if (event.type === "interim") {
          showHead(out, event);
        } else if (event.type === "head") {
          clearTimeout(headerTimer);
          head = event;
          showHead(out, head);
          const location = head.headers.find(([name]) => name.toLowerCase() === "location")?.[1];
          if (redirect && REDIRECTS.has(head.status) && location !== undefined) {
            return { head, bytes: 0, location };
          }
          if (fail && head.status >= 400) return { head, bytes: 0 };
          const headerText = `HTTP/${head.version} ${head.status} ${head.reason}\r\n` +
            head.headers.map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
          if (options.body) {
            direct = await options.body(head);
          } else if (output) {
            temp = await openTemp(output);
            const file = temp.file;
            body.sink = (data) => writeAll(file, data);
          } else if (!out.json) {
            body.sink = (data) => out.data(data);
          }
          if (include || headOnly) body.addCopy(encoder.encode(headerText));
          const length = Number(
            head.headers.find(([n]) => n.toLowerCase() === "content-length")?.[1],
          );
          // A bar on stderr for a body going to a file, or to a pipe (never onto the terminal's
          // own stdout, where it would land in the middle of the body).
          const toPipe = !direct && !output && !out.json && !stdoutIsTerminal();
          if ((output || toPipe) && !headOnly) {
            progress = new Progress(output ?? "body", length >= 0 ? length : undefined, {
              enabled: !out.quiet && !out.json,
            });
          }
        } else if (event.type === "body") {
          bytes += event.data.length;
          if (direct) await direct(event.data);
          else body.add(event.data);
          progress?.add(event.data.length);
        } else if (event.type === "trailers") {
          for (const [name, value] of event.headers) {
            out.detail(`< (trailer) ${escapeText(name)}: ${escapeText(value)}`);
          }
        } else if (event.type === "end") {
          await body.flush();
          progress?.finish();
          if (temp) {
            temp.file.close();
            await Deno.rename(temp.path, output!);
            keep = true;
          }
          return { head: head!, bytes };
        }
      }
      if (n === null) throw new HttpError(`${where} closed the connection early`);
    }
  } catch (err) {
    if (err instanceof HttpParseError) {
      // The message may quote the response: escaped, like everything a server sends.
      throw new HttpError(`bad response from ${where}: ${escapeText(err.message)}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(headerTimer);
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    if (temp && !keep) {
      try {
        temp.file.close();
      } catch {
        // already closed
      }
      await Deno.remove(temp.path).catch(() => {});
    }
  }
}

/** `-v`: a response's status line and headers on stderr, escaped. */
function showHead(out: Output, head: Head): void {
  out.detail(`< HTTP/${head.version} ${head.status} ${escapeText(head.reason)}`);
  for (const [name, value] of head.headers) {
    out.detail(`< ${escapeText(name)}: ${escapeText(value)}`);
  }
}

async function open(target: HttpTarget, options: HttpGetOptions, out: Output): Promise<Deno.Conn> {
  const { timeoutMs, tls = {}, signal, proxy } = options;
  const where = formatHostPort(target.hostname, target.port);
  try {
    // TLS on node:tls, not Deno.connectTls: only it lets --pin and --insecure decide trust.
    return await dial({ transport: "tcp", hostname: target.hostname, port: target.port }, {
      timeoutMs,
      ...(signal ? { signal } : {}),
      proxy,
      tls: target.tls ? { alpn: ["http/1.1"], ...tls } : undefined,
      onTls: (session) =>
        out.detail(
          `* TLS ${session.protocol} ${session.cipher}, certificate ${
            escapeText(session.subject)
          } ` +
            `(SHA-256 ${session.fingerprint}), ${session.trust}`,
        ),
    });
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    throw transportError(err, where, {
      action: "connect",
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
}

/** A temporary file beside `path`, renamed to it only when the body is complete. */
async function openTemp(path: string): Promise<{ file: Deno.FsFile; path: string }> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : path.slice(0, slash) || "/";
  const name = slash < 0 ? path : path.slice(slash + 1);
  const temp = `${dir}/.${name}.sockit-${crypto.randomUUID().slice(0, 8)}`;
  try {
    return { file: await Deno.open(temp, { write: true, createNew: true }), path: temp };
  } catch (err) {
    throw new SocketError(err, { address: path });
  }
}

/** A connection-level error with where it happened; an untrusted TLS certificate is its own kind. */
function transportError(
  err: unknown,
  where: string,
  context: { action?: "connect"; timeoutMs?: number } = {},
): Error {
  if (err instanceof HttpError || err instanceof SocketError || err instanceof ProxyError) {
    return err;
  }
  if (err instanceof TlsTrustError) {
    return new HttpError(`TLS with ${where}: ${escapeText(err.message)}`, "untrusted", err);
  }
  return new SocketError(err, { address: where, ...context });
}

function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}
