/**
 * Fuzz targets of the address parsers (`src/inet/`): listen addresses and
 * connect targets (`address.ts`), IPv4/IPv6 addresses (`ipv4.ts`,
 * `ipv6.ts`, `ip.ts`) with what `ip info` reports on them, networks and
 * masks with `ip calc`'s arithmetic, and port lists (`ports.ts`).
 *
 * @module
 */

import {
  type Address,
  formatAddress,
  parseConnectTarget,
  parseHostListen,
  parseHostName,
  parseListenAddress,
  parsePort,
} from "../../src/inet/address.ts";
import {
  bits,
  calculate,
  expandIPv6,
  formatIP,
  type IP,
  type Network,
  parseIP,
  parseMask,
  parseNetwork,
  prefixMask,
} from "../../src/inet/ip.ts";
import { formatIPv4, isIPv4, parseIPv4 } from "../../src/inet/ipv4.ts";
import { formatIPv6, parseIPv6 } from "../../src/inet/ipv6.ts";
import { parsePortList } from "../../src/inet/ports.ts";
import { admits, parseAccessList, parseAccessRule } from "../../src/inet/access.ts";
import { addressFields, networkFields } from "../../src/inet/report.ts";
import type { FuzzTarget, Origin } from "./engine.ts";
import { holds, refused, same, show, textOf, UNSAFE_CHARS, type Verdict } from "./property.ts";
import type { Rng } from "./rng.ts";

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * The parse, or undefined when it throws one of the errors it documents
 * (SyntaxError or RangeError unless `types` says which).
 */
function attempt<T>(parse: () => T, ...types: ErrorClass[]): T | undefined {
  try {
    return parse();
  } catch (err) {
    refused(err, ...(types.length > 0 ? types : [SyntaxError, RangeError]));
    return undefined;
  }
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const ZONE = /^[0-9A-Za-z._~-]{1,64}$/;

/** A hostname as the parsers return it: strict IPv4, IPv6 (zone allowed), or a DNS name. */
function checkHostname(hostname: string): void {
  if (hostname.includes(":")) {
    holds(
      attempt(() => parseIPv6(hostname), SyntaxError),
      "an IPv6 host parses as IPv6",
      show(hostname),
    );
    return;
  }
  if (/^[\d.]+$/.test(hostname)) {
    holds(isIPv4(hostname), "a numeric host is strict IPv4", show(hostname));
    return;
  }
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  holds(
    name.length >= 1 && name.length <= 253 && name.split(".").every((l) => LABEL.test(l)),
    "a host name is labels of letters, digits, _ and -",
    show(hostname),
  );
}

function checkAddress(address: Address, minPort: number): void {
  if (address.transport === "unix") {
    holds(
      address.path !== "" && !address.path.includes("\0"),
      "a socket path is not empty, no NUL",
    );
    return;
  }
  holds(
    Number.isInteger(address.port) && address.port >= minPort && address.port <= 65535,
    `a port is ${minPort}-65535`,
    `${address.port}`,
  );
  checkHostname(address.hostname);
}

/** `PORT`, `HOST:PORT`, `[IPv6]:PORT`, `unix:/path` and bare hosts, as every command reads them. */
export const address: FuzzTarget = {
  name: "inet.address",
  about:
    "ADDR/TARGET/HOST text → parseListenAddress, parseConnectTarget, parseHostName, parsePort: " +
    "SyntaxError/RangeError only, valid parts, round trip",
  kind: "text",
  seeds: [
    "9000",
    ":9000",
    "127.0.0.1:9000",
    "0.0.0.0:0",
    "[::1]:9000",
    "[fe80::1%eth0]:80",
    "example.com:80",
    "localhost:65535",
    "unix:/tmp/sockit.sock",
    "[::ffff:192.0.2.1]:1",
    "host-1.example.:8080",
  ],
  tokens: [
    "[",
    "]",
    ":",
    "::",
    "%",
    "unix:",
    "localhost",
    "0.0.0.0",
    "255.255.255.255",
    "ffff:",
    ".com",
  ],
  maxBytes: 8192,
  check(input: Uint8Array, origin: Origin): Verdict {
    const text = textOf(input);
    let accepted = false;
    const port = attempt(() => parsePort(text), RangeError);
    if (port !== undefined) {
      accepted = true;
      holds(Number.isInteger(port) && port >= 0 && port <= 65535, "a port is 0-65535");
      same(parsePort(String(port)), port, "parsePort(String(p)) == p");
    }
    for (const allowUnix of [true, false]) {
      const listen = attempt(() => parseListenAddress(text, { allowUnix }));
      if (listen) {
        accepted = true;
        checkAddress(listen, 0);
        holds(allowUnix || listen.transport !== "unix", "unix: is refused where not allowed");
        same(
          attempt(() => parseListenAddress(formatAddress(listen))),
          listen,
          "listen address round-trips",
        );
      }
      for (const defaultPort of [undefined, 69]) {
        const target = attempt(() =>
          parseConnectTarget(
            text,
            defaultPort === undefined ? { allowUnix } : { allowUnix, defaultPort },
          )
        );
        if (!target) continue;
        accepted = true;
        checkAddress(target, 1);
        // A host named "unix" is written "unix:PORT", which reads as a socket path: the one
        // name whose written form is ambiguous (it can only come from a bare TARGET).
        if (target.transport === "tcp" && target.hostname === "unix") continue;
        same(
          attempt(() => parseConnectTarget(formatAddress(target))),
          target,
          "connect target round-trips",
        );
      }
    }
    const udp = attempt(() => parseHostListen(text, { transport: "udp" }));
    if (udp) holds(udp.transport === "udp", "a host listen address keeps its transport");
    const host = attempt(() => parseHostName(text), SyntaxError);
    if (host !== undefined) {
      accepted = true;
      checkHostname(host);
      same(parseHostName(host), host, "parseHostName is idempotent");
    }
    if (origin !== "mutated") holds(accepted, "a valid address is accepted", text);
    return accepted ? "accepted" : "rejected";
  },
};

function checkIP(ip: IP): void {
  holds(ip.version === 4 || ip.version === 6, "version is 4 or 6");
  holds(
    ip.value >= 0n && ip.value < 1n << BigInt(bits(ip.version)),
    "the value fits the family",
    `${ip.value}`,
  );
  if (ip.zone !== undefined) {
    holds(ip.version === 6 && ZONE.test(ip.zone), "a zone is IPv6's, well-formed");
  }
  same(parseIP(formatIP(ip)), ip, "parseIP(formatIP(ip)) == ip");
  same(formatIP(parseIP(formatIP(ip))), formatIP(ip), "formatIP is canonical");
  for (const field of addressFields(ip)) {
    holds(
      typeof field.value !== "string" || !UNSAFE_CHARS.test(field.value),
      "ip info fields are printable",
      show(field),
    );
  }
}

/** A random address in one of its text forms. */
export function generateAddress(rng: Rng): string {
  if (rng.chance(0.4)) {
    const value = rng.next();
    return formatIPv4(value);
  }
  const value = rng.chance(0.3)
    ? rng.bigint128() & ((1n << BigInt(rng.below(129))) - 1n)
    : rng.bigint128();
  const zone = rng.chance(0.2) ? `%eth${rng.below(10)}` : "";
  const form = rng.below(4);
  let text = form === 0
    ? formatIPv6(value)
    : form === 1
    ? expandIPv6(value)
    : form === 2
    ? expandIPv6(value).toUpperCase()
    : `${expandIPv6(value).slice(0, 30)}${formatIPv4(Number(value & 0xffffffffn))}`;
  text += zone;
  return rng.chance(0.2) ? `[${text}]` : text;
}

/** IPv4 and IPv6 addresses: `ip info`'s input. */
export const ip: FuzzTarget = {
  name: "inet.ip",
  about:
    "address text → parseIP, parseIPv4, parseIPv6, ip info fields: SyntaxError only, range, round trip",
  kind: "text",
  seeds: [
    "192.168.1.10",
    "0.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "2001:db8::1",
    "fe80::1%eth0",
    "[::ffff:192.0.2.1]",
    "1:2:3:4:5:6:7:8",
    "64:ff9b::198.51.100.7",
  ],
  tokens: ["::", ":", ".", "%", "ffff", "0000", "255", "256", "[", "]"],
  maxBytes: 8192,
  generate: generateAddress,
  check(input: Uint8Array, origin: Origin): Verdict {
    const text = textOf(input);
    const parsed = attempt(() => parseIP(text), SyntaxError);
    const v4 = attempt(() => parseIPv4(text), SyntaxError);
    if (v4 !== undefined) {
      holds(Number.isInteger(v4) && v4 >= 0 && v4 <= 0xffffffff, "an IPv4 value is 32 bits");
      same(formatIPv4(v4), text, "formatIPv4(parseIPv4(t)) == t (the grammar is canonical)");
      same(parsed?.value, BigInt(v4), "parseIP agrees with parseIPv4");
    }
    const v6 = attempt(() => parseIPv6(text), SyntaxError);
    if (v6 !== undefined) {
      same(parseIPv6(formatIPv6(v6.value)).value, v6.value, "parseIPv6(formatIPv6(v)) == v");
      same(parseIPv6(expandIPv6(v6.value)).value, v6.value, "the expanded form parses back");
      same(parsed?.value, v6.value, "parseIP agrees with parseIPv6");
    }
    if (!parsed) return "rejected";
    checkIP(parsed);
    if (origin === "generated") {
      const bare = text.replace(/^\[(.*)\]$/, "$1");
      same(formatIP(parsed), formatIP(parseIP(bare)), "brackets do not change an address");
    }
    return "accepted";
  },
};

function checkNetwork(net: Network, text: string): void {
  const width = bits(net.address.version);
  holds(
    Number.isInteger(net.prefix) && net.prefix >= 0 && net.prefix <= width,
    "a prefix is 0-width",
  );
  const c = calculate(net);
  const mask = prefixMask(net.prefix, net.address.version);
  holds(
    c.network === (net.address.value & mask) && (c.network & c.hostmask) === 0n &&
      (c.network | c.hostmask) === c.last && c.netmask === mask,
    "network, masks and last address agree",
    text,
  );
  holds(c.size === 1n << BigInt(width - net.prefix), "size is 2^(width - prefix)");
  holds(
    c.network <= c.firstHost && c.firstHost <= c.lastHost && c.lastHost <= c.last &&
      c.hosts === c.lastHost - c.firstHost + 1n && c.hosts >= 1n,
    "the host range lies inside the network",
    text,
  );
  const again = parseNetwork(`${formatIP(net.address)}/${net.prefix}`);
  same(again, net, "parseNetwork(`${address}/${prefix}`) == network");
  if (net.address.version === 4) {
    same(parseMask(formatIPv4(Number(mask)), 4), net.prefix, "a dotted mask gives its prefix back");
  }
  networkFields(net);
}

/** `ip calc` input: ADDRESS/PREFIX, or ADDRESS and MASK. */
export const cidr: FuzzTarget = {
  name: "inet.cidr",
  about: "CIDR text (or address + mask) → parseNetwork, calculate, ip calc fields: " +
    "SyntaxError/RangeError only, arithmetic invariants, round trip",
  kind: "text",
  seeds: [
    "192.168.1.10/24",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "1.2.3.4/32",
    "1.2.3.4/31",
    "192.168.1.10 255.255.255.0",
    "10.1.2.3 255.255.255.252",
    "2001:db8::1/64",
    "::/0",
    "::1/128",
    "fe80::1%eth0/10",
    "::/127",
  ],
  tokens: ["/", " ", "255.255.255.0", "/33", "/129", "255.0.255.0", "/024"],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const space = text.indexOf(" ");
    const net = space < 0
      ? attempt(() => parseNetwork(text))
      : attempt(() => parseNetwork(text.slice(0, space), text.slice(space + 1)));
    if (!net) return "rejected";
    checkNetwork(net, text);
    return "accepted";
  },
};

/** `port scan` port lists. */
export const ports: FuzzTarget = {
  name: "inet.ports",
  about:
    "port list text → parsePortList: SyntaxError/RangeError only, sorted unique 1-65535, round trip",
  kind: "text",
  seeds: ["22", "22,80,443", "8000-8100", "1-1024,8080", " 80 , 443 ", "65535"],
  tokens: [",", "-", "1-65535", "0", "65536"],
  maxBytes: 4096,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const list = attempt(() => parsePortList(text));
    if (!list) return "rejected";
    holds(list.length >= 1 && list.length <= 65535, "a list has 1-65535 ports");
    for (let i = 0; i < list.length; i++) {
      const port = list[i]!;
      holds(Number.isInteger(port) && port >= 1 && port <= 65535, "a port is 1-65535", `${port}`);
      if (i > 0) holds(port > list[i - 1]!, "ports are sorted and unique");
    }
    // Written back as ranges (short, whatever the count): `22,80-82` reads back the same ports.
    const ranges: string[] = [];
    for (let i = 0; i < list.length;) {
      let j = i;
      while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
      ranges.push(i === j ? `${list[i]}` : `${list[i]}-${list[j]}`);
      i = j + 1;
    }
    same(parsePortList(ranges.join(",")), list, "parsePortList(ranges of ports) == ports");
    return "accepted";
  },
};

/** `--allow`/`--deny` rules and the decision on a peer (`access.ts`). */
export const access: FuzzTarget = {
  name: "inet.access",
  about: "CIDR rule text → parseAccessRule, admits: SyntaxError/RangeError only, no host bits, " +
    "the network's first and last address admitted by allow and refused by deny",
  kind: "text",
  seeds: [
    "192.168.1.0/24",
    "10.0.0.7",
    "0.0.0.0/0",
    "172.16.0.0/255.240.0.0",
    "::1",
    "[::1]/128",
    "fd00::/8",
    "::ffff:10.0.0.0/104",
    "2001:db8::1/32",
  ],
  tokens: ["/", "::", "::ffff:", "/0", "/32", "/128", "/33", "%eth0", "[", "]"],
  maxBytes: 4096,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const rule = attempt(() => parseAccessRule(text));
    if (!rule) return "rejected";
    const width = bits(rule.version);
    holds(rule.prefix >= 0 && rule.prefix <= width, "a prefix fits the family", show(text));
    const mask = prefixMask(rule.prefix, rule.version);
    same(rule.network & mask, rule.network, "a rule's network has no host bits");
    const last = rule.network | (((1n << BigInt(width)) - 1n) ^ mask);
    const allow = parseAccessList({ allow: [text] });
    const deny = parseAccessList({ deny: [text] });
    for (const value of [rule.network, last]) {
      const peer = formatIP({ version: rule.version, value });
      holds(admits(allow, peer), "allow admits its own network", show(peer));
      holds(!admits(deny, peer), "deny refuses its own network", show(peer));
      if (rule.version === 4) {
        const mapped = `::ffff:${peer}`;
        holds(admits(allow, mapped), "an IPv4-mapped peer counts as IPv4", show(mapped));
      }
    }
    if (rule.prefix > 0) {
      const outside = formatIP({
        version: rule.version,
        value: rule.network ^ (1n << BigInt(width - rule.prefix)),
      });
      holds(!admits(allow, outside), "allow refuses outside its network", show(outside));
    }
    return "accepted";
  },
};
