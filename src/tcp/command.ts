/**
 * CLI wiring of `sockit tcp connect` and `sockit tcp listen`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec, OptionSpec } from "../command/spec.ts";
import type { Planner } from "../command/plan.ts";
import type { Args } from "../command/values.ts";
import type { Output } from "../console/output.ts";
import { CliError, exitCodeOf, input, UsageError } from "../console/errors.ts";
import { formatAddress, parseConnectTarget, parseListenAddress } from "../inet/address.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { listen, listenFair } from "../net/endpoint.ts";
import { SessionLog } from "../net/session_log.ts";
import { Taps } from "../net/tap.ts";
import { splitWords } from "../text/words.ts";
import { escapeText } from "../text/escape.ts";
import {
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
import { clientTls, startTls } from "../tls/args.ts";
import { runTcpClient } from "./client.ts";
import { ExecStartError } from "./exec.ts";
import { FAIR_MODES, serveTcp, TCP_MODES, type TcpMode } from "./server.ts";
import { printSummary } from "../net/server.ts";

/** `-e/--exec "PROGRAM [ARGS…]"`: a new process per connection, without a shell. */
const EXEC_OPTION: OptionSpec = {
  type: "string",
  short: "e",
  value: "PROGRAM",
  help: "run 'PROGRAM [ARGS…]' per connection, joined to it (no shell)",
};

/** PROGRAM and its arguments from --exec, if given. */
function execArgv(args: Args): string[] | undefined {
  const text = args.text("exec");
  return text === undefined ? undefined : splitWords(text);
}

/** The plan's part for --exec (`--allow-run=PROGRAM`, as written) and --log (`--allow-write=FILE`). */
function planTapAndExec(args: Args, p: Planner): void {
  const argv = execArgv(args);
  if (argv) p.grant("run", argv[0]!);
  const log = args.text("log");
  if (log !== undefined) p.write(log);
}

/** An --exec program that cannot be started, as the error the user sees. */
function execFailure(err: unknown): unknown {
  if (!(err instanceof ExecStartError)) return err;
  return new CliError(escapeText(err.message), {
    hint: "give the program's path, or a name on PATH (no shell runs: builtins need " +
      "--exec \"sh -c '…'\")",
  });
}

/** Taps for -x and --log, or none. */
function tapsOf(args: Args, out: Output, log: SessionLog | undefined, showPeer: boolean) {
  return Taps.of(out, { hexdump: args.flag("hexdump"), log, showPeer });
}

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
    ...TAP_OPTIONS,
    exec: EXEC_OPTION,
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
    "-x prints every chunk as a hex dump on stderr, as hexdump -C lays it out: '>' sent or " +
    "'<' received, the offset in that direction, 16 bytes a row in hex, then as ASCII with " +
    "every unprintable byte shown as '.'.",
    "--log FILE appends the session to FILE (created if missing): a line '# TIME TARGET open', " +
    "then for each chunk a line '# TIME TARGET DIR N' (TIME in ISO 8601, DIR '<' or '>'), the " +
    "N raw bytes and a line end, and at the end '# TIME TARGET close'.",
    "--exec 'PROGRAM [ARGS…]' runs PROGRAM once connected (ncat -e) instead of using stdin " +
    "and stdout: the socket to its stdin, its stdout to the socket, its stderr to stderr as " +
    "'[TARGET] LINE' (escaped). The text is split into words like a shell would (quotes, " +
    "backslashes) but no shell runs. PROGRAM is killed when the peer goes away; the " +
    "connection closes when it exits, and its exit status is reported " +
    '({"event":"exited",…}); sockit exits 0. The plan grants --allow-run=PROGRAM, as written ' +
    "(a bare name is found on PATH).",
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
    "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit tcp connect example.com:80 -x",
    "sockit tcp connect 127.0.0.1:9000 --exec 'sh -c \"echo hi; cat\"'",
    "sockit tcp connect example.com:443 --tls          # like openssl s_client",
    "sockit tcp connect 192.168.1.20:9000 --tls --pin 3f1c…   # a self-signed sockit server",
    "sockit tcp connect example.com:80 --proxy socks5h://127.0.0.1:1080",
  ],
  plan(args, p) {
    planTarget(p, targetOf(args), parseConnectTarget, args.text("proxy"), parseProxyUrl);
    if (clientWantsTls(args)) planTlsClient(args, p);
    planTapAndExec(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseConnectTarget(targetOf(args)));
    if (args.flag("send-only") && args.flag("recv-only")) {
      throw new UsageError("--send-only and --recv-only cannot be used together");
    }
    const exec = input(() => execArgv(args));
    if (exec) {
      for (const name of ["crlf", "no-shutdown", "send-only", "recv-only"]) {
        if (args.flag(name)) throw new UsageError(`--exec and --${name} cannot be used together`);
      }
    }
    const proxyText = args.text("proxy");
    const proxy = proxyText === undefined ? undefined : input(() => parseProxyUrl(proxyText));
    if (proxy && address.transport === "unix") {
      throw new UsageError("--proxy reaches TCP targets, not Unix sockets");
    }
    const tls = await clientTls(args, out);
    using log = SessionLog.open(args.text("log"));
    try {
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
        tap: tapsOf(args, out, log, false)?.open(formatAddress(address)),
        exec,
      });
    } catch (err) {
      throw execFailure(err);
    }
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
    ...TAP_OPTIONS,
    exec: EXEC_OPTION,
    ...ACCESS_OPTIONS,
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
    '"denied"|"data"|"sink"|"exited"|"summary",…}.',
    ACCESS_HELP_STREAM,
    "-x prints every chunk as a hex dump on stderr, as hexdump -C lays it out, each row " +
    "naming the client: 'HOST:PORT > OFFSET  HEX  |ASCII|' ('>' sent, '<' received, the " +
    "offset in that direction, unprintable bytes shown as '.').",
    "--log FILE appends every connection to FILE (created if missing): '# TIME HOST:PORT " +
    "open', then for each chunk a line '# TIME HOST:PORT DIR N' (TIME in ISO 8601, DIR '<' " +
    "or '>'), the N raw bytes and a line end, and '# TIME HOST:PORT close'.",
    "--exec 'PROGRAM [ARGS…]' joins each client to a new process of PROGRAM instead of a " +
    "mode (ncat -e; with -k, concurrently): client bytes to its stdin, its stdout to the " +
    "client, its stderr to stderr as '[HOST:PORT] LINE' (escaped). The text is split into " +
    "words like a shell would (quotes, backslashes), but no shell runs. The process is killed " +
    "when its client goes away; the client is closed when the process exits ('cat exited " +
    "with code 0 (HOST:PORT)', then 'closed HOST:PORT → cat (IN in, OUT out, SECONDS s)'). A program that cannot be run stops the server (exit 1). The " +
    "plan grants --allow-run=PROGRAM, as written (a bare name is found on PATH).",
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
    "sockit tcp listen 9000 -k --exec 'tr a-z A-Z'   # like ncat -k -e",
    "sockit tcp listen 9000 -x --log session.log    # see and keep every byte",
    "sockit tcp listen 0.0.0.0:9000 -k --mode echo --allow 192.168.1.0/24 --deny 192.168.1.13",
    "sockit tcp listen 9443 -k --mode echo --tls  # self-signed; prints its fingerprint",
    "sockit tcp listen 9443 --tls --cert server.pem --key server.key",
  ],
  plan(args, p) {
    p.address(args.positional(0), parseListenAddress);
    planTapAndExec(args, p);
    planAccess(args, p);
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
    const argv = input(() => execArgv(args));
    if (argv && args.values["mode"] !== undefined) {
      throw new UsageError("--exec and --mode cannot be used together");
    }
    const access = input(() => AccessGate.of(args, out));
    using log = SessionLog.open(args.text("log"));
    const tls = await startTls(args, address, out);
    // Many clients in a mode sockit answers itself: node:net's handles serve them fairly.
    const fair = args.flag("keep-open") && !tls && !argv && FAIR_MODES.includes(mode);
    const bound = fair && address.transport !== "unix"
      ? await listenFair(address, out)
      : listen(address, out, { tls });
    // A program that cannot be run at all fails every connection: stop and say why.
    const stopped = new AbortController();
    let startFailure: unknown;
    const stats = await serveTcp(bound, out, {
      mode,
      keepOpen: args.flag("keep-open"),
      maxConns,
      idleMs,
      greeting,
      signal: AbortSignal.any([signal, stopped.signal]),
      access,
      taps: tapsOf(args, out, log, true),
      exec: argv && {
        argv,
        onStartFailure(err) {
          startFailure ??= err;
          stopped.abort();
        },
      },
    });
    if (startFailure !== undefined) throw execFailure(startFailure);
    if (signal.aborted) printSummary(out, stats, { denied: access?.denied });
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
