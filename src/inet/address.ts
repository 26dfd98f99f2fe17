/**
 * Listen addresses and connect targets, parsed strictly: `PORT`, `:PORT`,
 * `HOST:PORT`, `[IPv6]:PORT`, `unix:/path`. Pure: no sockets, no Deno.*.
 *
 * @module
 */

import { isIPv4 } from "./ipv4.ts";
import { parseIPv6 } from "./ipv6.ts";

/** A TCP/UDP endpoint; `hostname` holds an IPv6 address without brackets. */
export interface HostAddress {
  transport: "tcp" | "udp";
  hostname: string;
  port: number;
}

/** A Unix domain socket path. */
export interface UnixAddress {
  transport: "unix";
  path: string;
}

/** Any address sockit can listen on or connect to. */
export type Address = HostAddress | UnixAddress;

/** Options for {@linkcode parseListenAddress}. */
export interface ParseListenOptions {
  /** Host used for `PORT` and `:PORT`. @default {"127.0.0.1"} */
  defaultHost?: string;
  /** Accept `unix:/path`. @default {true} */
  allowUnix?: boolean;
}

/** Options for {@linkcode parseConnectTarget}. */
export interface ParseTargetOptions {
  /** Port used when TARGET has none (e.g. 69 for TFTP); without it a port is required. */
  defaultPort?: number;
  /** Accept `unix:/path`. @default {true} */
  allowUnix?: boolean;
}

/**
 * Parses a port number.
 *
 * @param min the lowest allowed port (0 to listen, 1 to connect)
 * @throws {RangeError} `Cannot parse port "70000": must be 0-65535`
 * @example Parsing
 * ```ts
 * import { parsePort } from "./address.ts";
 * parsePort("8080"); // 8080
 * ```
 */
export function parsePort(text: string, min = 0): number {
  if (!/^\d{1,5}$/.test(text)) {
    throw new RangeError(`Cannot parse port "${text}": must be a number ${min}-65535`);
  }
  const port = Number(text);
  if (port < min || port > 65535) {
    throw new RangeError(`Cannot parse port "${text}": must be ${min}-65535`);
  }
  return port;
}

/**
 * Parses a listen address. The default host is loopback, never `0.0.0.0`.
 *
 * @example Forms
 * ```ts
 * import { parseListenAddress } from "./address.ts";
 * parseListenAddress("9000");        // 127.0.0.1:9000
 * parseListenAddress("[::]:9000");   // every IPv6 (and usually IPv4) interface
 * parseListenAddress("unix:/tmp/s"); // a Unix socket
 * ```
 * @throws {SyntaxError|RangeError} naming the bad value
 */
export function parseListenAddress(text: string, options: ParseListenOptions = {}): Address {
  const { defaultHost = "127.0.0.1", allowUnix = true } = options;
  const unix = parseUnix(text, allowUnix);
  if (unix) return unix;
  if (/^\d+$/.test(text)) return { transport: "tcp", hostname: defaultHost, port: parsePort(text) };
  if (!text.includes(":")) {
    throw new SyntaxError(
      `Cannot parse address "${text}": expected PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:/path`,
    );
  }
  const { host, port } = splitHostPort(text);
  return {
    transport: "tcp",
    hostname: host === "" ? defaultHost : parseHost(host, text),
    port: parsePort(port, 0),
  };
}

/**
 * Parses a connect target: `HOST:PORT`, `[IPv6]:PORT` or `unix:/path`.
 *
 * @example Forms
 * ```ts
 * import { parseConnectTarget } from "./address.ts";
 * parseConnectTarget("example.com:80");
 * parseConnectTarget("[::1]:9000");
 * ```
 * @throws {SyntaxError|RangeError} naming the bad value
 */
export function parseConnectTarget(text: string, options: ParseTargetOptions = {}): Address {
  const { defaultPort, allowUnix = true } = options;
  const unix = parseUnix(text, allowUnix);
  if (unix) return unix;
  const bare = bareHost(text);
  if (bare !== undefined) {
    if (defaultPort === undefined) {
      throw new SyntaxError(`Cannot parse target "${text}": expected HOST:PORT`);
    }
    return { transport: "tcp", hostname: parseHost(bare, text), port: defaultPort };
  }
  const { host, port } = splitHostPort(text);
  if (host === "") throw new SyntaxError(`Cannot parse target "${text}": missing host`);
  return { transport: "tcp", hostname: parseHost(host, text), port: parsePort(port, 1) };
}

/**
 * Parses a host on its own: a name, an IPv4 address, or an IPv6 address with
 * or without brackets. A port is refused, so `127.0.0.1:80` is not taken for
 * its host.
 *
 * @example Forms
 * ```ts
 * import { parseHostName } from "./address.ts";
 * parseHostName("example.com"); // "example.com"
 * parseHostName("[::1]"); // "::1"
 * parseHostName("::1"); // "::1"
 * ```
 * @throws {SyntaxError} naming the bad value
 */
export function parseHostName(text: string): string {
  if (!text.startsWith("[") && text.includes(":")) {
    try {
      parseIPv6(text);
      return text;
    } catch {
      throw new SyntaxError(`Cannot parse host "${text}": expected a host without a port`);
    }
  }
  return parseHost(text, text);
}

/**
 * {@linkcode parseListenAddress} for transports without Unix sockets (UDP):
 * `unix:` is refused and the result is always a host address.
 */
export function parseHostListen(
  text: string,
  options: ParseListenOptions & { transport?: "tcp" | "udp" } = {},
): HostAddress {
  const { transport = "tcp", ...rest } = options;
  const address = parseListenAddress(text, { ...rest, allowUnix: false }) as HostAddress;
  return { ...address, transport };
}

/** {@linkcode parseConnectTarget} for transports without Unix sockets (UDP, TFTP). */
export function parseHostTarget(
  text: string,
  options: ParseTargetOptions & { transport?: "tcp" | "udp" } = {},
): HostAddress {
  const { transport = "tcp", ...rest } = options;
  const address = parseConnectTarget(text, { ...rest, allowUnix: false }) as HostAddress;
  return { ...address, transport };
}

/** True for `localhost`, 127.0.0.0/8 and `::1`: hosts whose peers are this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "::1";
}

/** Formats a host and port: `127.0.0.1:80`, `[::1]:80`. */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** Formats any address as the user would type it. */
export function formatAddress(address: Address): string {
  return address.transport === "unix"
    ? `unix:${address.path}`
    : formatHostPort(address.hostname, address.port);
}

function parseUnix(text: string, allowUnix: boolean): UnixAddress | undefined {
  if (!text.startsWith("unix:")) return undefined;
  if (!allowUnix) throw new SyntaxError(`Cannot use "${text}": Unix sockets are not accepted here`);
  const path = text.slice(5);
  if (path === "") throw new SyntaxError(`Cannot parse address "${text}": empty socket path`);
  if (path.includes("\0")) throw new SyntaxError(`Cannot parse address "${text}": NUL in path`);
  return { transport: "unix", path };
}

/** A TARGET with no port at all (`host`, `[::1]`, `1.2.3.4`), or undefined. */
function bareHost(text: string): string | undefined {
  if (text.startsWith("[") && text.endsWith("]")) return text;
  return text.includes(":") ? undefined : text;
}

function splitHostPort(text: string): { host: string; port: string } {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new SyntaxError(`Cannot parse address "${text}": missing "]"`);
    const rest = text.slice(close + 1);
    if (!rest.startsWith(":")) {
      throw new SyntaxError(`Cannot parse address "${text}": expected ":PORT" after "]"`);
    }
    const port = rest.slice(1);
    if (port === "") throw new SyntaxError(`Cannot parse address "${text}": missing port`);
    return { host: text.slice(0, close + 1), port };
  }
  const colon = text.indexOf(":");
  if (text.indexOf(":", colon + 1) >= 0) {
    throw new SyntaxError(
      `Cannot parse address "${text}": too many ":" (write IPv6 addresses as [ADDR]:PORT)`,
    );
  }
  const port = text.slice(colon + 1);
  if (port === "") throw new SyntaxError(`Cannot parse address "${text}": missing port`);
  return { host: text.slice(0, colon), port };
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Validates a host (name, IPv4, or bracketed IPv6); returns it without brackets. */
function parseHost(host: string, whole: string): string {
  if (host.startsWith("[")) {
    if (!host.endsWith("]")) throw new SyntaxError(`Cannot parse address "${whole}": missing "]"`);
    const inner = host.slice(1, -1);
    try {
      parseIPv6(inner);
    } catch (err) {
      throw new SyntaxError(`Cannot parse address "${whole}": ${(err as Error).message}`);
    }
    return inner;
  }
  if (/^[\d.]+$/.test(host)) {
    if (!isIPv4(host)) {
      throw new SyntaxError(
        `Cannot parse address "${whole}": "${host}" is not a valid IPv4 address`,
      );
    }
    return host;
  }
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253 || !name.split(".").every((l) => LABEL.test(l))) {
    throw new SyntaxError(`Cannot parse address "${whole}": "${host}" is not a valid host name`);
  }
  return host;
}
