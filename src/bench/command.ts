/**
 * CLI wiring of `sockit bench serve | client`.
 *
 * @module
 */

import { ACCESS_OPTIONS, timeoutOption } from "../command/options.ts";
import {
  clientWantsTls,
  planTlsClient,
  planTlsServer,
  TLS_SERVER_OPTIONS,
  tlsClientOptions,
} from "../command/tls.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { clientTls, startTls } from "../tls/args.ts";
import type { CommandSpec, GroupSpec } from "../command/spec.ts";
import type { Args } from "../command/values.ts";
import { CliError, exitCodeOf, input, UsageError } from "../console/errors.ts";
import { formatSize } from "../console/format.ts";
import {
  type HostAddress,
  isLoopbackHost,
  parseHostListen,
  parseHostTarget,
} from "../inet/address.ts";
import { BenchError, runBenchClient } from "./client.ts";
import {
  DEFAULT_TCP_LEN,
  DEFAULT_UDP_LEN,
  DEFAULT_UDP_RATE,
  LIMITS,
  type TestParams,
} from "./protocol.ts";
import { serveBench } from "./server.ts";

/** iperf3's port. */
export const BENCH_PORT = 5201;
const DEFAULT_LISTEN = `127.0.0.1:${BENCH_PORT}`;

function listenAddress(text: string): HostAddress {
  return parseHostListen(text, { defaultHost: "127.0.0.1" });
}

/** TARGET with its port, or with `-p PORT` (or 5201) when it names a host alone. */
function targetOf(args: Args): HostAddress {
  const text = args.positional(0);
  const port = args.integer("port");
  let explicit: HostAddress | undefined;
  try {
    explicit = parseHostTarget(text);
  } catch (err) {
    if (!(err instanceof SyntaxError) || !/expected HOST:PORT/.test(err.message)) throw err;
  }
  if (explicit) {
    if (port !== undefined && port !== explicit.port) {
      throw new SyntaxError(`Cannot use -p ${port} with target "${text}": give the port once`);
    }
    return explicit;
  }
  return parseHostTarget(text, { defaultPort: port ?? BENCH_PORT });
}

/**
 * A rate in bits per second: a number with `k`, `m` or `g` (powers of 1000,
 * either case, as iperf3 reads `-b`); 0 is unlimited.
 */
export function parseRate(text: string): number {
  const match = /^(\d{1,12}(?:\.\d{1,6})?)([kKmMgG]?)$/.exec(text);
  if (!match) {
    throw new UsageError(`Cannot parse -b "${text}": expected bits per second, or with k, m, g`);
  }
  const scale = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[match[2]!.toLowerCase()]!;
  return Math.round(Number(match[1]) * scale);
}

function paramsOf(args: Args): TestParams {
  const udp = args.flag("udp");
  const timeGiven = args.values["time"] !== undefined;
  const bytes = args.integer("bytes") ?? 0;
  if (timeGiven && args.values["bytes"] !== undefined) {
    throw new UsageError("-t and -n cannot be used together: a test ends by time or by bytes");
  }
  if (args.flag("reverse") && args.flag("bidir")) {
    throw new UsageError("-R and --bidir cannot be used together");
  }
  const len = args.integer("length") ?? (udp ? DEFAULT_UDP_LEN : DEFAULT_TCP_LEN);
  if (udp && (len < LIMITS.minUdpBlock || len > LIMITS.maxUdpBlock)) {
    throw new UsageError(
      `Cannot send ${len}-byte datagrams: -l must be ${LIMITS.minUdpBlock}-${LIMITS.maxUdpBlock} with -u`,
    );
  }
  if (!udp && len > LIMITS.maxBlock) {
    throw new UsageError(`Cannot write ${formatSize(len)} blocks: -l must be at most 1M for TCP`);
  }
  const rate = args.text("bitrate");
  return {
    protocol: udp ? "udp" : "tcp",
    time: bytes > 0 ? 0 : args.number("time"),
    bytes,
    blocks: 0,
    parallel: args.number("parallel"),
    direction: args.flag("bidir") ? "bidir" : args.flag("reverse") ? "down" : "up",
    len,
    bandwidth: rate === undefined ? (udp ? DEFAULT_UDP_RATE : 0) : parseRate(rate),
    counters64: false,
    latency: args.flag("latency"),
    clientVersion: "",
  };
}

const serveCommand: CommandSpec = {
  kind: "command",
  name: "serve",
  summary: "Run iperf3 tests for stock iperf3 clients and sockit clients, several at once.",
  usage: "[ADDR]",
  args: { min: 0, max: 1 },
  options: {
    "max-clients": {
      type: "string",
      value: "N",
      help: "tests at once; one more gets iperf3's busy answer",
      default: 8,
      min: 1,
    },
    once: { type: "boolean", help: "exit after one test" },
    timeout: timeoutOption(
      "a client's time for each setup step (cookie, parameters, streams, results)",
      10_000,
    ),
    ...ACCESS_OPTIONS,
    ...TLS_SERVER_OPTIONS,
  },
  description: [
    `ADDR defaults to ${DEFAULT_LISTEN}; TCP and UDP tests share its port, as with iperf3. ` +
    "Stock `iperf3 -c` clients (TCP, -u, -R, --bidir, -P, -t, -n, -b, -l) and " +
    "`sockit bench client` run their tests here, up to --max-clients at the same time; " +
    "one more gets iperf3's ACCESS_DENIED, and a stock client says the server is busy.",
    "Each finished test prints one line: the client, protocol, streams, direction, bytes and " +
    "rate each way, and for UDP the jitter (RFC 3550, averaged over the test), lost/total and " +
    "out-of-order datagrams (counted apart from the lost ones). A client that sends garbage, " +
    "a wrong cookie, impossible parameters (-P over 128, UDP -l over 65507, a negative or " +
    "over-a-day duration), streams that never connect, or that vanishes mid-test ends only " +
    "its own test (answered with iperf3's SERVER_ERROR where it can read one) and is logged.",
    "UDP streams carry no cookie, so tests open their UDP streams one at a time. " +
    "The server also answers `--latency` probes of sockit clients on the same UDP port.",
    '--json: {"event":"test","from","protocol","direction","streams","bytesIn","bytesOut",' +
    '"seconds"} per test (UDP adds "jitterMs","lostPackets","packets","outOfOrder"), plus ' +
    "connection, refused, closed (a failed test, with its reason) and summary events.",
  ],
  examples: [
    "sockit bench serve",
    "sockit bench serve 0.0.0.0:5201 --max-clients 4",
    "sockit bench serve 5202 --once --json",
    "iperf3 -c 127.0.0.1 -P 4             # a stock client against it",
  ],
  plan(args, p) {
    p.address(args.positional(0, DEFAULT_LISTEN), listenAddress);
    // UDP tests are answered from the server's port to the client's, whatever port it picked
    // (its handshake reply, -R data, latency probes): any port of a loopback host, or anyone.
    const host = p.describe ? "HOST" : listenAddress(args.positional(0, DEFAULT_LISTEN)).hostname;
    p.answerPeers(host, isLoopbackHost(host));
    planAccess(args, p);
    planTlsServer(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => listenAddress(args.positional(0, DEFAULT_LISTEN)));
    const access = input(() => AccessGate.of(args, out));
    const tls = await startTls(args, address, out);
    const stats = await serveBench(address, out, {
      maxClients: args.number("max-clients"),
      once: args.flag("once"),
      setupTimeoutMs: args.number("timeout"),
      signal,
      access,
      tls,
    });
    await out.flush();
    out.status(
      `stopped: ${stats.tests} test${
        stats.tests === 1 ? "" : "s"
      } served, ${stats.failed} failed, ` +
        `${stats.refused} refused${access ? `, ${access.denied} denied` : ""} (${
          formatSize(stats.bytesIn)
        } in, ${formatSize(stats.bytesOut)} out)`,
      {
        event: "summary",
        connections: stats.tests + stats.failed,
        refused: stats.refused,
        bytesIn: stats.bytesIn,
        bytesOut: stats.bytesOut,
        ...(access ? { denied: access.denied } : {}),
      },
    );
    return exitCodeOf(signal);
  },
};

const clientCommand: CommandSpec = {
  kind: "command",
  name: "client",
  summary: "Measure throughput to an iperf3 server (stock iperf3 -s or sockit bench serve).",
  usage: "TARGET",
  args: { min: 1, max: 1 },
  options: {
    time: {
      type: "string",
      short: "t",
      value: "S",
      help: "test for S seconds",
      default: 10,
      min: 1,
      max: LIMITS.maxTime,
    },
    bytes: {
      type: "string",
      short: "n",
      value: "BYTES",
      help: "send BYTES in all instead (K, M, G)",
      min: 1,
    },
    udp: { type: "boolean", short: "u", help: "UDP instead of TCP" },
    bitrate: {
      type: "string",
      short: "b",
      value: "RATE",
      help: "bits/s per stream, k/m/g (UDP default 1m; 0 unlimited)",
    },
    length: {
      type: "string",
      short: "l",
      value: "BYTES",
      help: "block size (TCP 128K, UDP 1460)",
      min: 1,
    },
    parallel: {
      type: "string",
      short: "P",
      value: "N",
      help: "parallel streams",
      default: 1,
      min: 1,
      max: LIMITS.maxStreams,
    },
    reverse: { type: "boolean", short: "R", help: "the server sends" },
    bidir: { type: "boolean", help: "both send at once" },
    interval: {
      type: "string",
      short: "i",
      value: "S",
      help: "report every S seconds; 0 off",
      default: 1,
      max: 60,
    },
    port: {
      type: "string",
      short: "p",
      value: "N",
      help: "server port when TARGET is a host alone; 5201 if not given",
      min: 1,
      max: 65535,
    },
    latency: {
      type: "boolean",
      help: "also measure round-trip time, idle and under load (sockit server)",
    },
    ...tlsClientOptions(),
  },
  description: [
    "TARGET is HOST:PORT, or HOST alone for port 5201 (or -p PORT), as iperf3's `-c HOST -p PORT`. " +
    "Options keep iperf3's letters and meanings: -t (default 10 s) or -n, -u with -b (default " +
    "1 Mbit/s per stream), -l, -P, -R (server sends), --bidir (both), -i. Durations are whole " +
    "seconds (2, 2s, 1m).",
    "Each interval prints a line per stream (and [SUM] with -P): bytes and bit rate; for UDP " +
    "receivers the jitter (RFC 3550, averaged over the interval), lost/total and out-of-order " +
    "datagrams, the last two counted apart. The end prints sender and receiver totals. TCP " +
    "retransmits, RTT and cwnd are not shown: Deno does not expose TCP_INFO.",
    "--latency sends small UDP probes from a socket of their own, 20 ms apart before the test " +
    "(idle) and 50 ms apart during it (under load), to a port the server keeps for them, so " +
    "they never queue behind the test's data; it reports the round trip's p50/p99/max per " +
    "interval and in the totals. Only `sockit bench serve` answers them; against stock iperf3 " +
    "the client warns and goes on without.",
    "--json streams iperf3's names: start, one interval per line (streams, sum, " +
    "sum_bidir_reverse), end (streams with sender/receiver, sum_sent, sum_received). " +
    "A live progress line is drawn on a terminal only. Exit 1 when the server refuses " +
    "(busy) or breaks off the test; 2 for -t with -n, or -R with --bidir.",
    "--tls (sockit at both ends: stock iperf3 has no TLS) runs the control connection and TCP " +
    "streams over TLS, trusted as any sockit client trusts (--pin the fingerprint the server " +
    "printed, --cacert, --insecure); UDP test data stays plain UDP.",
  ],
  examples: [
    "sockit bench client 127.0.0.1:5201",
    "sockit bench client 192.168.1.20 -t 5 -P 4",
    "sockit bench client 127.0.0.1 -u -b 100m -l 1200",
    "sockit bench client 127.0.0.1:5201 -R --latency",
    "sockit bench client 127.0.0.1 -n 1G --bidir --json",
  ],
  plan(args, p) {
    p.address(args.positional(0), (text) => {
      if (p.describe) return parseHostTarget(text);
      return targetOf(args);
    }, "connect");
    if (args.flag("udp") || args.flag("latency")) {
      if (p.describe) p.hostPort("HOST", 0);
      else {
        const host = targetOf(args).hostname;
        const local = host === "localhost" || host.startsWith("127.")
          ? "127.0.0.1"
          : host === "::1"
          ? "::1"
          : host.includes(":")
          ? "::"
          : "0.0.0.0";
        p.hostPort(local, 0);
      }
    }
    // Latency probes go on to the port the server names for them.
    if (args.flag("latency")) p.peer(p.describe ? "HOST" : targetOf(args).hostname);
    if (clientWantsTls(args)) planTlsClient(args, p);
  },
  async run({ args, out, signal }) {
    const target = input(() => targetOf(args));
    const params = paramsOf(args);
    try {
      await runBenchClient(target, out, {
        params,
        intervalSeconds: args.number("interval"),
        signal,
        tls: await clientTls(args, out),
      });
    } catch (err) {
      if (err instanceof BenchError) {
        throw new CliError(
          err.message,
          err.busy ? { hint: "the server runs as many tests as it allows; try again later" } : {},
        );
      }
      throw err;
    }
    await out.flush();
    return exitCodeOf(signal);
  },
};

/** The `bench` group. */
export const benchGroup: GroupSpec = {
  kind: "group",
  name: "bench",
  summary: "Throughput tests that speak iperf3's protocol: serve many clients, measure latency",
  commands: [serveCommand, clientCommand],
};
