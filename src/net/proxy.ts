/**
 * Proxy clients: a connection to TARGET made through a SOCKS5 proxy
 * (RFC 1928, with RFC 1929 username/password) or an HTTP proxy's CONNECT
 * tunnel (RFC 9110 §9.3.6). The proxy is reached with {@linkcode connect}
 * (so `--timeout` bounds it like any connect), the handshake is bounded by
 * the same timeout, and what the proxy says is escaped before it reaches a
 * message. The returned connection is the tunnel: TLS may run inside it.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { InterruptedError, OperationError } from "../console/errors.ts";
import { formatHostPort } from "../inet/address.ts";
import { ipBytes, ipOf } from "../inet/ip.ts";
import { formatProxy, type ProxyUrl } from "../inet/proxy_url.ts";
import { escapeText } from "../text/escape.ts";
import { concatBytes, writeAll } from "./buffer.ts";
import { closeQuietly, connect } from "./endpoint.ts";

/** The proxy refused, failed, or spoke something else than its protocol. */
export class ProxyError extends OperationError {
  override name = "ProxyError";
}

/** Options for {@linkcode connectThroughProxy}. */
export interface ProxyConnectOptions {
  /** Bounds reaching the proxy and its whole handshake. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Resolves TARGET's name for `socks5://` (the proxy resolves for `socks5h://`). */
  resolve?: (hostname: string) => Promise<string>;
}

/** Most bytes of an HTTP proxy's answer header. */
const MAX_CONNECT_HEADER = 16 * 1024;

/**
 * Connects to `hostname:port` through `proxy`.
 *
 * @throws {ProxyError} the proxy refused or broke its protocol (its reason, escaped)
 * @throws {SocketError} the proxy could not be reached
 * @throws {InterruptedError} when `signal` aborts
 */
export async function connectThroughProxy(
  proxy: ProxyUrl,
  hostname: string,
  port: number,
  options: ProxyConnectOptions = {},
): Promise<Deno.Conn> {
  const { timeoutMs, signal } = options;
  const conn = await connect(
    { transport: "tcp", hostname: proxy.hostname, port: proxy.port },
    { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(signal ? { signal } : {}) },
  );
  const where = formatProxy(proxy);
  let timedOut = false;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    closeQuietly(conn);
  }, timeoutMs);
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const reader = new Reader(conn, where);
    if (proxy.scheme === "http") {
      return await httpConnect(conn, reader, proxy, hostname, port, where);
    }
    let host = hostname;
    if (proxy.scheme === "socks5" && !ipOf(hostname)) {
      host = await (options.resolve ?? resolveHere)(hostname);
    }
    await socks5(conn, reader, proxy, host, port, where);
    return reader.rest(conn);
  } catch (err) {
    closeQuietly(conn);
    if (signal?.aborted) throw new InterruptedError();
    if (timedOut) {
      throw new ProxyError(
        `the proxy ${where} did not finish its handshake within ${timeoutMs} ms`,
      );
    }
    if (err instanceof ProxyError) throw err;
    throw new ProxyError(
      `the proxy ${where} broke off the handshake: ${
        escapeText(err instanceof Error ? err.message : String(err))
      }`,
    );
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The system resolver (getaddrinfo through `node:dns`), which needs
 * `--allow-net=NAME` only, where `Deno.resolveDns` would need the
 * nameserver's address: the plan of a `socks5://` run with a named TARGET
 * grants that name.
 */
async function resolveHere(hostname: string): Promise<string> {
  try {
    const { address } = await lookup(hostname);
    return address;
  } catch (err) {
    throw new ProxyError(
      `cannot resolve ${escapeText(hostname)} here (${
        escapeText(err instanceof Error ? err.message : String(err))
      }); socks5h:// lets the proxy resolve it`,
    );
  }
}

/** SOCKS5 reply codes (RFC 1928 §6). */
const SOCKS_REPLIES: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

async function socks5(
  conn: Deno.Conn,
  reader: Reader,
  proxy: ProxyUrl,
  host: string,
  port: number,
  where: string,
): Promise<void> {
  const withAuth = proxy.username !== undefined;
  await writeAll(conn, Uint8Array.of(5, withAuth ? 2 : 1, ...(withAuth ? [0, 2] : [0])));
  const [version, method] = await reader.exactly(2);
  if (version !== 5) {
    throw new ProxyError(`${where} is not a SOCKS5 proxy (version byte ${version})`);
  }
  if (method === 0xff) {
    throw new ProxyError(
      `${where} accepts none of the offered methods (${
        withAuth ? "none, username/password" : "none"
      })` +
        (withAuth ? "" : "; it may want a username and password (socks5://USER:PASS@HOST:PORT)"),
    );
  }
  if (method === 2) {
    if (!withAuth) throw new ProxyError(`${where} chose username/password, which was not offered`);
    const user = new TextEncoder().encode(proxy.username ?? "");
    const pass = new TextEncoder().encode(proxy.password ?? "");
    if (user.length > 255 || pass.length > 255) {
      throw new ProxyError("a SOCKS5 username or password is at most 255 bytes");
    }
    await writeAll(
      conn,
      concatBytes([Uint8Array.of(1, user.length), user, Uint8Array.of(pass.length), pass]),
    );
    const [, status] = await reader.exactly(2);
    if (status !== 0) throw new ProxyError(`${where} refused the username and password`);
  } else if (method !== 0) {
    throw new ProxyError(`${where} chose method ${method}, which was not offered`);
  }
  await writeAll(
    conn,
    concatBytes([
      Uint8Array.of(5, 1, 0),
      socksAddress(host),
      Uint8Array.of(port >> 8, port & 0xff),
    ]),
  );
  const [replyVersion, reply, , type] = await reader.exactly(4);
  if (replyVersion !== 5) {
    throw new ProxyError(`${where} answered with version ${replyVersion}, not 5`);
  }
  if (reply !== 0) {
    const why = SOCKS_REPLIES[reply ?? -1] ?? `reply code ${reply}`;
    throw new ProxyError(`${where} could not connect to ${formatHostPort(host, port)}: ${why}`);
  }
  const length = type === 1
    ? 4
    : type === 4
    ? 16
    : type === 3
    ? (await reader.exactly(1))[0] ?? 0
    : -1;
  if (length < 0) throw new ProxyError(`${where} answered with address type ${type}`);
  await reader.exactly(length + 2); // the bound address and port: unused
}

/** ATYP and address: IPv4 (1), a name (3) or IPv6 (4). */
function socksAddress(host: string): Uint8Array {
  const ip = ipOf(host);
  if (ip) return concatBytes([Uint8Array.of(ip.version === 4 ? 1 : 4), ipBytes(ip)]);
  const name = new TextEncoder().encode(host);
  if (name.length > 255) throw new ProxyError("a host name for SOCKS5 is at most 255 bytes");
  return concatBytes([Uint8Array.of(3, name.length), name]);
}

async function httpConnect(
  conn: Deno.Conn,
  reader: Reader,
  proxy: ProxyUrl,
  hostname: string,
  port: number,
  where: string,
): Promise<Deno.Conn> {
  const authority = formatHostPort(hostname, port);
  const auth = proxy.username === undefined
    ? ""
    : `Proxy-Authorization: Basic ${basic(proxy.username, proxy.password ?? "")}\r\n`;
  await writeAll(
    conn,
    new TextEncoder().encode(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`),
  );
  const head = await reader.header(MAX_CONNECT_HEADER);
  const statusLine = head.slice(0, head.indexOf("\r\n") < 0 ? head.length : head.indexOf("\r\n"));
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match) {
    throw new ProxyError(
      `${where} is not an HTTP proxy (it answered "${escapeText(statusLine.slice(0, 80))}")`,
    );
  }
  const status = Number(match[1]);
  if (status < 200 || status > 299) {
    const hint = status === 407
      ? " (it wants a username and password: http://USER:PASS@HOST:PORT)"
      : "";
    throw new ProxyError(
      `${where} refused CONNECT ${authority}: ${status} ${escapeText(match[2] ?? "")}${hint}`,
    );
  }
  return reader.rest(conn);
}

function basic(user: string, pass: string): string {
  const bytes = new TextEncoder().encode(`${user}:${pass}`);
  return btoa(String.fromCharCode(...bytes));
}

/** Reads a handshake's bytes, keeping whatever arrives after it for the tunnel. */
class Reader {
  #pending: Uint8Array = new Uint8Array(0);
  readonly #buffer = new Uint8Array(4096);

  constructor(private readonly conn: Deno.Conn, private readonly where: string) {}

  async #more(): Promise<void> {
    const n = await this.conn.read(this.#buffer);
    if (n === null) {
      throw new ProxyError(`${this.where} closed the connection during the handshake`);
    }
    this.#pending = concatBytes([this.#pending, this.#buffer.subarray(0, n)]);
  }

  /** Exactly `n` bytes. */
  async exactly(n: number): Promise<Uint8Array> {
    while (this.#pending.length < n) await this.#more();
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return out;
  }

  /** An HTTP header up to its blank line, as latin1 text (at most `max` bytes). */
  async header(max: number): Promise<string> {
    for (;;) {
      const text = String.fromCharCode(
        ...this.#pending.subarray(0, Math.min(this.#pending.length, max + 4)),
      );
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        this.#pending = this.#pending.subarray(end + 4);
        return text.slice(0, end);
      }
      if (this.#pending.length > max) {
        throw new ProxyError(`${this.where} sent a header over ${max} bytes`);
      }
      await this.#more();
    }
  }

  /** The tunnel: `conn`, with any bytes read past the handshake delivered first. */
  rest(conn: Deno.Conn): Deno.Conn {
    return this.#pending.length === 0 ? conn : withPrefix(conn, this.#pending.slice());
  }
}

/**
 * `conn` whose first reads return `prefix` (the part of the tunnel that came
 * with the proxy's answer). Methods are delegated one by one: Deno's
 * connections keep their state in private fields, so they must be called on
 * the connection itself.
 */
function withPrefix(conn: Deno.Conn, prefix: Uint8Array): Deno.Conn {
  let left: Uint8Array | undefined = prefix;
  const wrapped = {
    get localAddr() {
      return conn.localAddr;
    },
    get remoteAddr() {
      return conn.remoteAddr;
    },
    read(p: Uint8Array): Promise<number | null> {
      if (left === undefined) return conn.read(p);
      const n = Math.min(p.length, left.length);
      p.set(left.subarray(0, n));
      left = n === left.length ? undefined : left.subarray(n);
      return Promise.resolve(n);
    },
    write: (p: Uint8Array) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    [Symbol.dispose]: () => conn.close(),
  };
  return wrapped as unknown as Deno.Conn;
}
