/**
 * The pure side of the HTTP client: URL checks and the request bytes.
 *
 * @module
 */

import { isIPv4 } from "../inet/ipv4.ts";

/** A URL sockit can fetch. */
export interface HttpTarget {
  url: URL;
  tls: boolean;
  /** Without brackets for IPv6. */
  hostname: string;
  port: number;
  /** The Host header: host, with the port when not the scheme's default, IPv6 bracketed. */
  host: string;
  /** Path and query, percent-encoded. */
  target: string;
}

/**
 * Parses and checks a URL: http or https, a host, a port 1-65535.
 *
 * @example Parsing
 * ```ts
 * import { parseHttpUrl } from "./request.ts";
 * parseHttpUrl("http://[::1]:8080/a b?q=1").target; // "/a%20b?q=1"
 * ```
 * @throws {SyntaxError|RangeError} naming the URL and what is wrong with it
 */
export function parseHttpUrl(text: string, base?: URL): HttpTarget {
  // `http:///path` parses as host "path" (WHATWG), but the user wrote no host.
  if (/^\s*[a-z][a-z0-9+.-]*:\/\/[/?#\\]/i.test(text)) {
    throw new SyntaxError(`Cannot fetch "${text}": missing host`);
  }
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new SyntaxError(
      /^[a-z][a-z0-9+.-]*:/i.test(text)
        ? `Cannot parse URL "${text}"`
        : `Cannot parse URL "${text}": missing scheme (http:// or https://)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SyntaxError(
      `Cannot fetch "${text}": unsupported scheme "${url.protocol.slice(0, -1)}" (http or https)`,
    );
  }
  if (url.username || url.password) {
    throw new SyntaxError(
      `Cannot fetch "${text}": credentials in URLs are not supported (use -H Authorization)`,
    );
  }
  const tls = url.protocol === "https:";
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (hostname === "") throw new SyntaxError(`Cannot fetch "${text}": missing host`);
  if (/^[\d.]+$/.test(hostname) && !isIPv4(hostname)) {
    throw new SyntaxError(`Cannot fetch "${text}": "${hostname}" is not a valid IPv4 address`);
  }
  const port = url.port === "" ? (tls ? 443 : 80) : Number(url.port);
  if (port < 1 || port > 65535) {
    throw new RangeError(`Cannot fetch "${text}": port ${port} is out of range`);
  }
  const bracketed = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url,
    tls,
    hostname,
    port,
    host: url.port === "" ? bracketed : `${bracketed}:${port}`,
    target: `${url.pathname || "/"}${url.search}`,
  };
}

/**
 * Parses `-H "Name: value"`.
 *
 * @throws {SyntaxError} for a missing colon, a bad name, or CR/LF in the value
 */
export function parseHeaderOption(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new SyntaxError(`Cannot use header "${text}": expected "Name: value"`);
  }
  const value = text.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) {
    throw new SyntaxError(`Cannot use header "${name}": line breaks are not allowed`);
  }
  return [name, value];
}

/** Options for {@linkcode buildRequest}. */
export interface BuildRequestOptions {
  /** @default {"GET"} */
  method?: string;
  /** Extra headers; one with the name of a default header replaces it. */
  headers?: [string, string][];
  /** The `User-Agent` version. */
  version: string;
}

/**
 * The request head: method, target, Host, User-Agent, Accept, Connection:
 * close, then the extra headers.
 */
export function buildRequest(target: HttpTarget, options: BuildRequestOptions): string {
  const { method = "GET", headers = [], version } = options;
  const defaults: [string, string][] = [
    ["Host", target.host],
    ["User-Agent", `sockit/${version}`],
    ["Accept", "*/*"],
    ["Connection", "close"],
  ];
  const overridden = new Set(headers.map(([name]) => name.toLowerCase()));
  const all = [...defaults.filter(([name]) => !overridden.has(name.toLowerCase())), ...headers];
  return `${method} ${target.target} HTTP/1.1\r\n${
    all.map(([n, v]) => `${n}: ${v}\r\n`).join("")
  }\r\n`;
}

/** Redirect statuses that -L follows. */
export const REDIRECTS = new Set([301, 302, 303, 307, 308]);
