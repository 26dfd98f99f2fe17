/**
 * CLI wiring of `sockit udp send | listen | chat`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec, OptionSpec } from "../command/spec.ts";
import type { Args } from "../command/values.ts";
import { CliError, describeError, exitCodeOf, input, UsageError } from "../console/errors.ts";
import { scope } from "../inet/classify.ts";
import { parseIP } from "../inet/ip.ts";
import {
  type HostAddress,
  isLoopbackHost,
  parseHostListen,
  parseHostTarget,
} from "../inet/address.ts";
import { ACCESS_HELP_DATAGRAM, ACCESS_OPTIONS } from "../command/options.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { openStdin } from "../net/stdin.ts";
import { type Encoding, ENCODINGS } from "../text/encoding.ts";
import { runUdpChat } from "./chat.ts";
import { defaultBind, runUdpSend } from "./send.ts";
import { serveUdp, udpSummary } from "./server.ts";
import { openDatagram } from "./socket.ts";

const encodingOption: OptionSpec = {
  type: "string",
  value: "ENC",
  help: "text encoding",
  choices: ENCODINGS,
  default: "utf-8",
};

function hostTarget(value: string): HostAddress {
  return input(() => parseHostTarget(value, { transport: "udp" }));
}

/**
 * The address `udp listen` binds: ADDR, or with `--multicast GROUP` and a
 * bare port, the group's address on that port.
 */
function listenAddressOf(args: Args): HostAddress {
  const raw = args.positional(0);
  const address = parseHostListen(raw, { transport: "udp" });
  const group = args.text("multicast");
  if (group === undefined) return address;
  checkMulticast(group);
  return /^:?\d+$/.test(raw) ? { ...address, hostname: group } : address;
}

function hostListen(value: string): HostAddress {
  return input(() => parseHostListen(value, { transport: "udp" }));
}

const sendCommand: CommandSpec = {
  kind: "command",
  name: "send",
  summary: "Send datagrams to TARGET: one per MESSAGE argument, or one per stdin line.",
  usage: "TARGET [MESSAGE...]",
  args: { min: 1, max: Number.POSITIVE_INFINITY },
  options: {
    bind: { type: "string", value: "ADDR", help: "send from this local address/port" },
    wait: { type: "string", value: "MS", help: "after the last send, print replies for MS" },
    count: { type: "string", value: "N", help: "send each message N times", default: 1, min: 1 },
    interval: { type: "string", value: "MS", help: "pause MS between datagrams", default: 0 },
    encoding: encodingOption,
  },
  description: [
    "Each MESSAGE argument is one datagram. Without messages, each stdin line is one datagram, " +
    "sent without its line ending; a line 'exit' stops. Replies that arrive while sending and " +
    "during --wait are printed as 'HOST:PORT TEXT'. Broadcast and multicast targets are allowed.",
    "A message over the UDP limit (65507 bytes over IPv4, 65527 over IPv6), or one the " +
    "--encoding cannot hold, exits 2 and nothing of it is sent (with arguments: nothing at all).",
    "Without --bind the socket is bound to 127.0.0.1 (or ::1) for a loopback target, else to " +
    "0.0.0.0 (or [::]) on a free port.",
  ],
  examples: [
    "sockit udp send 127.0.0.1:7007 hello --wait 500",
    "printf 'one\\ntwo\\n' | sockit udp send 127.0.0.1:9999",
    "sockit udp send 127.0.0.1:9999 ping --count 5 --interval 1000 --wait 1000",
    "sockit udp send 192.168.1.255:9999 'anyone there?' --wait 2000   # broadcast",
    "sockit udp send 127.0.0.1:9999 '你好' --encoding gbk",
    "sockit udp send 127.0.0.1:53 'deadbeef' --encoding hex --bind 127.0.0.1:5353",
  ],
  plan(args, p) {
    p.address(args.positional(0), (text) => parseHostTarget(text, { transport: "udp" }));
    const bind = args.text("bind");
    if (bind !== undefined) p.address(bind, (text) => parseHostListen(text, { transport: "udp" }));
    else if (!p.describe) {
      const local = defaultBind(parseHostTarget(args.positional(0), { transport: "udp" }));
      p.hostPort(local.hostname, local.port);
    }
  },
  async run({ args, out, signal }) {
    const target = hostTarget(args.positional(0));
    const bindText = args.text("bind");
    try {
      await runUdpSend(target, out, {
        messages: args.positionals.slice(1),
        bind: bindText === undefined ? undefined : hostListen(bindText),
        waitMs: args.integer("wait"),
        count: args.number("count"),
        intervalMs: args.number("interval"),
        encoding: args.choice<Encoding>("encoding"),
        stdin: openStdin,
        signal,
      });
    } catch (err) {
      // A message too large or not expressible in --encoding: bad input, nothing of it sent.
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    return exitCodeOf(signal);
  },
};

const listenCommand: CommandSpec = {
  kind: "command",
  name: "listen",
  summary: "Receive datagrams on ADDR and print each as 'HOST:PORT TEXT'.",
  usage: "ADDR",
  args: { min: 1, max: 1 },
  options: {
    echo: { type: "boolean", help: "send each datagram back to its sender" },
    stamp: { type: "boolean", help: "reply '[ISO-8601] TEXT' to each datagram" },
    count: { type: "string", value: "N", help: "exit after N datagrams", min: 1 },
    encoding: encodingOption,
    multicast: { type: "string", value: "GROUP", help: "join this multicast group" },
    "max-size": {
      type: "string",
      value: "N",
      help: "largest datagram taken whole; longer ones are reported truncated",
      default: 65535,
      min: 1,
      max: 65535,
    },
    ...ACCESS_OPTIONS,
  },
  description: [
    "ADDR is PORT, :PORT, HOST:PORT or [IPv6]:PORT (default host 127.0.0.1). Datagrams from any " +
    "number of peers are printed, one line each; controls and bytes that are invalid in " +
    "--encoding are shown escaped (\\n, \\x1b, \\xff…), never raw.",
    '--json: {"event":"datagram","from":"HOST:PORT","size":N,"text":…} per ' +
    'datagram, plus "base64" when the bytes are not valid text, "truncated":true when cut.',
    "--multicast GROUP joins GROUP (IPv4 224.0.0.0/4, or IPv6 ff00::/8); with a bare PORT the " +
    "socket binds GROUP:PORT so it hears that group only.",
    "ICMP errors (a sender that went away) never stop the listener. At the end (--count or " +
    "Ctrl-C) it prints 'received 4 datagrams (35 B) from 2 peers'.",
    ACCESS_HELP_DATAGRAM,
  ],
  examples: [
    "sockit udp listen 9999",
    "sockit udp listen 0.0.0.0:7007 --echo             # UDP echo server for the LAN",
    "sockit udp listen 1313 --stamp",
    "sockit udp listen 9999 --count 1 --json",
    "sockit udp listen 5000 --multicast 239.1.2.3",
    "sockit udp listen 9999 --encoding gbk             # text from Windows peers",
    "sockit udp listen 0.0.0.0:7007 --echo --deny 10.0.0.0/8",
  ],
  plan(args, p) {
    p.address(args.positional(0), () => listenAddressOf(args));
    if (args.flag("echo") || args.flag("stamp")) {
      const host = p.describe ? "HOST" : listenAddressOf(args).hostname;
      p.answerPeers(host, isLoopbackHost(host));
    }
    planAccess(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => listenAddressOf(args));
    const group = args.text("multicast");
    if (args.flag("echo") && args.flag("stamp")) {
      throw new UsageError("--echo and --stamp cannot be used together");
    }
    const maxSize = args.number("max-size");
    const count = args.integer("count");
    const encoding = args.choice<Encoding>("encoding");
    const access = input(() => AccessGate.of(args, out));
    const socket = openDatagram(address, out, { announce: true });
    if (group !== undefined) await join(socket.conn, group);
    const stats = await serveUdp(socket, out, {
      reply: args.flag("echo") ? "echo" : args.flag("stamp") ? "stamp" : "none",
      count,
      encoding,
      maxSize,
      signal,
      access,
    });
    await out.flush();
    out.status(udpSummary(stats, access?.denied), {
      event: "summary",
      datagrams: stats.datagrams,
      bytesIn: stats.bytes,
      peers: stats.peers,
      truncated: stats.truncated,
      ...(access ? { denied: access.denied } : {}),
    });
    return exitCodeOf(signal);
  },
};

function checkMulticast(group: string): void {
  let multicast = false;
  try {
    multicast = scope(parseIP(group)) === "multicast";
  } catch {
    // not an address at all: refused below
  }
  if (!multicast) {
    throw new UsageError(
      `Cannot join "${group}": not a multicast group (IPv4 224.0.0.0/4 or IPv6 ff00::/8)`,
    );
  }
}

async function join(conn: Deno.DatagramConn, group: string): Promise<void> {
  try {
    if (group.includes(":")) await conn.joinMulticastV6(group, 0);
    else await conn.joinMulticastV4(group, "0.0.0.0");
  } catch (err) {
    const cause = describeError(err);
    throw new CliError(`cannot join multicast group ${group}: ${cause.message}`, {
      hint: cause.hint ?? "check that an interface with multicast has a route for the group",
    });
  }
}

const chatCommand: CommandSpec = {
  kind: "command",
  name: "chat",
  summary: "Full-duplex UDP chat: stdin lines go to PEER, datagrams arriving at ADDR are printed.",
  usage: "ADDR PEER",
  args: { min: 2, max: 2 },
  options: { encoding: encodingOption },
  description: [
    "One process, one socket bound to ADDR (printed as 'listening on HOST:PORT'): what you type " +
    "goes to PEER while every datagram arriving at ADDR is printed as 'HOST:PORT TEXT', from " +
    "PEER or anyone else. A line 'exit', or EOF, ends the chat.",
    '--json: datagram events carry "peer": true when they came from PEER.',
  ],
  examples: [
    "sockit udp chat 9001 127.0.0.1:9002     # terminal 1",
    "sockit udp chat 9002 127.0.0.1:9001     # terminal 2",
    "sockit udp chat 0.0.0.0:9001 192.168.1.20:9001 --encoding gbk",
  ],
  plan(args, p) {
    p.address(args.positional(0), (text) => parseHostListen(text, { transport: "udp" }));
    p.address(args.positional(1), (text) => parseHostTarget(text, { transport: "udp" }));
  },
  async run({ args, out, signal }) {
    const local = hostListen(args.positional(0));
    const peer = hostTarget(args.positional(1));
    await runUdpChat(local, out, {
      peer,
      encoding: args.choice<Encoding>("encoding"),
      stdin: openStdin,
      signal,
    });
    return exitCodeOf(signal);
  },
};

/** The `udp` group. */
export const udpGroup: GroupSpec = {
  kind: "group",
  name: "udp",
  summary: "UDP datagrams: send, listen (echo/timestamp replies, multicast), full-duplex chat",
  commands: [sendCommand, listenCommand, chatCommand],
};
