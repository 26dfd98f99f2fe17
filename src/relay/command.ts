/**
 * CLI wiring of `sockit relay tcp` and `sockit relay udp`: port forwarding.
 *
 * @module
 */

import type { CommandSpec, GroupSpec } from "../command/spec.ts";
import { exitCodeOf, input, UsageError } from "../console/errors.ts";
import {
  parseConnectTarget,
  parseHostListen,
  parseHostTarget,
  parseListenAddress,
} from "../inet/address.ts";
import { isLoopbackHost } from "../inet/address.ts";
import {
  ACCESS_HELP_DATAGRAM,
  ACCESS_HELP_STREAM,
  ACCESS_OPTIONS,
  idleOption,
  MAX_CONNS,
  planTarget,
  PROXY,
  TAP_OPTIONS,
  timeoutOption,
} from "../command/options.ts";
import {
  clientWantsTls,
  planTlsClient,
  planTlsServer,
  TLS_SERVER_OPTIONS,
  tlsClientOptions,
} from "../command/tls.ts";
import { parseProxyUrl } from "../inet/proxy_url.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { SessionLog } from "../net/session_log.ts";
import { Taps } from "../net/tap.ts";
import { clientTls, startTls } from "../tls/args.ts";
import { checkConnectPermission, listen } from "../net/endpoint.ts";
import { printSummary } from "../net/server.ts";
import { openDatagram } from "../udp/socket.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS, serveTcpRelay } from "./tcp.ts";
import {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_UDP_IDLE_MS,
  printUdpRelaySummary,
  serveUdpRelay,
  upstreamBind,
} from "./udp.ts";

const udpListen = (text: string) => parseHostListen(text, { transport: "udp" });
const udpTarget = (text: string) => parseHostTarget(text, { transport: "udp" });

const tcpCommand: CommandSpec = {
  kind: "command",
  name: "tcp",
  summary: "Forward every connection on LISTEN to TARGET (socat TCP-LISTEN:…,fork TCP:…).",
  usage: "LISTEN TARGET",
  args: { min: 2, max: 2 },
  options: {
    once: { type: "boolean", help: "relay one connection, then exit" },
    "max-conns": { ...MAX_CONNS, help: "connections at once; more are closed without a byte" },
    idle: idleOption("close a connection after MS without traffic either way"),
    timeout: timeoutOption("give up connecting to TARGET after MS", DEFAULT_CONNECT_TIMEOUT_MS),
    ...ACCESS_OPTIONS,
    ...TAP_OPTIONS,
    proxy: PROXY,
    "tls-listen": {
      type: "boolean",
      help: "clients speak TLS to the relay (self-signed unless --cert/--key)",
    },
    cert: TLS_SERVER_OPTIONS.cert!,
    key: TLS_SERVER_OPTIONS.key!,
    "tls-connect": {
      type: "boolean",
      help: "speak TLS to TARGET (verified unless --pin/--insecure)",
    },
    "client-ca": TLS_SERVER_OPTIONS["client-ca"]!,
    ...tlsClientOptions(false, false),
  },
  description: [
    "LISTEN is PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:/path (default host 127.0.0.1); " +
    "TARGET is HOST:PORT, [IPv6]:PORT or unix:/path. Each client accepted on LISTEN gets its " +
    "own new connection to TARGET, and clients are relayed concurrently (no fork needed).",
    "Half-close is carried both ways: a client that shuts down its write side still receives " +
    "the rest of TARGET's answer, and the other way round. Bytes move with backpressure: a side " +
    "that stops reading stops its direction, and the relay holds at most one buffer (256 KiB) " +
    "per direction.",
    "A TARGET that refuses, cannot be reached or does not answer within --timeout: that client " +
    "is closed and the reason reported; the relay keeps serving. A client over --max-conns is " +
    "closed at once without a byte (the relay speaks no protocol of its own).",
    "Each finished connection is reported 'closed HOST:PORT → TARGET (IN in, OUT out, SECONDS " +
    "s)': IN is what the client sent (relayed to TARGET), OUT what the client received. With " +
    "--once it exits 0 after the first connection; Ctrl-C closes every connection, prints a " +
    "summary and exits 130.",
    '--json: stdout carries {"event":"listening"|"connection"|"closed"|"refused"|"summary",…}; ' +
    '"closed" has "from", "to", "bytesIn", "bytesOut", "seconds" and "reason" (client ' +
    "closed, target closed, client reset, target reset, idle MS ms, server stopped, or why " +
    "TARGET could not be reached).",
    ACCESS_HELP_STREAM,
    "-x shows every relayed chunk as a hex dump on stderr ('<' from the client, '>' to it), " +
    "--log FILE appends the raw bytes of each connection with a header line per chunk.",
    "TLS at either end, or both: --tls-listen terminates TLS from clients (a fresh " +
    "self-signed certificate whose fingerprint is printed, or --cert/--key), --tls-connect " +
    "speaks TLS to TARGET (verified by default; --pin, --cacert, --servername, --insecure). " +
    "--proxy reaches TARGET through a SOCKS5 or HTTP CONNECT proxy (socat's SOCKS and PROXY " +
    "addresses).",
  ],
  examples: [
    "sockit relay tcp 8080 example.com:80           # socat TCP-LISTEN:8080,fork TCP:example.com:80",
    "sockit relay tcp 0.0.0.0:2222 10.0.0.5:22 --idle 10m",
    "sockit relay tcp 9000 unix:/run/app.sock       # expose a Unix socket on TCP",
    "sockit relay tcp unix:/tmp/db.sock 127.0.0.1:5432",
    "sockit relay tcp 8080 127.0.0.1:80 --once --json",
    "sockit relay tcp 8443 127.0.0.1:8080 --tls-listen   # add TLS in front of a plain service",
    "sockit relay tcp 2525 mail.example.com:465 --tls-connect   # a plain port for a TLS one",
    "sockit relay tcp 8080 10.0.0.5:80 --proxy socks5h://127.0.0.1:1080",
  ],
  plan(args, p) {
    p.address(args.positional(0), parseListenAddress);
    planTarget(p, args.positional(1), parseConnectTarget, args.text("proxy"), parseProxyUrl);
    planAccess(args, p);
    const log = args.text("log");
    if (log !== undefined) p.write(log);
    planTlsServer(args, p, "tls-listen");
    if (clientWantsTls(args, "tls-connect")) planTlsClient(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseListenAddress(args.positional(0)));
    const target = input(() => parseConnectTarget(args.positional(1)));
    const maxConns = args.number("max-conns");
    const idleMs = args.integer("idle");
    const connectTimeoutMs = args.number("timeout");
    const proxyText = args.text("proxy");
    const proxy = proxyText === undefined ? undefined : input(() => parseProxyUrl(proxyText));
    if (proxy && target.transport === "unix") {
      throw new UsageError("--proxy reaches TCP targets, not Unix sockets");
    }
    if (proxy) {
      checkConnectPermission({ transport: "tcp", hostname: proxy.hostname, port: proxy.port });
    } else checkConnectPermission(target);
    const access = input(() => AccessGate.of(args, out));
    using log = SessionLog.open(args.text("log"));
    const taps = Taps.of(out, { hexdump: args.flag("hexdump"), log, showPeer: true });
    const tls = await clientTls(args, out, "tls-connect", false);
    const listenTls = await startTls(args, address, out, "tls-listen");
    const bound = listen(address, out, { tls: listenTls });
    const stats = await serveTcpRelay(bound, target, out, {
      once: args.flag("once"),
      maxConns,
      idleMs,
      connectTimeoutMs,
      signal,
      access,
      taps,
      tls,
      proxy,
    });
    if (signal.aborted) printSummary(out, stats, { denied: access?.denied });
    return exitCodeOf(signal);
  },
};

const udpCommand: CommandSpec = {
  kind: "command",
  name: "udp",
  summary: "Forward datagrams on LISTEN to TARGET and the replies back, one session per client.",
  usage: "LISTEN TARGET",
  args: { min: 2, max: 2 },
  options: {
    idle: idleOption("end a client's session after MS without a datagram", DEFAULT_UDP_IDLE_MS),
    "max-sessions": {
      type: "string",
      value: "N",
      help: "clients relayed at once; datagrams from more are dropped",
      default: DEFAULT_MAX_SESSIONS,
      min: 1,
    },
    ...ACCESS_OPTIONS,
  },
  description: [
    "LISTEN is PORT, :PORT, HOST:PORT or [IPv6]:PORT (default host 127.0.0.1); TARGET is " +
    "HOST:PORT or [IPv6]:PORT. Like a NAT: each client address gets its own upstream socket, " +
    "connected to TARGET, so TARGET sees one peer per client and each reply goes back to the " +
    "client it answers; datagrams from anyone but TARGET on an upstream socket are dropped.",
    "A session ends after --idle without a datagram either way (default 60 s). At most " +
    "--max-sessions clients are relayed at once; datagrams from new clients over that bound " +
    "are dropped and counted (reported once each time the bound is reached).",
    "Each session is reported 'session from HOST:PORT → TARGET' and, when it ends, 'closed " +
    "HOST:PORT → TARGET (IN in, OUT out, SECONDS s, REASON)'. Runs until Ctrl-C (exit 130), " +
    "then prints a summary with the datagrams dropped.",
    '--json: stdout carries {"event":"listening"|"connection"|"closed"|"refused"|"summary",…}.',
    ACCESS_HELP_DATAGRAM,
  ],
  examples: [
    "sockit relay udp 5353 192.168.1.1:53           # socat UDP-LISTEN:5353,fork UDP:192.168.1.1:53",
    "sockit relay udp 0.0.0.0:9999 127.0.0.1:7007 --idle 10s",
    "sockit relay udp [::1]:5000 [::1]:6000 --max-sessions 100",
  ],
  plan(args, p) {
    p.address(args.positional(0), udpListen);
    const host = p.describe ? "HOST" : udpListen(args.positional(0)).hostname;
    p.answerPeers(host, isLoopbackHost(host));
    p.address(args.positional(1), udpTarget, "connect");
    if (!p.describe) {
      const bind = upstreamBind(udpTarget(args.positional(1)));
      p.hostPort(bind.hostname, bind.port);
    }
    planAccess(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => udpListen(args.positional(0)));
    const target = input(() => udpTarget(args.positional(1)));
    const idleMs = args.number("idle");
    const maxSessions = args.number("max-sessions");
    checkConnectPermission(target);
    checkConnectPermission(upstreamBind(target));
    const access = input(() => AccessGate.of(args, out));
    const socket = openDatagram(address, out, { announce: true });
    const stats = await serveUdpRelay(socket, target, out, { idleMs, maxSessions, signal, access });
    await out.flush();
    printUdpRelaySummary(out, stats, access?.denied);
    return exitCodeOf(signal);
  },
};

/** The `relay` group. */
export const relayGroup: GroupSpec = {
  kind: "group",
  name: "relay",
  summary: "Port forwarding: TCP and UDP relays (socat TCP-LISTEN:…,fork TCP:…)",
  commands: [tcpCommand, udpCommand],
};
