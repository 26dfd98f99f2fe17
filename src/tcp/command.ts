/**
 * CLI wiring of `sockit tcp connect` and `sockit tcp listen`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec } from "../command/spec.ts";
import type { Args } from "../command/values.ts";
import { exitCodeOf, input, UsageError } from "../console/errors.ts";
import { parseConnectTarget, parseListenAddress } from "../inet/address.ts";
import { listen } from "../net/endpoint.ts";
import { idleOption, MAX_CONNS, planProxy, PROXY, timeoutOption } from "../command/options.ts";
import {
  clientWantsTls,
  planTlsClient,
  planTlsServer,
  TLS_SERVER_OPTIONS,
  tlsClientOptions,
} from "../command/tls.ts";
import { parseProxyUrl } from "../inet/proxy_url.ts";
import { clientTls, startTls } from "../tls/args.ts";
import { runTcpClient } from "./client.ts";
import { serveTcp, TCP_MODES, type TcpMode } from "./server.ts";
import { printSummary } from "../net/server.ts";

const connectCommand: CommandSpec = {
  kind: "command",
  name: "connect",
  summary: "Connect to TARGET: stdin goes to the socket, the socket goes to stdout (netcat).",
  usage: "TARGET",
  args: { min: 1, max: 2 },
  options: {
    timeout: timeoutOption("give up if the connection is not made in MS"),
    idle: idleOption("end the session after MS without traffic (exit 0)"),
    crlf: { type: "boolean", help: "send line ends as CRLF" },
    "no-shutdown": { type: "boolean", help: "do not half-close the socket at stdin EOF" },
    "send-only": { type: "boolean", help: "only send stdin; discard what arrives" },
    "recv-only": { type: "boolean", help: "only receive; do not read stdin" },
    proxy: PROXY,
    ...tlsClientOptions(),
  },
  description: [
    "TARGET is HOST:PORT, [IPv6]:PORT or unix:/path; netcat's HOST PORT (two arguments) " +
    "works too. At stdin EOF the write side is shut down " +
    "(half-close) and output continues until the peer closes; --no-shutdown keeps it open. " +
    "When the peer closes first, piped stdin is still sent to the end (a terminal session " +
    "ends at once).",
    "Exit 0 when the peer closes or --idle ends the session; 1 when the connection is refused, " +
    "times out or is reset; 2 for a bad TARGET or option; 130 on Ctrl-C.",
    '--json: stdout carries {"event":"connected"|"data"|"closed",…}; data events have ' +
    '"text" (UTF-8) and "base64" when the bytes are not valid UTF-8.',
    "--tls speaks TLS (ncat --ssl, openssl s_client) and verifies the server's certificate " +
    "chain and name by default; --pin trusts exactly the certificate with that SHA-256 " +
    "fingerprint (what a sockit server with a self-signed certificate prints), --cacert a " +
    "private CA; --insecure trusts anything and says so. --proxy reaches TARGET through a " +
    "SOCKS5 or HTTP CONNECT proxy; TLS then runs inside the tunnel, end to end.",
  ],
  verbose: "show the local address the connection was made from, and the TLS details",
  examples: [
    "echo hello | sockit tcp connect 127.0.0.1:7007",
    "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit tcp connect example.com:80",
    "sockit tcp connect [::1]:9000 --timeout 2000",
    "sockit tcp connect unix:/tmp/app.sock --idle 5000",
    "sockit tcp connect mail.example.com:25 --crlf",
    "sockit tcp connect example.com:443 --tls          # like openssl s_client",
    "sockit tcp connect 192.168.1.20:9000 --tls --pin 3f1c…   # a self-signed sockit server",
    "sockit tcp connect example.com:80 --proxy socks5h://127.0.0.1:1080",
  ],
  plan(args, p) {
    const proxy = args.text("proxy");
    if (proxy !== undefined) {
      planProxy(p, proxy, parseProxyUrl, () => {
        const target = parseConnectTarget(targetOf(args));
        return target.transport === "tcp" ? target.hostname : "";
      });
    } else {
      p.address(targetOf(args), parseConnectTarget, "connect");
    }
    if (clientWantsTls(args)) planTlsClient(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseConnectTarget(targetOf(args)));
    if (args.flag("send-only") && args.flag("recv-only")) {
      throw new UsageError("--send-only and --recv-only cannot be used together");
    }
    const proxyText = args.text("proxy");
    const proxy = proxyText === undefined ? undefined : input(() => parseProxyUrl(proxyText));
    if (proxy && address.transport === "unix") {
      throw new UsageError("--proxy reaches TCP targets, not Unix sockets");
    }
    const tls = await clientTls(args, out);
    await runTcpClient(address, out, {
      tls,
      proxy,
      timeoutMs: args.integer("timeout"),
      idleMs: args.integer("idle"),
      crlf: args.flag("crlf"),
      shutdown: !args.flag("no-shutdown"),
      sendOnly: args.flag("send-only"),
      recvOnly: args.flag("recv-only"),
      signal,
    });
    return exitCodeOf(signal);
  },
};

/**
 * TARGET, or netcat's `HOST PORT` as two arguments (`tcp connect example.com 80`),
 * which means HOST:PORT (an IPv6 HOST is bracketed).
 */
function targetOf(args: Args): string {
  const host = args.positional(0);
  const port = args.optionalPositional(1);
  if (port === undefined) return host;
  if (!/^\d+$/.test(port) || host.startsWith("unix:")) {
    throw new UsageError(
      `unexpected argument "${port}"`,
      "usage: sockit tcp connect TARGET [options]",
    );
  }
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

const listenCommand: CommandSpec = {
  kind: "command",
  name: "listen",
  summary: "Listen on ADDR and serve clients: stdio (like nc -l), echo, stamp, greet or sink.",
  usage: "ADDR",
  args: { min: 1, max: 1 },
  options: {
    "keep-open": {
      type: "boolean",
      short: "k",
      help: "keep accepting; serve clients concurrently",
    },
    mode: {
      type: "string",
      value: "MODE",
      help: "what to do",
      choices: TCP_MODES,
      default: "stdio",
    },
    "max-conns": MAX_CONNS,
    idle: idleOption("close a client after MS without traffic"),
    greeting: { type: "string", value: "TEXT", help: "greet mode's welcome line" },
    ...TLS_SERVER_OPTIONS,
  },
  description: [
    "ADDR is PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:/path; the default host is 127.0.0.1 " +
    "(0.0.0.0:PORT or [::]:PORT accepts other hosts; port 0 picks a free port). Once ready it " +
    "prints 'listening on HOST:PORT' on stderr (even with -q).",
    "Modes: stdio: client data to stdout, stdin to the client (with -k, each stdin line to every " +
    "client; stdin EOF does not end the session, the client does). echo: bytes back to the sender " +
    "(RFC 862). stamp: each line answered '[ISO-8601] LINE'. greet: a welcome line, then " +
    "'NAME' → 'Hello, NAME!', 'exit' closes. sink: read and discard, then report throughput.",
    "Without -k it serves one client and exits 0 when that client is done. Each connection is " +
    "reported: 'connection from HOST:PORT', 'closed HOST:PORT (12 B in, 1.5 MB out)'. " +
    "Ctrl-C closes every client, prints a summary and exits 130.",
    '--json: stdout carries {"event":"listening"|"connection"|"closed"|"refused"|' +
    '"data"|"sink"|"summary",…}.',
    "--tls: every client speaks TLS (1.2 or 1.3). Without --cert/--key a fresh self-signed " +
    "ECDSA P-256 certificate for the listen host and localhost is made at start, and " +
    "'tls fingerprint SHA256 HEX' is printed before 'listening on': clients trust it with " +
    "--pin HEX. A client that does not speak TLS is closed and logged; the server keeps serving.",
  ],
  examples: [
    "sockit tcp listen 9000                    # one client, like nc -l 9000",
    "sockit tcp listen 9000 -k --mode echo     # echo server, many clients",
    "sockit tcp listen 0.0.0.0:1313 -k --mode stamp",
    "sockit tcp listen [::1]:7070 -k --mode greet --greeting 'Hi there'",
    "sockit tcp listen 9000 --mode sink        # measure what a client sends",
    "sockit tcp listen unix:/tmp/app.sock -k --mode echo --idle 30000",
    "sockit tcp listen 9443 -k --mode echo --tls  # self-signed; prints its fingerprint",
    "sockit tcp listen 9443 --tls --cert server.pem --key server.key",
  ],
  plan(args, p) {
    p.address(args.positional(0), parseListenAddress);
    planTlsServer(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseListenAddress(args.positional(0)));
    const mode = args.choice<TcpMode>("mode");
    const maxConns = args.number("max-conns");
    const idleMs = args.integer("idle");
    const greeting = args.text("greeting");
    if (greeting !== undefined && mode !== "greet") {
      throw new UsageError("--greeting needs --mode greet");
    }
    const tls = await startTls(args, address, out);
    const bound = listen(address, out, { tls });
    const stats = await serveTcp(bound, out, {
      mode,
      keepOpen: args.flag("keep-open"),
      maxConns,
      idleMs,
      greeting,
      signal,
    });
    if (signal.aborted) printSummary(out, stats);
    return exitCodeOf(signal);
  },
};

/** The `tcp` group. */
export const tcpGroup: GroupSpec = {
  kind: "group",
  name: "tcp",
  summary: "TCP client and servers (netcat, echo/timestamp/greeting servers, sink)",
  commands: [connectCommand, listenCommand],
};
