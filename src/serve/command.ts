/**
 * `sockit serve`: every sockit service in one process, on well-known-style
 * ports of one host, for a lab, a classroom or a quick LAN test.
 *
 * @module
 */

import type { CommandSpec } from "../command/spec.ts";
import { CliError, exitCodeOf, input, inputAsync, UsageError } from "../console/errors.ts";
import type { Args } from "../command/values.ts";
import {
  formatHostPort,
  type HostAddress,
  isLoopbackHost,
  parseHostListen,
} from "../inet/address.ts";
import { type BoundListener, listen } from "../net/endpoint.ts";
import { serveChat } from "../chat/server.ts";
import { type HttpFace, serveHttp } from "../files/http.ts";
import { serveFiles } from "../files/server.ts";
import { checkShareDir, openShare } from "../share/sandbox.ts";
import { serveUdp } from "../udp/server.ts";
import { TFTP_PORT } from "../tftp/packet.ts";
import { serveTftp, type TftpStats, tftpSummary } from "../tftp/server.ts";
import { type DatagramSocket, openDatagram } from "../udp/socket.ts";
import { addStats, printSummary, type ServerStats } from "../net/server.ts";
import { serveTcp, type TcpMode } from "../tcp/server.ts";
import { ACCESS_OPTIONS } from "../command/options.ts";
import { planTlsServer, TLS_SERVER_OPTIONS } from "../command/tls.ts";
import { startTls } from "../tls/args.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";

/** One service of `sockit serve`. */
export interface ServiceSpec {
  label: string;
  transport: "tcp" | "udp";
  port: number;
  /** TCP mode, the chat relay, the file service, UDP reply, or TFTP. */
  mode: TcpMode | "chat" | "files" | "http" | "tftp";
  /** A client command to try it; `ADDR` is replaced by the service's address. */
  tryIt: string;
}

/**
 * The services and their ports: the classic port number written twice
 * (echo 7 → 7007, daytime's 13 → 1313 for the timestamp service), so no root
 * is needed. TCP and UDP share a port number, as the classic services do.
 * The chat relay sits on IRC's 6667, TFTP on 6969 (the usual stand-in for 69).
 */
export const SERVICES: ServiceSpec[] = [
  {
    label: "files",
    transport: "tcp",
    port: 9000,
    mode: "files",
    tryIt: "sockit files ls ADDR",
  },
  {
    label: "http",
    transport: "tcp",
    port: 8080,
    mode: "http",
    tryIt: "open http://ADDR/ in a browser, or: curl http://ADDR/",
  },
  {
    label: "echo",
    transport: "tcp",
    port: 7007,
    mode: "echo",
    tryIt: "echo hello | sockit tcp connect ADDR",
  },
  {
    label: "stamp",
    transport: "tcp",
    port: 1313,
    mode: "stamp",
    tryIt: "echo hello | sockit tcp connect ADDR",
  },
  {
    label: "greet",
    transport: "tcp",
    port: 7070,
    mode: "greet",
    tryIt: "echo Ada | sockit tcp connect ADDR",
  },
  {
    label: "chat",
    transport: "tcp",
    port: 6667,
    mode: "chat",
    tryIt: "sockit chat join ADDR --nick Ada   (or: nc HOST PORT)",
  },
  {
    label: "udp-echo",
    transport: "udp",
    port: 7007,
    mode: "echo",
    tryIt: "sockit udp send ADDR hello --wait 500",
  },
  {
    label: "udp-stamp",
    transport: "udp",
    port: 1313,
    mode: "stamp",
    tryIt: "sockit udp send ADDR hello --wait 500",
  },
  {
    label: "tftp",
    transport: "udp",
    port: TFTP_PORT,
    mode: "tftp",
    tryIt: "sockit tftp get ADDR FILE   (or: curl -O tftp://ADDR/FILE)",
  },
];

export const serveCommand: CommandSpec = {
  kind: "command",
  name: "serve",
  summary: "Run every sockit service at once on HOST (default 127.0.0.1)",
  usage: "[DIR]",
  args: { min: 0, max: 1 },
  options: {
    host: { type: "string", value: "HOST", help: "address to serve on", default: "127.0.0.1" },
    only: { type: "string", value: "NAMES", help: "start only these services (comma-separated)" },
    skip: { type: "string", value: "NAMES", help: "start every service but these" },
    "port-offset": {
      type: "string",
      value: "N",
      help: "add N to every port (e.g. 10000: files on 19000)",
      default: 0,
      max: 65535 - Math.max(...SERVICES.map((s) => s.port)),
    },
    ...ACCESS_OPTIONS,
    ...TLS_SERVER_OPTIONS,
  },
  description: [
    "Services and ports: " +
    SERVICES.map((s) => `${s.label} ${s.transport}/${s.port}`).join(", ") +
    ". Each listener prints 'listening on HOST:PORT (SERVICE)'; then one line per service " +
    "with a client command to try. Ctrl-C stops them all (exit 130).",
    "DIR (default .) is the folder the file, HTTP and TFTP services share, read-only, with the " +
    "sandbox rules of 'files serve'.",
    "--only and --skip take service names as listed above (e.g. --skip tftp,chat); " +
    "--port-offset N moves every port up by N. A service whose port is in use is reported " +
    "('not started: http: 127.0.0.1:8080 is in use') and the others run; serve fails (exit 1) " +
    "only when none starts.",
    "--tls puts TLS on every TCP service (the HTTP face becomes HTTPS) with one certificate: " +
    "a fresh self-signed one for HOST and localhost unless --cert/--key, its fingerprint " +
    "printed before the listening lines; the UDP services and TFTP stay as they are.",
    "--allow and --deny apply to every service: a denied client is closed before a byte, a " +
    "denied datagram (UDP services, TFTP) is dropped unanswered.",
    "Use --host 0.0.0.0 to let other machines in. On a loopback HOST the plan is " +
    "--allow-net=HOST; on any other, all of --allow-net, since the UDP services and TFTP " +
    "answer whoever asks.",
  ],
  examples: [
    "sockit serve",
    "sockit serve --host 0.0.0.0",
    "sockit serve --host 0.0.0.0 --allow 192.168.1.0/24   # a lab LAN only",
    "deno run --allow-net=127.0.0.1 --allow-read=. main.ts serve",
  ],
  plan(args, p) {
    const host = args.string("host");
    if (!p.describe) {
      const offset = args.number("port-offset");
      for (const s of chosenServices(args)) input(() => parseAddressFor(host, s.port + offset));
    }
    // TFTP transfers and the UDP services answer from and to any port.
    p.answerPeers(host, isLoopbackHost(host));
    const dir = args.positional(0, ".");
    if (!p.describe) checkShareDir(dir);
    p.read(dir);
    planAccess(args, p);
    planTlsServer(args, p);
  },
  async run({ args, out, signal }) {
    const host = args.string("host");
    const offset = args.number("port-offset");
    const services = chosenServices(args);
    const access = input(() => AccessGate.of(args, out));
    const sandbox = await inputAsync(() => openShare(args.positional(0, ".")));
    const hostAddress = input(() => parseAddressFor(host, 1));
    const credentials = await startTls(args, hostAddress, out);
    // One certificate for every service: its fingerprint is printed once, here.
    const tls = credentials && { ...credentials, announced: true };
    if (credentials) {
      out.essential(
        `tls fingerprint SHA256 ${credentials.fingerprint}` +
          (credentials.selfSigned ? " (self-signed, made now; clients: --pin FINGERPRINT)" : ""),
      );
    }
    // The HTTP face stops on its signal: Ctrl-C, or a later service failing to start.
    const startFailed = new AbortController();
    const httpSignal = AbortSignal.any([signal, startFailed.signal]);
    const addresses = services.map((s) => input(() => parseAddressFor(host, s.port + offset)));
    const opened: {
      service: ServiceSpec;
      tcp?: BoundListener;
      udp?: DatagramSocket;
      http?: HttpFace;
    }[] = [];
    for (const [i, service] of services.entries()) {
      const address = addresses[i]!;
      try {
        opened.push(
          service.mode === "http"
            ? {
              service,
              http: serveHttp(address, sandbox, out, {
                label: service.label,
                signal: httpSignal,
                access,
                tls: tls && { ...tls, alpn: ["http/1.1"] },
              }),
            }
            : service.transport === "tcp"
            ? { service, tcp: listen(address, out, { label: service.label, tls }) }
            : {
              service,
              udp: openDatagram(address, out, { announce: true, label: service.label }),
            },
        );
      } catch (err) {
        if (isInUse(err)) {
          const where = formatHostPort(host, service.port + offset);
          out.warn(
            `not started: ${service.label}: ${where} is in use ` +
              `(try --port-offset or --skip ${service.label})`,
          );
          continue;
        }
        for (const o of opened) (o.tcp ?? o.udp)?.close();
        startFailed.abort();
        await Promise.all(opened.map((o) => o.http?.finished));
        if (!(err instanceof CliError)) throw err;
        throw new CliError(`${service.label}: ${err.message}`, { hint: err.hint, cause: err });
      }
    }
    if (opened.length === 0) {
      startFailed.abort();
      throw new CliError("no service started", { hint: "free the ports, or use --port-offset" });
    }
    const count = opened.length === 1 ? "1 service" : `${opened.length} services`;
    out.status(`sockit serve: ${count} on ${host} (Ctrl-C stops)`);
    for (const { service } of opened) {
      const address = formatHostPort(host, service.port + offset);
      let tryIt = service.tryIt.replaceAll("ADDR", address).replaceAll("HOST", host)
        .replaceAll("PORT", String(service.port + offset));
      if (tls && service.transport === "tcp") tryIt = withTls(tryIt, tls.fingerprint);
      out.status(
        `  ${service.label.padEnd(9)} ${service.transport} ${address.padEnd(21)} try: ${tryIt}`,
      );
    }
    const total: ServerStats = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
    let datagrams = 0;
    let tftp: TftpStats | undefined;
    await Promise.all(opened.map(async ({ service, tcp, udp, http }) => {
      if (http) {
        addStats(total, await http.finished);
      } else if (tcp) {
        const r = service.mode === "chat"
          ? await serveChat(tcp, out, { label: service.label, signal, access })
          : service.mode === "files"
          ? await serveFiles(tcp, sandbox, out, { label: service.label, signal, access })
          : await serveTcp(tcp, out, {
            // chat, files and http are handled above; what is left is a TCP mode
            mode: service.mode as TcpMode,
            keepOpen: true,
            label: service.label,
            signal,
            access,
          });
        total.connections += r.connections;
        total.refused += r.refused;
        total.bytesIn += r.bytesIn;
        total.bytesOut += r.bytesOut;
      } else if (udp && service.mode === "tftp") {
        tftp = await serveTftp(udp, out, { sandbox, label: service.label, signal, access });
      } else if (udp) {
        const r = await serveUdp(udp, out, {
          reply: service.mode === "stamp" ? "stamp" : "echo",
          print: false,
          label: service.label,
          signal,
          access,
        });
        datagrams += r.datagrams;
      }
    }));
    printSummary(out, total, {
      datagrams,
      denied: access?.denied,
      ...(tftp ? { more: [`TFTP ${tftpSummary(tftp)}`], fields: { tftp } } : {}),
    });
    return exitCodeOf(signal);
  },
};

/** The services --only and --skip leave. */
function chosenServices(args: Args): ServiceSpec[] {
  const names = (option: string) => {
    const text = args.text(option);
    if (text === undefined) return undefined;
    const list = text.split(",").map((n) => n.trim()).filter((n) => n !== "");
    for (const name of list) {
      if (!SERVICES.some((s) => s.label === name)) {
        throw new UsageError(
          `Cannot use --${option} "${name}": services are ${
            SERVICES.map((s) => s.label).join(", ")
          }`,
        );
      }
    }
    return list;
  };
  const only = names("only");
  const skip = names("skip") ?? [];
  const chosen = SERVICES.filter((s) =>
    (only ? only.includes(s.label) : true) && !skip.includes(s.label)
  );
  if (chosen.length === 0) throw new UsageError("--only and --skip leave no service to start");
  return chosen;
}

/** A listener that failed because its port is taken (through any wrapping). */
function isInUse(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof Deno.errors.AddrInUse) return true;
    e = e.cause;
  }
  return false;
}

/** A service's try-it line for its TLS listener: https URLs, sockit clients with the pin. */
function withTls(tryIt: string, fingerprint: string): string {
  return tryIt
    .replaceAll("http://", "https://")
    .replaceAll("curl https://", "curl -k https://")
    .replace(
      /(sockit (?:tcp connect|files ls|chat join) \S+)/g,
      `$1 --pin ${fingerprint}`,
    )
    .replace("(or: nc ", "(or: ncat --ssl ");
}

function parseAddressFor(host: string, port: number): HostAddress {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return parseHostListen(`${bracketed}:${port}`);
}
