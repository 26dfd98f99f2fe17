/**
 * CLI wiring of `sockit ip info | calc | same | ifaces` and `sockit port
 * info | scan | free`. The computations are pure (no permissions needed);
 * `ifaces` needs `--allow-sys=networkInterfaces`, `scan` and `free`
 * `--allow-net=HOST`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec, Invocation } from "../command/spec.ts";
import { describeError, ExitCode, exitCodeOf, input, UsageError } from "../console/errors.ts";
import { timeoutOption, workersOf, workersOption } from "../command/options.ts";
import { formatHostPort, parseHostName } from "./address.ts";
import { formatIP, parseIP, parseMask, parseNetwork, prefixMask } from "./ip.ts";
import { parsePortList, portRange, serviceByName, servicesOnPort } from "./ports.ts";
import { IN_FLIGHT_PER_THREAD, PORTS_PER_WORKER, scanPorts } from "./scan.ts";
import { addressFields, type Field, fieldsJson, fieldsText, networkFields } from "./report.ts";

const encoder = new TextEncoder();

/** Prints a record as aligned `label  value` lines, or as one JSON object. */
async function report(out: Invocation["out"], fields: readonly Field[]) {
  if (out.json) return await out.event({ event: "result", ...fieldsJson(fields) });
  await out.data(encoder.encode(fieldsText(fields)));
}

/** Prints `rows` as aligned `key  value` lines, or `json` as one object (port info). */
async function reportRows(
  out: Invocation["out"],
  rows: [string, string][],
  json: Record<string, unknown>,
) {
  if (out.json) return await out.event({ event: "result", ...json });
  const width = Math.max(...rows.map(([key]) => key.length));
  await out.data(
    encoder.encode(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n"),
  );
}

const infoCommand: CommandSpec = {
  kind: "command",
  name: "info",
  summary: "What an address is: version, class, scope, binary or full forms, embedded IPv4.",
  usage: "ADDRESS",
  args: { min: 1, max: 1 },
  options: {},
  description: [
    "IPv4 addresses must be dotted quads (no leading zeros, hex or shorthand); IPv6 may use any " +
    "RFC 4291 form, be bracketed and carry a zone (%eth0). Scope follows the IANA special-purpose " +
    "registries: private, loopback, link-local, multicast, shared (CGNAT), documentation, " +
    "benchmarking, reserved, unspecified, broadcast, unique-local, ipv4-mapped, 6to4, teredo, global.",
    "'private' and 'global' are the registries' flags, as Python's ipaddress computes them: " +
    "private means a special-purpose block that is not globally reachable (so documentation " +
    "ranges count as private).",
  ],
  examples: [
    "sockit ip info 192.168.1.10",
    "sockit ip info 2001:db8::1 --json",
    "sockit ip info ::ffff:10.0.0.1",
  ],
  plan() {},
  async run({ args, out }) {
    const ip = input(() => parseIP(args.positional(0)));
    await report(out, addressFields(ip));
    return ExitCode.ok;
  },
};

const calcCommand: CommandSpec = {
  kind: "command",
  name: "calc",
  summary: "Network, broadcast, masks, host range and count for CIDR, or ADDRESS MASK.",
  usage: "CIDR | ADDRESS MASK",
  args: { min: 1, max: 2 },
  options: {},
  description: [
    "MASK is dotted (255.255.255.0) or a prefix (/24); a non-contiguous mask is an error. Usable " +
    "hosts: IPv4 /31 has 2 (RFC 3021), /32 has 1, otherwise network and broadcast are excluded; " +
    "IPv6 /127 has 2, /128 has 1, otherwise the network (Subnet-Router anycast) is excluded. " +
    "IPv4 results include the binary form of address, mask and network.",
  ],
  examples: [
    "sockit ip calc 192.168.1.10/24",
    "sockit ip calc 10.0.0.1 255.255.252.0",
    "sockit ip calc 2001:db8::/48 --json",
  ],
  plan() {},
  async run({ args, out }) {
    const net = input(() => parseNetwork(args.positional(0), args.optionalPositional(1)));
    await report(out, networkFields(net));
    return ExitCode.ok;
  },
};

const sameCommand: CommandSpec = {
  kind: "command",
  name: "same",
  summary: "Are A and B in the same subnet? Shows each ANDed with the mask; exit 0 yes, 1 no.",
  usage: "A B",
  args: { min: 2, max: 2 },
  options: { mask: { type: "string", value: "MASK", help: "dotted mask or /PREFIX (required)" } },
  description: ["Both addresses must be of one family (exit 2 otherwise)."],
  examples: [
    "sockit ip same 192.168.1.10 192.168.1.77 --mask 255.255.255.0",
    "sockit ip same 10.0.1.5 10.0.2.5 --mask /23",
  ],
  plan() {},
  async run({ args, out }) {
    const a = input(() => parseIP(args.positional(0)));
    const b = input(() => parseIP(args.positional(1)));
    const maskText = args.text("mask");
    if (maskText === undefined) {
      throw new UsageError("--mask is required", "e.g. --mask 255.255.255.0 or --mask /24");
    }
    if (a.version !== b.version) {
      throw new UsageError(
        `Cannot compare "${args.positional(0)}" and "${
          args.positional(1)
        }": one is IPv4, the other IPv6`,
      );
    }
    const prefix = input(() => parseMask(maskText, a.version));
    const mask = prefixMask(prefix, a.version);
    const show = (value: bigint) => formatIP({ version: a.version, value });
    const [na, nb] = [a.value & mask, b.value & mask];
    const same = na === nb;
    if (out.json) {
      await out.event({
        event: "result",
        a: formatIP(a),
        b: formatIP(b),
        mask: show(mask),
        networkA: show(na),
        networkB: show(nb),
        same,
      });
    } else {
      const lines = [
        `${formatIP(a)} AND ${show(mask)} = ${show(na)}`,
        `${formatIP(b)} AND ${show(mask)} = ${show(nb)}`,
        same ? "same subnet" : "different subnets",
      ];
      await out.data(encoder.encode(lines.join("\n") + "\n"));
    }
    return same ? ExitCode.ok : ExitCode.failed;
  },
};

const ifacesCommand: CommandSpec = {
  kind: "command",
  name: "ifaces",
  summary:
    "This machine's interfaces: name, family, address/prefix, netmask, MAC (ifconfig/ipconfig).",
  usage: "",
  args: { min: 0, max: 0 },
  options: {},
  description: [],
  examples: ["sockit ip ifaces", "sockit ip ifaces --json"],
  plan(_args, p) {
    p.grant("sys", "networkInterfaces");
  },
  async run({ out }) {
    let interfaces: Deno.NetworkInterfaceInfo[];
    try {
      interfaces = Deno.networkInterfaces();
    } catch (err) {
      throw describeError(err);
    }
    if (out.json) {
      for (const i of interfaces) await out.event({ event: "interface", ...i });
      return ExitCode.ok;
    }
    const rows = interfaces.map((
      i,
    ) => [i.name, i.family, i.cidr ?? `${i.address}`, i.netmask, i.mac]);
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) =>
      r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell)).join("  ")
    );
    await out.data(encoder.encode(lines.join("\n") + "\n"));
    return ExitCode.ok;
  },
};

const portInfoCommand: CommandSpec = {
  kind: "command",
  name: "info",
  summary: "A port's IANA range and its common services, or the port of a service name.",
  usage: "PORT|SERVICE",
  args: { min: 1, max: 1 },
  options: {},
  description: [
    "Ranges: well-known 0-1023, registered 1024-49151, dynamic/private 49152-65535. The service table is built in, so it works without /etc/services.",
  ],
  examples: ["sockit port info 443", "sockit port info ssh", "sockit port info 50000 --json"],
  plan() {},
  async run({ args, out }) {
    const arg = args.positional(0);
    if (/^\d+$/.test(arg)) {
      const port = Number(arg);
      if (port > 65535) throw new UsageError(`Cannot use port "${arg}": ports are 0-65535`);
      const services = servicesOnPort(port);
      const rows: [string, string][] = [["port", String(port)], ["range", portRange(port)]];
      for (const s of services) rows.push([s.transports, `${s.name} (${s.description})`]);
      if (services.length === 0) rows.push(["services", "none known"]);
      await reportRows(out, rows, { port, range: portRange(port), services });
      return ExitCode.ok;
    }
    const service = serviceByName(arg);
    if (!service) {
      throw new UsageError(
        `Cannot find service "${arg}": not a port number or a known service name`,
      );
    }
    await reportRows(out, [
      ["service", service.name],
      ["port", `${service.port}/${service.transports}`],
      ["range", portRange(service.port)],
      ["about", service.description],
    ], { ...service, range: portRange(service.port) });
    return ExitCode.ok;
  },
};

const scanCommand: CommandSpec = {
  kind: "command",
  name: "scan",
  summary: "TCP connect scan of PORTS on HOST; prints each open port ('80/tcp open http').",
  usage: "HOST PORTS",
  args: { min: 2, max: 2 },
  options: {
    timeout: timeoutOption("wait per port before calling it filtered", 1000),
    concurrency: {
      type: "string",
      value: "N",
      help: "ports tried at once",
      default: 500,
      min: 1,
      max: 10_000,
    },
    workers: workersOption("threads sharing a long scan"),
  },
  description: [
    "PORTS is a list of ports and ranges: 22,80,8000-8100. Results come in port order; -v also " +
    "prints closed (refused) and filtered (no answer in time) ports. Exit 0 if any port is " +
    "open, 1 if none. Scan only hosts you are allowed to.",
    `A long scan is shared by --workers threads (one per ${PORTS_PER_WORKER} ports at most). ` +
    `A thread keeps at most ${IN_FLIGHT_PER_THREAD} connects in flight (the runtime leaves any ` +
    "more waiting, long enough to read as filtered), so a --concurrency above that starts more " +
    "threads. The output is the same as one thread's.",
  ],
  verbose: "list closed and filtered ports too, not only the open ones",
  examples: [
    "sockit port scan 127.0.0.1 1-1024",
    "sockit port scan localhost 22,80,443,8000-8100 --timeout 300",
  ],
  plan(args, p) {
    p.host(p.describe ? "HOST" : parseHostName(args.positional(0)));
  },
  async run({ args, out, signal }) {
    const host = input(() => parseHostName(args.positional(0)));
    const ports = input(() => parsePortList(args.positional(1)));
    const timeoutMs = args.number("timeout");
    const concurrency = args.number("concurrency");
    const workers = workersOf(args);
    const started = performance.now();
    let states;
    try {
      states = await scanPorts(host, ports, { timeoutMs, concurrency, workers, signal });
    } catch (err) {
      throw describeError(err, { address: formatHostPort(host, ports[0] ?? 0) });
    }
    const counts = { open: 0, closed: 0, filtered: 0 };
    const lines: string[] = [];
    for (const [i, state] of states.entries()) {
      if (state === undefined) continue;
      counts[state]++;
      const port = ports[i]!;
      const name = servicesOnPort(port).find((s) => s.transports.includes("tcp"))?.name ?? "";
      if (out.json) await out.event({ event: "port", port, state, service: name || undefined });
      else if (state === "open" || out.verbose) {
        lines.push(`${port}/tcp ${state}${name ? ` ${name}` : ""}`.trimEnd());
      }
    }
    if (lines.length) await out.data(encoder.encode(lines.join("\n") + "\n"));
    const elapsed = (performance.now() - started) / 1000;
    const seconds = elapsed.toFixed(2);
    // A stopped scan counts the ports it tried, and says how many it left untried.
    const tried = counts.open + counts.closed + counts.filtered;
    const untried = ports.length - tried;
    const of = untried > 0 ? `${tried} of ${ports.length}` : `${ports.length}`;
    out.status(
      `scanned ${of} ports on ${host} in ${seconds} s: ${counts.open} open, ${counts.closed} closed, ${counts.filtered} filtered` +
        (untried > 0 ? ` (stopped: ${untried} untried)` : ""),
      {
        event: "summary",
        host,
        ports: tried,
        ...counts,
        ...(untried > 0 ? { untried } : {}),
        seconds: elapsed,
      },
    );
    if (signal.aborted) return exitCodeOf(signal);
    return counts.open > 0 ? ExitCode.ok : ExitCode.failed;
  },
};

const freeCommand: CommandSpec = {
  kind: "command",
  name: "free",
  summary: "Print a port that is free right now on HOST (TCP unless --udp).",
  usage: "",
  args: { min: 0, max: 0 },
  options: {
    udp: { type: "boolean", help: "a free UDP port" },
    host: { type: "string", value: "HOST", help: "the address to check", default: "127.0.0.1" },
  },
  description: ["The port is free when printed; another program may take it before you do."],
  examples: [
    "sockit port free",
    "PORT=$(sockit port free) && sockit tcp listen $PORT",
    "sockit port free --udp --host ::1",
  ],
  plan(args, p) {
    p.hostPort(p.describe ? "HOST" : parseHostName(args.string("host")), 0);
  },
  async run({ args, out }) {
    const host = input(() => parseHostName(args.string("host")));
    let port: number;
    try {
      if (args.flag("udp")) {
        const conn = Deno.listenDatagram({ hostname: host, port: 0, transport: "udp" });
        port = (conn.addr as Deno.NetAddr).port;
        conn.close();
      } else {
        const listener = Deno.listen({ hostname: host, port: 0 });
        port = listener.addr.port;
        listener.close();
      }
    } catch (err) {
      throw describeError(err, { action: "listen", address: formatHostPort(host, 0) });
    }
    if (out.json) {
      await out.event({
        event: "result",
        host,
        port,
        transport: args.flag("udp") ? "udp" : "tcp",
      });
    } else await out.data(encoder.encode(`${port}\n`));
    return ExitCode.ok;
  },
};

/** The `ip` group. */
export const ipGroup: GroupSpec = {
  kind: "group",
  name: "ip",
  summary: "Address info, CIDR calculator, same-subnet check, interfaces (ipcalc, ifconfig)",
  commands: [infoCommand, calcCommand, sameCommand, ifacesCommand],
};

/** The `port` group. */
export const portGroup: GroupSpec = {
  kind: "group",
  name: "port",
  summary: "Port ranges and services, TCP connect scan, a free port",
  commands: [portInfoCommand, scanCommand, freeCommand],
};
