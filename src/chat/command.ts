/**
 * CLI wiring of `sockit chat serve` and `sockit chat join`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec } from "../command/spec.ts";
import { exitCodeOf, input } from "../console/errors.ts";
import { parseConnectTarget, parseListenAddress } from "../inet/address.ts";
import { listen } from "../net/endpoint.ts";
import {
  clientWantsTls,
  planTlsClient,
  planTlsServer,
  TLS_SERVER_OPTIONS,
  tlsClientOptions,
} from "../command/tls.ts";
import { clientTls, startTls } from "../tls/args.ts";
import { ACCESS_HELP_STREAM, ACCESS_OPTIONS, MAX_CONNS } from "../command/options.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { printSummary } from "../net/server.ts";
import { runChatClient } from "./client.ts";
import { serveChat } from "./server.ts";

const serveCommand: CommandSpec = {
  kind: "command",
  name: "serve",
  summary: "Run a chat relay on ADDR: every client's lines go to all the others.",
  usage: "ADDR",
  args: { min: 1, max: 1 },
  options: {
    "max-conns": MAX_CONNS,
    ...TLS_SERVER_OPTIONS,
    ...ACCESS_OPTIONS,
  },
  description: [
    "Any nc or telnet is a client. A client is userN until '/nick NAME' (unique, letters, " +
    "digits, _ . -, at most 32). Every other line goes to all other clients as '<NAME> TEXT'. " +
    "Commands: /nick NAME, /who, /msg NAME TEXT (delivered as '*NAME* TEXT'), /quit. Joins and " +
    "leaves are announced as '* NAME joined' and '* NAME left'. A line starting with // is " +
    "sent as text starting with /.",
    "Lines are UTF-8 of at most 4096 bytes: a longer or invalid line is refused with a notice " +
    "and the connection kept. Control characters and terminal escape sequences are stripped. " +
    "A client that stops reading is disconnected once 1 MiB is queued for it ('* NAME left " +
    "(not reading)'); it never delays the others. A line cut off by a disconnect is not relayed.",
    ACCESS_HELP_STREAM,
  ],
  examples: [
    "sockit chat serve 6667",
    "sockit chat serve 0.0.0.0:6667 --max-conns 200   # a classroom",
    "sockit chat serve 6697 --tls                      # TLS with a fresh self-signed certificate",
    "sockit chat serve 0.0.0.0:6667 --allow 192.168.1.0/24   # this LAN only",
    "nc 127.0.0.1 6667                                 # join with plain netcat",
  ],
  plan(args, p) {
    p.address(args.positional(0), parseListenAddress);
    planTlsServer(args, p);
    planAccess(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseListenAddress(args.positional(0)));
    const maxConns = args.number("max-conns");
    const access = input(() => AccessGate.of(args, out));
    const tls = await startTls(args, address, out);
    const bound = listen(address, out, { tls });
    const stats = await serveChat(bound, out, { maxConns, signal, access });
    printSummary(out, stats, { denied: access?.denied });
    return exitCodeOf(signal);
  },
};

const joinCommand: CommandSpec = {
  kind: "command",
  name: "join",
  summary: "Join a chat relay: stdin lines to the server, server lines to stdout.",
  usage: "TARGET",
  args: { min: 1, max: 1 },
  options: {
    nick: { type: "string", value: "NAME", help: "take this name on joining (/nick NAME)" },
    ...tlsClientOptions(),
  },
  description: [
    "Every line from the server is printed with control characters escaped, so a hostile " +
    "server cannot drive your terminal. Exits 0 when the server closes; at stdin EOF the " +
    "client leaves.",
  ],
  examples: [
    "sockit chat join 127.0.0.1:6667 --nick Ada",
    "echo '/who' | sockit chat join 127.0.0.1:6667",
    "sockit chat join 127.0.0.1:6697 --tls --pin 3f1c…   # the fingerprint the server printed",
  ],
  plan(args, p) {
    p.address(args.positional(0), parseConnectTarget, "connect");
    if (clientWantsTls(args)) planTlsClient(args, p);
  },
  async run({ args, out, signal }) {
    const address = input(() => parseConnectTarget(args.positional(0)));
    const tls = await clientTls(args, out);
    await runChatClient(address, out, { nick: args.text("nick"), signal, tls });
    return exitCodeOf(signal);
  },
};

/** The `chat` group. */
export const chatGroup: GroupSpec = {
  kind: "group",
  name: "chat",
  summary: "Chat relay for many clients (nc/telnet work as clients) and its client",
  commands: [serveCommand, joinCommand],
};
