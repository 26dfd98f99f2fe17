/**
 * IPv4 and IPv6 addresses as one type, with all math on `bigint`:
 * parsing (strict), formatting (dotted quad, RFC 5952), masks and prefixes,
 * and network calculations (`ip calc`) with Python-`ipaddress`-compatible
 * host ranges. Pure.
 *
 * @module
 */

import { formatIPv4, parseIPv4 } from "./ipv4.ts";
import { formatIPv6, parseIPv6 } from "./ipv6.ts";

/** An address of either family. */
export interface IP {
  version: 4 | 6;
  value: bigint;
  /** IPv6 zone ID (`%eth0`), kept apart from the value. */
  zone?: string;
}

/** Address width in bits. */
export function bits(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}

/**
 * Parses an IPv4 or IPv6 address (IPv6 may be bracketed and carry a zone).
 *
 * @example Parsing
 * ```ts
 * import { parseIP } from "./ip.ts";
 * parseIP("192.168.1.10").version; // 4
 * parseIP("[fe80::1%eth0]").zone; // "eth0"
 * ```
 * @throws {SyntaxError} quoting the text
 */
export function parseIP(text: string): IP {
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (inner.includes(":")) {
    const { value, zone } = parseIPv6(inner);
    return zone === undefined ? { version: 6, value } : { version: 6, value, zone };
  }
  if (!/^[\d.]+$/.test(inner)) {
    throw new SyntaxError(`Cannot parse address "${text}": not an IPv4 or IPv6 address`);
  }
  return { version: 4, value: BigInt(parseIPv4(inner)) };
}

/**
 * The address in `text`, or undefined when it is not one (a host name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipOf } from "./ip.ts";
 * assert.equal(ipOf("::1")?.version, 6);
 * assert.equal(ipOf("example.com"), undefined);
 * ```
 */
export function ipOf(text: string): IP | undefined {
  try {
    return parseIP(text);
  } catch {
    return undefined;
  }
}

/**
 * An address as its network-order bytes: 4 for IPv4, 16 for IPv6 (the
 * form X.509 and SOCKS5 carry).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipBytes, parseIP } from "./ip.ts";
 * assert.deepEqual([...ipBytes(parseIP("192.0.2.7"))], [192, 0, 2, 7]);
 * ```
 */
export function ipBytes(ip: IP): Uint8Array {
  const out = new Uint8Array(bits(ip.version) / 8);
  let value = ip.value;
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** Formats an address: dotted quad, or RFC 5952 with its zone. */
export function formatIP(ip: IP): string {
  if (ip.version === 4) return formatIPv4(Number(ip.value));
  return formatIPv6(ip.value) + (ip.zone ? `%${ip.zone}` : "");
}

/** The fully expanded IPv6 form: eight groups of four hex digits. */
export function expandIPv6(value: bigint): string {
  return value.toString(16).padStart(32, "0").match(/.{4}/g)!.join(":");
}

/** The mask of a prefix length. */
export function prefixMask(prefix: number, version: 4 | 6): bigint {
  const width = BigInt(bits(version));
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
}

/**
 * Parses a mask: `/24`, `24`, or a dotted `255.255.255.0` (IPv4), for an
 * address of `version`. A non-contiguous mask is an error.
 *
 * @throws {RangeError|SyntaxError} quoting the text
 */
export function parseMask(text: string, version: 4 | 6): number {
  const width = bits(version);
  const bare = text.startsWith("/") ? text.slice(1) : text;
  if (/^\d{1,3}$/.test(bare)) {
    const prefix = Number(bare);
    if (prefix > width) {
      throw new RangeError(`Cannot use prefix "${text}": IPv${version} prefixes are 0-${width}`);
    }
    return prefix;
  }
  if (version === 6 || text.startsWith("/")) {
    throw new SyntaxError(`Cannot parse mask "${text}": expected /PREFIX (0-${width})`);
  }
  let value: number;
  try {
    value = parseIPv4(text);
  } catch {
    throw new SyntaxError(
      `Cannot parse mask "${text}": expected /PREFIX or a dotted mask like 255.255.255.0`,
    );
  }
  const inverted = (~value) >>> 0;
  if ((inverted & (inverted + 1)) !== 0) {
    throw new RangeError(`Cannot use mask "${text}": not contiguous (ones must come first)`);
  }
  return 32 - Math.log2(inverted + 1);
}

/** A network: an address and a prefix length. */
export interface Network {
  /** The address as given (host bits may be set). */
  address: IP;
  prefix: number;
}

/**
 * Parses `ADDRESS/PREFIX`, or `ADDRESS` with a separate MASK.
 *
 * @throws {SyntaxError|RangeError} quoting the bad part
 */
export function parseNetwork(text: string, mask?: string): Network {
  const slash = text.indexOf("/");
  if (slash >= 0 && mask !== undefined) {
    throw new SyntaxError(`Cannot use "${text}" with a separate mask: give one or the other`);
  }
  const address = parseIP(slash < 0 ? text : text.slice(0, slash));
  const maskText = slash < 0 ? mask : text.slice(slash);
  if (maskText === undefined) {
    throw new SyntaxError(`Cannot calculate "${text}": missing /PREFIX or MASK`);
  }
  return { address, prefix: parseMask(maskText, address.version) };
}

/** Everything `ip calc` reports, as numbers. */
export interface Calculation {
  version: 4 | 6;
  prefix: number;
  network: bigint;
  netmask: bigint;
  /** Host bits (the "wildcard" of ACLs). */
  hostmask: bigint;
  /** The last address of the network (the broadcast address for IPv4). */
  last: bigint;
  size: bigint;
  /** First and last usable host, and how many there are (Python `hosts()` rules). */
  firstHost: bigint;
  lastHost: bigint;
  hosts: bigint;
}

/**
 * Network arithmetic. Usable hosts follow RFC 3021 and Python's `ipaddress`:
 * IPv4 /31 → both addresses, /32 → the one; otherwise network and broadcast
 * are excluded. IPv6 /127 → both, /128 → the one; otherwise only the
 * Subnet-Router anycast (the network address) is excluded.
 *
 * @example A /24
 * ```ts
 * import { calculate, parseNetwork } from "./ip.ts";
 * calculate(parseNetwork("192.168.1.10/24")).hosts; // 254n
 * ```
 */
export function calculate(net: Network): Calculation {
  const { version } = net.address;
  const width = bits(version);
  const netmask = prefixMask(net.prefix, version);
  const hostmask = ((1n << BigInt(width)) - 1n) ^ netmask;
  const network = net.address.value & netmask;
  const last = network | hostmask;
  const size = hostmask + 1n;
  let firstHost: bigint;
  let lastHost: bigint;
  if (net.prefix === width) {
    firstHost = lastHost = network;
  } else if (net.prefix === width - 1) {
    firstHost = network;
    lastHost = last;
  } else if (version === 4) {
    firstHost = network + 1n;
    lastHost = last - 1n;
  } else {
    firstHost = network + 1n;
    lastHost = last;
  }
  return {
    version,
    prefix: net.prefix,
    network,
    netmask,
    hostmask,
    last,
    size,
    firstHost,
    lastHost,
    hosts: lastHost - firstHost + 1n,
  };
}

/** An IPv4 value in dotted binary: `11000000.10101000.00000001.00001010`. */
export function binaryIPv4(value: bigint): string {
  return value.toString(2).padStart(32, "0").match(/.{8}/g)!.join(".");
}
