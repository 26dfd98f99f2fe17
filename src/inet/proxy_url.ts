/**
 * Proxy URLs (`--proxy`): `socks5://`, `socks5h://` and `http://`, with an
 * optional `USER:PASS@` and a port (1080 when left out, as curl assumes).
 * `socks5://` resolves TARGET's name here and sends the proxy an address;
 * `socks5h://` sends the name and lets the proxy resolve it.
 *
 * @module
 */

import { parseHostName } from "./address.ts";

/** A parsed `--proxy`. */
export interface ProxyUrl {
  scheme: "socks5" | "socks5h" | "http";
  hostname: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
}

/** The port a proxy URL without one means. */
export const DEFAULT_PROXY_PORT = 1080;

/**
 * Parses a proxy URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProxyUrl } from "./proxy_url.ts";
 * assert.deepEqual(parseProxyUrl("socks5h://ann:pw@127.0.0.1:1081"), {
 *   scheme: "socks5h", hostname: "127.0.0.1", port: 1081, username: "ann", password: "pw",
 * });
 * ```
 * @throws {SyntaxError} quoting the text and saying what is wrong
 */
export function parseProxyUrl(text: string): ProxyUrl {
  const bad = (why: string) => new SyntaxError(`Cannot use proxy "${text}": ${why}`);
  const scheme = /^([a-z0-9]+):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw bad("expected socks5://HOST:PORT, socks5h://HOST:PORT or http://HOST:PORT");
  }
  if (scheme !== "socks5" && scheme !== "socks5h" && scheme !== "http") {
    throw bad(`the scheme ${scheme}:// is not supported (socks5, socks5h, http)`);
  }
  let url: URL;
  try {
    // URL parses socks5:// as an opaque scheme; parse the authority as http's.
    url = new URL(`http://${text.slice(scheme.length + 3)}`);
  } catch {
    throw bad("not a valid URL");
  }
  if (url.pathname !== "/" || url.search || url.hash) throw bad("a proxy URL has no path");
  if (url.hostname === "") throw bad("no host");
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  parseHostName(hostname);
  const explicitPort = /:(\d+)\/?$/.test(text);
  const port = explicitPort ? Number(url.port || 80) : DEFAULT_PROXY_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad("the port must be 1-65535");
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  return {
    scheme,
    hostname,
    port,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

/** The proxy's own address for messages: `socks5://HOST:PORT`, without credentials. */
export function formatProxy(proxy: ProxyUrl): string {
  const host = proxy.hostname.includes(":") ? `[${proxy.hostname}]` : proxy.hostname;
  return `${proxy.scheme}://${host}:${proxy.port}`;
}
