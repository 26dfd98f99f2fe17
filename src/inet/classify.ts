/**
 * What an address is: its scope (per the IANA special-purpose registries),
 * its historical IPv4 class, embedded IPv4 addresses, and the
 * private/global flags of the IANA registries (as Python's `ipaddress` has
 * computed them since its 2024 fix). Pure.
 *
 * @module
 */

import { formatIPv4 } from "./ipv4.ts";
import { type IP, parseIP, prefixMask } from "./ip.ts";

interface Block {
  value: bigint;
  prefix: number;
  version: 4 | 6;
}

function block(cidr: string): Block {
  const [address = "", prefix = "0"] = cidr.split("/");
  const ip = parseIP(address);
  return { value: ip.value, prefix: Number(prefix), version: ip.version };
}

function inside(ip: IP, b: Block): boolean {
  return ip.version === b.version && (ip.value & prefixMask(b.prefix, b.version)) === b.value;
}

/** Scopes, most specific first. */
const SCOPES: [string, string][] = [
  ["0.0.0.0/32", "unspecified"],
  ["255.255.255.255/32", "broadcast"],
  ["0.0.0.0/8", "reserved"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::ffff:0:0/96", "ipv4-mapped"],
  ["64:ff9b::/96", "nat64"],
  ["100::/64", "discard-only"],
  ["2001::/32", "teredo"],
  ["2001:2::/48", "benchmarking"],
  ["2001:db8::/32", "documentation"],
  ["2001::/23", "reserved"],
  ["2002::/16", "6to4"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
];
const SCOPE_BLOCKS = SCOPES.map(([cidr, scope]) => [block(cidr), scope] as const);

/** The scope of an address (`global` when no special block holds it). */
export function scope(ip: IP): string {
  for (const [b, name] of SCOPE_BLOCKS) if (inside(ip, b)) return name;
  return "global";
}

// Blocks the IANA special-purpose registries mark not globally reachable, and the
// globally reachable exceptions inside them: the same lists as Python's ipaddress
// since the 2024 fix (3.11.10 / 3.12.4; Debian patches its 3.11 too).
const PRIVATE_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.0.170/31",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "240.0.0.0/4",
  "255.255.255.255/32",
].map(block);
const EXCEPTIONS_V4 = ["192.0.0.9/32", "192.0.0.10/32"].map(block);
const PRIVATE_V6 = [
  "::1/128",
  "::/128",
  "::ffff:0:0/96",
  "64:ff9b:1::/48",
  "100::/64",
  "2001::/23",
  "2001:db8::/32",
  "2002::/16",
  "fc00::/7",
  "fe80::/10",
].map(block);
const EXCEPTIONS_V6 = [
  "2001:1::1/128",
  "2001:1::2/128",
  "2001:3::/32",
  "2001:4:112::/48",
  "2001:20::/28",
  "2001:30::/28",
].map(block);
const SHARED = block("100.64.0.0/10");

/** True when a block of the IANA special-purpose registries marks it not globally reachable. */
export function isPrivate(ip: IP): boolean {
  const mapped = ipv4Mapped(ip);
  if (mapped) return isPrivate(mapped);
  const [blocks, exceptions] = ip.version === 4
    ? [PRIVATE_V4, EXCEPTIONS_V4]
    : [PRIVATE_V6, EXCEPTIONS_V6];
  return blocks.some((b) => inside(ip, b)) && !exceptions.some((b) => inside(ip, b));
}

/** True when globally reachable: not private, and (IPv4) not shared address space. */
export function isGlobal(ip: IP): boolean {
  // For IPv6 (IPv4-mapped included) global is simply "not private", as in Python.
  return !isPrivate(ip) && !(ip.version === 4 && inside(ip, SHARED));
}

/**
 * For a network: private when its first and last address lie in one
 * private block and neither lies in an exception.
 */
export function isPrivateNetwork(network: bigint, last: bigint, version: 4 | 6): boolean {
  const [blocks, exceptions] = version === 4
    ? [PRIVATE_V4, EXCEPTIONS_V4]
    : [PRIVATE_V6, EXCEPTIONS_V6];
  const lo: IP = { version, value: network };
  const hi: IP = { version, value: last };
  return blocks.some((b) => inside(lo, b) && inside(hi, b)) &&
    !exceptions.some((b) => inside(lo, b) || inside(hi, b));
}

/** For a network: global unless private, or (IPv4) wholly inside shared address space. */
export function isGlobalNetwork(network: bigint, last: bigint, version: 4 | 6): boolean {
  if (isPrivateNetwork(network, last, version)) return false;
  if (version === 6) return true;
  return !(inside({ version, value: network }, SHARED) && inside({ version, value: last }, SHARED));
}

/** The historical IPv4 class, A–E. */
export function ipv4Class(value: bigint): "A" | "B" | "C" | "D" | "E" {
  const first = Number(value >> 24n);
  return first < 128 ? "A" : first < 192 ? "B" : first < 224 ? "C" : first < 240 ? "D" : "E";
}

/** The IPv4 address inside `::ffff:a.b.c.d`. */
export function ipv4Mapped(ip: IP): IP | undefined {
  if (ip.version !== 6 || ip.value >> 32n !== 0xffffn) return undefined;
  return { version: 4, value: ip.value & 0xffffffffn };
}

/** IPv4 addresses embedded in an IPv6 address (mapped, 6to4, Teredo), for `ip info`. */
export function embeddedIPv4(ip: IP): Record<string, string> {
  if (ip.version !== 6) return {};
  const v4 = (value: bigint) => formatIPv4(Number(value & 0xffffffffn));
  const mapped = ipv4Mapped(ip);
  if (mapped) return { mapped: v4(mapped.value) };
  if (ip.value >> 112n === 0x2002n) return { "6to4": v4(ip.value >> 80n) };
  if (ip.value >> 96n === 0x20010000n) {
    return { "teredo-server": v4(ip.value >> 64n), "teredo-client": v4(~ip.value) };
  }
  return {};
}
