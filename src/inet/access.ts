/**
 * Access lists of servers (`--allow CIDR`, `--deny CIDR`): which peer
 * addresses a server admits. Deny wins; with any allow rule, an address
 * that no allow rule covers is denied; with none, every address not denied
 * is admitted. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack
 * socket reports for an IPv4 peer) are matched as their IPv4 address, on
 * either side. Pure.
 *
 * @module
 */

import { bits, type IP, parseIP, parseMask, prefixMask } from "./ip.ts";
import { ipv4Mapped } from "./classify.ts";

/** One rule: a network as numbers, and the text it came from. */
export interface AccessRule {
  version: 4 | 6;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
  /** The rule as the user wrote it, for messages. */
  text: string;
}

/** The rules of one server. */
export interface AccessList {
  allow: readonly AccessRule[];
  deny: readonly AccessRule[];
}

/** Options for {@linkcode parseAccessList}. */
export interface AccessListOptions {
  /** `--allow` values. @default {[]} */
  allow?: readonly string[];
  /** `--deny` values. @default {[]} */
  deny?: readonly string[];
}

/**
 * Parses one rule: `ADDRESS/PREFIX` (IPv4 or IPv6; a dotted IPv4 mask works
 * too) or a bare address (one host: /32 or /128). Host bits after the
 * prefix are ignored, as `ip calc` does. An IPv6 rule inside
 * `::ffff:0:0/96` becomes the IPv4 rule it maps.
 *
 * @example Parsing
 * ```ts
 * import { parseAccessRule } from "./access.ts";
 * parseAccessRule("192.168.1.0/24").prefix; // 24
 * parseAccessRule("::1").prefix; // 128
 * ```
 * @throws {SyntaxError|RangeError} quoting the text
 */
export function parseAccessRule(text: string): AccessRule {
  const fail = (why: string) =>
    new SyntaxError(`Cannot parse CIDR "${text}": ${why} (e.g. 192.168.1.0/24, 10.0.0.7, ::1)`);
  if (text === "") throw fail("empty");
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  let ip: IP;
  try {
    ip = parseIP(addressText);
  } catch {
    throw fail(`"${addressText}" is not an IPv4 or IPv6 address`);
  }
  if (ip.zone !== undefined) throw fail("a zone ID (%…) has no place in a rule");
  let prefix = bits(ip.version);
  if (slash >= 0) {
    const mask = text.slice(slash + 1);
    if (!/^[\d.]+$/.test(mask)) throw fail(`bad prefix "/${mask}"`);
    try {
      prefix = parseMask(mask, ip.version);
    } catch (err) {
      throw fail(err instanceof Error ? err.message.replace(/^Cannot \w+ /, "") : String(err));
    }
  }
  const mapped = ipv4Mapped(ip);
  if (mapped && prefix >= 96) {
    ip = mapped;
    prefix -= 96;
  }
  return {
    version: ip.version,
    network: ip.value & prefixMask(prefix, ip.version),
    prefix,
    text,
  };
}

/**
 * Parses the `--allow` and `--deny` values of one server.
 *
 * @throws {SyntaxError|RangeError} for the first malformed rule
 */
export function parseAccessList(options: AccessListOptions = {}): AccessList {
  const { allow = [], deny = [] } = options;
  return { allow: allow.map(parseAccessRule), deny: deny.map(parseAccessRule) };
}

/** True when the list has no rule at all (every peer is admitted). */
export function isOpen(list: AccessList): boolean {
  return list.allow.length === 0 && list.deny.length === 0;
}

function covers(rule: AccessRule, ip: IP): boolean {
  return rule.version === ip.version &&
    (ip.value & prefixMask(rule.prefix, rule.version)) === rule.network;
}

/**
 * Decides on one peer address: deny wins; then, with any allow rule, only
 * what an allow rule covers is admitted. A peer address that is not an IP
 * address (a name) is admitted only by a list without rules.
 *
 * @example Deciding
 * ```ts
 * import { admits, parseAccessList } from "./access.ts";
 * const list = parseAccessList({ allow: ["10.0.0.0/8"], deny: ["10.0.0.7"] });
 * admits(list, "10.1.2.3"); // true
 * admits(list, "10.0.0.7"); // false
 * admits(list, "::ffff:10.9.9.9"); // true
 * ```
 */
export function admits(list: AccessList, address: string): boolean {
  if (isOpen(list)) return true;
  let ip: IP;
  try {
    ip = parseIP(address);
  } catch {
    return false;
  }
  ip = ipv4Mapped(ip) ?? ip;
  if (list.deny.some((rule) => covers(rule, ip))) return false;
  return list.allow.length === 0 || list.allow.some((rule) => covers(rule, ip));
}
