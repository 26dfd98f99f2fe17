/**
 * CLI wiring of `sockit tftp serve | get | put`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec, OptionSpec } from "../command/spec.ts";
import type { Args } from "../command/values.ts";
import {
  CliError,
  describeError,
  ExitCode,
  exitCodeOf,
  input,
  inputAsync,
  UsageError,
} from "../console/errors.ts";
import {
  formatHostPort,
  type HostAddress,
  isLoopbackHost,
  parseHostListen,
  parseHostTarget,
} from "../inet/address.ts";
import { checkShareDir, openShare } from "../share/sandbox.ts";
import { escapeText } from "../text/escape.ts";
import { openDatagram } from "../udp/socket.ts";
import { ACCESS_HELP_DATAGRAM, ACCESS_OPTIONS } from "../command/options.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import { defaultBind } from "../udp/send.ts";
import type { Planner } from "../command/plan.ts";
import { checkDestination } from "../command/destination.ts";
import { type ClientOptions, LocalFileError, tftpGet, tftpPut } from "./client.ts";
import { MAX_FILENAME, type Mode, TFTP_PORT } from "./packet.ts";
import { serveTftp, tftpSummary } from "./server.ts";
import { TransferError } from "./transfer.ts";

const serveCommand: CommandSpec = {
  kind: "command",
  name: "serve",
  summary: "Serve DIR (default .) over TFTP, read-only unless --allow-write.",
  usage: "[DIR]",
  args: { min: 0, max: 1 },
  options: {
    listen: {
      type: "string",
      value: "ADDR",
      help: "address to serve on",
      default: `127.0.0.1:${TFTP_PORT}`,
    },
    "allow-write": { type: "boolean", help: "accept uploads that replace existing files" },
    create: { type: "boolean", help: "with --allow-write, let uploads create new files" },
    retries: {
      type: "string",
      value: "N",
      help: "retransmissions before a transfer is dropped",
      default: 5,
      max: 100,
    },
    "max-per-address": {
      type: "string",
      value: "N",
      help: "transfers at once from one client address",
      default: 32,
      min: 1,
      max: 256,
    },
    ...ACCESS_OPTIONS,
  },
  description: [
    "TFTP (RFC 1350) with options: blksize (8-65464), timeout, tsize and windowsize (RFC 7440), " +
    "in octet and netascii mode; files past 65535 blocks wrap the block number to 0 as " +
    "tftp-hpa and curl do. Each transfer runs on a port of its own, beside the others; a " +
    "datagram from anywhere else gets ERROR 5 and does not disturb it.",
    "Nothing outside DIR is served or written: not through '..', absolute paths (a leading / " +
    "is dropped), backslashes, hidden names or symbolic links that leave DIR. Uploads are " +
    "refused without --allow-write, and then only replace existing files unless --create. An " +
    "upload is stored under a temporary name and renamed over the target once complete, " +
    "before its last ACK, so an aborted upload leaves the old file intact.",
    "A transfer whose first packet (DATA 1, OACK or ACK 0) is not answered within 5 s is " +
    "dropped, and gives way to a new request sooner when its address has --max-per-address " +
    "transfers or the server 256: a flood of requests that are never answered cannot lock " +
    "other clients out.",
    `Try: curl -o FILE tftp://127.0.0.1:${TFTP_PORT}/FILE, or tftp-hpa: ` +
    `tftp 127.0.0.1 ${TFTP_PORT} -m octet -c get FILE.`,
    ACCESS_HELP_DATAGRAM + " That holds for requests and for packets to a transfer's port " +
    "alike (a denied stranger there gets no ERROR 5).",
  ],
  verbose: "log every request, and each repeated request ignored",
  examples: [
    `sockit tftp serve                         # share . on 127.0.0.1:${TFTP_PORT}`,
    "sudo sockit tftp serve /srv/tftp --listen 0.0.0.0:69",
    "sockit tftp serve ./drop --allow-write --create",
    "sockit tftp serve /srv/tftp --listen 0.0.0.0:6969 --allow 10.0.0.0/8",
  ],
  plan(args, p) {
    const listen = args.string("listen");
    p.address(listen, listenAddress);
    planAccess(args, p);
    // Each transfer runs on a port of its own and answers the client's port.
    const host = p.describe ? "HOST" : listenAddress(listen).hostname;
    p.answerPeers(host, isLoopbackHost(host));
    const dir = args.positional(0, ".");
    if (!p.describe) checkShareDir(dir);
    p.read(dir);
    if (args.flag("allow-write")) p.write(dir);
  },
  async run({ args, out, signal }) {
    const dir = args.positional(0, ".");
    const address = input(() => listenAddress(args.string("listen")));
    const allowWrite = args.flag("allow-write");
    const create = args.flag("create");
    if (create && !allowWrite) throw new UsageError("--create needs --allow-write");
    const maxRetries = args.number("retries");
    const maxPerAddress = args.number("max-per-address");
    const gate = input(() => AccessGate.of(args, out));
    const sandbox = await inputAsync(() => openShare(dir));
    const socket = openDatagram(address, out, { announce: true, label: "tftp" });
    const access = allowWrite
      ? (create ? "read-write, new files allowed" : "read-write")
      : "read-only";
    out.status(`sharing ${sandbox.root} (${access})`);
    const stats = await serveTftp(socket, out, {
      sandbox,
      allowWrite,
      create,
      maxRetries,
      maxPerAddress,
      signal,
      access: gate,
    });
    const denied = gate ? `, ${gate.denied} denied` : "";
    out.status(tftpSummary(stats) + denied, {
      event: "summary",
      ...stats,
      ...(gate ? { denied: gate.denied } : {}),
    });
    return exitCodeOf(signal);
  },
};

/** Options of get and put. */
const transferOptions: Record<string, OptionSpec> = {
  blksize: {
    type: "string",
    value: "N",
    help: "block size to ask for, 8-65464",
    default: 1468,
    min: 8,
    max: 65464,
  },
  windowsize: {
    type: "string",
    value: "N",
    help: "blocks per ACK to ask for, 1-65535",
    default: 1,
    min: 1,
    max: 65535,
  },
  timeout: {
    type: "string",
    value: "S",
    help: "retransmission timeout in seconds, 1-255",
    default: 1,
    min: 1,
    max: 255,
  },
  retries: {
    type: "string",
    value: "N",
    help: "retransmissions before giving up",
    default: 5,
    max: 100,
  },
  mode: {
    type: "string",
    value: "MODE",
    help: "transfer mode",
    choices: ["octet", "netascii"],
    default: "octet",
  },
};

const transferDescription =
  "TARGET is HOST[:PORT], port 69 by default. sockit asks for blksize 1468 (a full Ethernet " +
  "frame) and the file's size; a server that ignores options is answered in plain TFTP, and " +
  "one that refuses them (ERROR 8) is asked again without. --windowsize N (RFC 7440) lets " +
  "N blocks go per ACK, which is much faster with a server that supports it (sockit does; " +
  "tftp-hpa and curl do not); a window carries at most 64 KiB (windowsize × blksize), so no " +
  "receiver's socket buffer overflows. A lost packet is resent after --timeout seconds, doubling up " +
  "to 8 s, at most --retries times; then the transfer stops with exit 1.";

function clientOptions(args: Args, signal: AbortSignal): ClientOptions {
  return {
    blksize: args.number("blksize"),
    windowsize: args.number("windowsize"),
    timeout: args.number("timeout"),
    maxRetries: args.number("retries"),
    mode: args.choice<Mode>("mode"),
    signal,
  };
}

/**
 * A client's failure as the CLI reports it: a failed transfer names the
 * server (exit 1), a local file that is not a regular file is a usage error
 * (exit 2), an interruption exits 130.
 */
function clientError(err: unknown, target: HostAddress): CliError {
  if (err instanceof TransferError) {
    // The message may quote the server (its ERROR text, its options): escaped for the terminal.
    return new CliError(
      `transfer with ${formatHostPort(target.hostname, target.port)} failed: ${
        escapeText(err.message)
      }`,
      { cause: err },
    );
  }
  if (err instanceof LocalFileError) {
    const exitCode = err.reason === "not a file" ? ExitCode.usage : ExitCode.failed;
    return new CliError(err.message, { exitCode, cause: err });
  }
  return describeError(err);
}

/** `tftp serve`'s ADDR. */
function listenAddress(text: string): HostAddress {
  return parseHostListen(text, { transport: "udp" });
}

/** TARGET of get and put: HOST[:PORT], port 69 by default. */
function targetAddress(text: string): HostAddress {
  return parseHostTarget(text, { defaultPort: 69, transport: "udp" });
}

/**
 * The network part of get's and put's plan: the server's host on any port
 * (it answers from a transfer port of its choosing) and the local socket.
 */
function planClient(args: Args, p: Planner): void {
  if (p.describe) return p.host("HOST");
  const target = targetAddress(args.positional(0));
  p.peer(target.hostname);
  const bind = defaultBind(target);
  p.hostPort(bind.hostname, bind.port);
}

function remoteName(value: string): string {
  const bytes = new TextEncoder().encode(value).length;
  if (bytes === 0 || bytes > MAX_FILENAME || value.includes("\0")) {
    throw new UsageError(
      `Cannot use remote name "${value}": must be 1-${MAX_FILENAME} bytes without NUL`,
    );
  }
  return value;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).filter((part) => part !== "").at(-1) ?? "";
}

const getCommand: CommandSpec = {
  kind: "command",
  name: "get",
  summary: "Download REMOTE: written to LOCAL.part, renamed to LOCAL when complete.",
  usage: "TARGET REMOTE",
  args: { min: 2, max: 2 },
  options: {
    output: { type: "string", short: "o", value: "LOCAL", help: "where to save (- for stdout)" },
    force: { type: "boolean", help: "replace an existing LOCAL" },
    ...transferOptions,
  },
  description: [
    transferDescription,
    "LOCAL defaults to REMOTE's base name; an existing LOCAL is replaced only with --force, " +
    "and a LOCAL that is a folder, or whose folder is missing, is refused (exit 2) before " +
    "anything is asked of the server. Data goes to LOCAL.part, renamed to LOCAL once the last " +
    "block is written; a failed or interrupted transfer removes the .part, since TFTP cannot " +
    "resume.",
  ],
  examples: [
    `sockit tftp get 127.0.0.1:${TFTP_PORT} notes.txt`,
    "sockit tftp get 192.168.1.1 pxelinux.0 -o boot/pxelinux.0",
    `sockit tftp get 127.0.0.1:${TFTP_PORT} big.iso --windowsize 16   # sockit or atftp servers`,
  ],
  plan(args, p) {
    planClient(args, p);
    const local = args.text("output") ?? (p.describe ? "LOCAL" : baseName(args.positional(1)));
    if (local !== "-") p.besides(local);
  },
  async run({ args, out, signal }) {
    const target = input(() => targetAddress(args.positional(0)));
    const remote = remoteName(args.positional(1));
    const local = args.text("output") ?? baseName(remote);
    if (local === "") throw new UsageError(`Cannot name the download of "${remote}": use -o`);
    const refusal = await checkDestination(local, { force: args.flag("force") });
    if (refusal?.problem === "exists") {
      throw new CliError(refusal.message, { hint: "use --force to replace it" });
    }
    if (refusal) {
      throw new UsageError(
        refusal.message,
        refusal.problem === "directory" ? "use -o DIR/NAME" : undefined,
      );
    }
    try {
      await tftpGet(target, out, { ...clientOptions(args, signal), remote, local });
    } catch (err) {
      throw clientError(err, target);
    }
    return ExitCode.ok;
  },
};

const putCommand: CommandSpec = {
  kind: "command",
  name: "put",
  summary: "Upload LOCAL as REMOTE (default: LOCAL's base name).",
  usage: "TARGET LOCAL [REMOTE]",
  args: { min: 2, max: 3 },
  options: transferOptions,
  description: [
    transferDescription,
    "The server decides whether an upload may replace or create a file (sockit tftp serve: " +
    "--allow-write, --create; tftp-hpa: -c). The size goes along as tsize, so a server can " +
    "refuse a file too large for it before any data is sent.",
  ],
  examples: [
    `sockit tftp put 127.0.0.1:${TFTP_PORT} config.txt`,
    "sockit tftp put 192.168.1.1 firmware.bin uploads/firmware.bin --blksize 8192",
  ],
  plan(args, p) {
    planClient(args, p);
    p.read(args.positional(1));
  },
  async run({ args, out, signal }) {
    const target = input(() => targetAddress(args.positional(0)));
    const local = args.positional(1);
    const remote = remoteName(args.positional(2, baseName(local)));
    try {
      await tftpPut(target, out, { ...clientOptions(args, signal), local, remote });
    } catch (err) {
      throw clientError(err, target);
    }
    return ExitCode.ok;
  },
};

/** The `tftp` group. */
export const tftpGroup: GroupSpec = {
  kind: "group",
  name: "tftp",
  summary: "TFTP file transfer over UDP: serve a folder, get and put files (curl, tftp-hpa)",
  commands: [serveCommand, getCommand, putCommand],
};
