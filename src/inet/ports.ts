/**
 * Port numbers: IANA ranges, a built-in table of common services (so
 * `port info` works on machines without /etc/services), and strict parsing
 * of port lists like `22,80,8000-8100`. Pure.
 *
 * @module
 */

/** The IANA range a port falls in. */
export function portRange(port: number): "well-known" | "registered" | "dynamic/private" {
  return port <= 1023 ? "well-known" : port <= 49151 ? "registered" : "dynamic/private";
}

/** Common services: name, port, transports, description. */
export const SERVICES: readonly (readonly [string, number, string, string])[] = [
  ["echo", 7, "tcp/udp", "Echo (RFC 862)"],
  ["discard", 9, "tcp/udp", "Discard"],
  ["daytime", 13, "tcp/udp", "Daytime"],
  ["ftp-data", 20, "tcp", "FTP data"],
  ["ftp", 21, "tcp", "FTP control"],
  ["ssh", 22, "tcp", "Secure Shell"],
  ["telnet", 23, "tcp", "Telnet"],
  ["smtp", 25, "tcp", "Mail (SMTP)"],
  ["time", 37, "tcp/udp", "Time"],
  ["domain", 53, "tcp/udp", "DNS"],
  ["bootps", 67, "udp", "DHCP/BOOTP server"],
  ["bootpc", 68, "udp", "DHCP/BOOTP client"],
  ["tftp", 69, "udp", "Trivial FTP"],
  ["gopher", 70, "tcp", "Gopher"],
  ["finger", 79, "tcp", "Finger"],
  ["http", 80, "tcp", "HTTP"],
  ["kerberos", 88, "tcp/udp", "Kerberos"],
  ["pop3", 110, "tcp", "Mail (POP3)"],
  ["sunrpc", 111, "tcp/udp", "RPC portmapper"],
  ["ident", 113, "tcp", "Ident"],
  ["ntp", 123, "udp", "Network Time Protocol"],
  ["netbios-ns", 137, "udp", "NetBIOS name service"],
  ["netbios-ssn", 139, "tcp", "NetBIOS session (SMB)"],
  ["imap", 143, "tcp", "Mail (IMAP)"],
  ["snmp", 161, "udp", "SNMP"],
  ["snmp-trap", 162, "udp", "SNMP traps"],
  ["bgp", 179, "tcp", "BGP"],
  ["ldap", 389, "tcp/udp", "LDAP"],
  ["https", 443, "tcp/udp", "HTTPS (QUIC over UDP)"],
  ["microsoft-ds", 445, "tcp", "SMB over TCP"],
  ["isakmp", 500, "udp", "IPsec IKE"],
  ["syslog", 514, "udp", "Syslog"],
  ["submission", 587, "tcp", "Mail submission"],
  ["ipp", 631, "tcp", "Printing (IPP)"],
  ["ldaps", 636, "tcp", "LDAP over TLS"],
  ["rsync", 873, "tcp", "rsync"],
  ["imaps", 993, "tcp", "IMAP over TLS"],
  ["pop3s", 995, "tcp", "POP3 over TLS"],
  ["socks", 1080, "tcp", "SOCKS proxy"],
  ["openvpn", 1194, "tcp/udp", "OpenVPN"],
  ["ms-sql-s", 1433, "tcp", "Microsoft SQL Server"],
  ["l2tp", 1701, "udp", "L2TP"],
  ["pptp", 1723, "tcp", "PPTP"],
  ["radius", 1812, "udp", "RADIUS"],
  ["mqtt", 1883, "tcp", "MQTT"],
  ["nfs", 2049, "tcp/udp", "NFS"],
  ["mysql", 3306, "tcp", "MySQL"],
  ["ms-wbt-server", 3389, "tcp", "Remote Desktop (RDP)"],
  ["stun", 3478, "tcp/udp", "STUN/TURN"],
  ["sip", 5060, "tcp/udp", "SIP"],
  ["sips", 5061, "tcp", "SIP over TLS"],
  ["amqp", 5672, "tcp", "AMQP"],
  ["mdns", 5353, "udp", "Multicast DNS"],
  ["postgresql", 5432, "tcp", "PostgreSQL"],
  ["vnc", 5900, "tcp", "VNC"],
  ["x11", 6000, "tcp", "X Window System"],
  ["redis", 6379, "tcp", "Redis"],
  ["ircd", 6667, "tcp", "IRC (sockit chat)"],
  ["http-alt", 8080, "tcp", "HTTP alternate (sockit files --http)"],
  ["https-alt", 8443, "tcp", "HTTPS alternate"],
  ["cslistener", 9000, "tcp/udp", "CSlistener; note: sockit files (default) uses it too"],
  ["memcache", 11211, "tcp/udp", "memcached"],
  ["mongodb", 27017, "tcp", "MongoDB"],
];

/** The services on a port. */
export function servicesOnPort(port: number) {
  return SERVICES.filter(([, p]) => p === port).map(([name, , transports, description]) => ({
    name,
    transports,
    description,
  }));
}

/** The service of a name (case-insensitive), or undefined. */
export function serviceByName(name: string) {
  const found = SERVICES.find(([n]) => n === name.toLowerCase());
  return found && { name: found[0], port: found[1], transports: found[2], description: found[3] };
}

/**
 * Parses a port list: numbers and ranges separated by commas
 * (`22,80,8000-8100`), each 1-65535, ranges ascending. Returns sorted,
 * unique ports.
 *
 * @example Lists
 * ```ts
 * import { parsePortList } from "./ports.ts";
 * parsePortList("80,22,8000-8002"); // [22, 80, 8000, 8001, 8002]
 * ```
 * @throws {SyntaxError|RangeError} quoting the bad item
 */
export function parsePortList(text: string): number[] {
  const ports = new Set<number>();
  for (const item of text.split(",")) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item.trim());
    if (!match) throw new SyntaxError(`Cannot parse ports "${item}": expected PORT or FROM-TO`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (const port of [from, to]) {
      if (port < 1 || port > 65535) {
        throw new RangeError(`Cannot scan port ${port} in "${item}": ports are 1-65535`);
      }
    }
    if (to < from) throw new RangeError(`Cannot parse ports "${item}": ${from} is above ${to}`);
    for (let port = from; port <= to; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
