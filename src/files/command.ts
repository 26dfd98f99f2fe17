/**
 * CLI wiring of `sockit files serve | get | ls | put`.
 *
 * @module
 */

import { count, formatRate, formatSize } from "../console/format.ts";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command/spec.ts";
import type { Planner } from "../command/plan.ts";
import {
  clientWantsTls,
  planTlsClient,
  planTlsServer,
  TLS_SERVER_OPTIONS,
  tlsClientOptions,
} from "../command/tls.ts";
import { parseProxyUrl, type ProxyUrl } from "../inet/proxy_url.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { clientTls, readTlsClientOptions, startTls } from "../tls/args.ts";
import { HttpError } from "../http/client.ts";
import { parseHttpUrl } from "../http/request.ts";
import { ProxyError } from "../net/proxy.ts";
import { archiveUrl, fetchFolderArchive, folderName } from "./tar_client.ts";
import {
  CliError,
  describeError,
  ExitCode,
  exitCodeOf,
  input,
  inputAsync,
  isExpectedError,
  UsageError,
} from "../console/errors.ts";
import { checkDestination, STDOUT } from "../command/destination.ts";
import type { Output } from "../console/output.ts";
import {
  type Address,
  formatAddress,
  formatHostPort,
  type HostAddress,
  parseConnectTarget,
  parseHostListen,
  parseListenAddress,
} from "../inet/address.ts";
import { listen } from "../net/endpoint.ts";
import {
  ACCESS_HELP_STREAM,
  ACCESS_OPTIONS,
  idleOption,
  MAX_CONNS,
  millisecondsOption,
  planTarget,
  PROXY,
  timeoutOption,
} from "../command/options.ts";
import { AccessGate, planAccess } from "../net/access_gate.ts";
import type { Args } from "../command/values.ts";
import { escapeText } from "../text/escape.ts";
import {
  addStats,
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_PER_ADDRESS,
  printSummary,
} from "../net/server.ts";
import { checkShareDir, openShare } from "../share/sandbox.ts";
import {
  downloadFile,
  type DownloadOptions,
  downloadTree,
  FileClient,
  FileClientError,
  type FileFailure,
  formatListing,
  RemoteError,
  RestartError,
  type TreeCounts,
  uploadFile,
} from "./client.ts";
import { parsePath, ProtocolError } from "./protocol.ts";
import { type HttpFace, serveHttp } from "./http.ts";
import { findServers, startAnnouncer } from "./announce.ts";
import { encodeQr, qrHalfBlocks } from "../text/qr.ts";
import { announceName, DISCOVERY_BROADCAST, DISCOVERY_GROUP, DISCOVERY_PORT } from "./discovery.ts";
import { serveFiles } from "./server.ts";

const serveCommand: CommandSpec = {
  kind: "command",
  name: "serve",
  summary: "Share DIR (default .) read-only over the sockit file protocol.",
  usage: "[DIR]",
  args: { min: 0, max: 1 },
  options: {
    listen: {
      type: "string",
      value: "ADDR",
      help: "address to serve on",
      default: "127.0.0.1:9000",
    },
    http: { type: "string", value: "ADDR", help: "also serve DIR to browsers and curl on ADDR" },
    "max-conns": MAX_CONNS,
    "max-per-address": {
      type: "string",
      value: "N",
      help: "clients at once from one address; more are told busy",
      default: DEFAULT_MAX_PER_ADDRESS,
      min: 1,
    },
    idle: idleOption("close a client silent for MS", 60_000),
    "header-timeout": millisecondsOption(
      "a request line or header must be complete MS after its first byte",
      DEFAULT_HEADER_TIMEOUT_MS,
    ),
    "allow-upload": { type: "boolean", help: "accept 'files put' (never overwrites)" },
    "max-upload": { type: "string", value: "BYTES", help: "largest upload", default: 1024 ** 3 },
    "show-hidden": { type: "boolean", help: "list and serve dot files too" },
    ...TLS_SERVER_OPTIONS,
    ...ACCESS_OPTIONS,
    qr: {
      type: "boolean",
      help: "print the HTTP face's URL as a QR code (one per interface address for 0.0.0.0)",
    },
    announce: {
      type: "boolean",
      help: `announce the share on the LAN and answer 'files find' (UDP ${DISCOVERY_PORT})`,
    },
  },
  description: [
    "Nothing outside DIR is readable: not through '..', absolute or encoded paths, backslashes " +
    "or symbolic links (every path is resolved and must stay inside DIR). Hidden (dot) files " +
    "are neither listed nor served without --show-hidden. Uploads are refused unless " +
    "--allow-upload, and even then never replace an existing file.",
    "--http ADDR adds a face for browsers and curl: directory pages, ?json listings, downloads " +
    "with Content-Type, Last-Modified, ETag, HEAD and single byte ranges (206/416), and with " +
    "--allow-upload an upload form and PUT (curl -T FILE http://HOST:PORT/DIR/).",
    "Every directory page offers the folder as one .tar (DIR/?tar): streamed as it is read, " +
    "nothing staged on disk; what the share leaves out (hidden files, links leading outside " +
    "it or back up the folder, FIFOs and devices) the archive leaves out; names that do not " +
    "fit a ustar header (long, UTF-8, control characters) travel exactly in pax records. A " +
    "file that changes while it is sent breaks the download off rather than completing it.",
    "The protocol is a line protocol you can type: printf 'GET notes.txt\\n' | nc -N HOST 9000 " +
    "prints a header line and the file. It is specified in docs/file-protocol.md.",
    "Slow or greedy clients never hold the service: a client silent for --idle is closed, a " +
    "request line (or HTTP header) must be complete within --header-timeout of its first byte " +
    "however it trickles in, and one address holds at most --max-per-address of the " +
    "--max-conns connections. The file port and the HTTP face each keep to these limits; a " +
    "client over them is told busy (HTTP: 503).",
    ACCESS_HELP_STREAM + " The rules apply to the file port and the HTTP face alike.",
  ],
  examples: [
    "sockit files serve                      # share . on 127.0.0.1:9000",
    "sockit files serve ~/Public --listen 0.0.0.0:9000 --http 0.0.0.0:8080",
    "sockit files serve /srv/drop --allow-upload --max-upload 104857600",
    "sockit files serve --listen 0.0.0.0:9000 --allow 192.168.1.0/24 --deny 192.168.1.13",
  ],
  plan(args, p) {
    const dir = args.positional(0, ".");
    p.address(args.string("listen"), parseListenAddress);
    if (args.flag("announce")) discoveryPlan(p);
    const http = args.text("http");
    if (http !== undefined) p.address(http, parseHostListen);
    if (args.flag("qr") && http !== undefined && !p.describe && isWildcard(parseHostListen(http))) {
      p.grant("sys", "networkInterfaces");
    }
    if (!p.describe) checkShareDir(dir);
    p.read(dir);
    if (args.flag("allow-upload")) p.write(dir);
    planAccess(args, p);
    planTlsServer(args, p);
  },
  async run({ args, out, signal }) {
    const dir = args.positional(0, ".");
    const address = input(() => parseListenAddress(args.string("listen")));
    const httpText = args.text("http");
    if (args.flag("qr") && httpText === undefined) {
      throw new UsageError("--qr shows the HTTP face's URL: add --http ADDR");
    }
    const httpAddress = httpText === undefined ? undefined : input(() => parseHostListen(httpText));
    const allowUpload = args.flag("allow-upload");
    const maxUpload = args.number("max-upload");
    const maxConns = args.number("max-conns");
    const maxPerAddress = args.number("max-per-address");
    const idleMs = args.number("idle");
    const headerMs = args.number("header-timeout");
    const access = input(() => AccessGate.of(args, out));
    const limits = { maxConns, maxPerAddress, idleMs, headerMs, access };
    const showHidden = args.flag("show-hidden");
    const sandbox = await inputAsync(() => openShare(dir, { showHidden }));
    // One certificate for both faces: a client pins the same fingerprint for either.
    const tls = await startTls(args, httpAddress ?? address, out);
    const bound = listen(address, out, { ...(httpAddress ? { label: "files" } : {}), tls });
    let http;
    try {
      http = httpAddress &&
        serveHttp(httpAddress, sandbox, out, {
          allowUpload,
          maxUpload,
          ...limits,
          label: "http",
          signal,
          tls: tls && { ...tls, alpn: ["http/1.1"] },
        });
    } catch (err) {
      bound.close();
      throw err;
    }
    out.status(`sharing ${sandbox.root}${allowUpload ? " (uploads allowed)" : " (read-only)"}`);
    if (http && args.flag("qr")) printQr(http.address, out, tls !== undefined);
    let announcer: { finished: Promise<void> } | undefined;
    if (args.flag("announce")) {
      try {
        announcer = await announceShare(
          sandbox.root,
          bound.address,
          httpAddress && http,
          out,
          signal,
          tls?.fingerprint,
        );
      } catch (err) {
        bound.close();
        throw err;
      }
    }
    const [stats, httpStats] = await Promise.all([
      serveFiles(bound, sandbox, out, {
        allowUpload,
        maxUpload,
        ...limits,
        label: httpAddress ? "files" : undefined,
        signal,
      }),
      http?.finished,
      announcer?.finished,
    ]);
    // The summary counts the HTTP face's clients too.
    printSummary(out, addStats(stats, httpStats), { denied: access?.denied });
    return exitCodeOf(signal);
  },
};

/** `0.0.0.0` or `[::]`: every address of the host. */
function isWildcard(address: HostAddress): boolean {
  return address.hostname === "0.0.0.0" || address.hostname === "::";
}

/**
 * The URLs of the HTTP face: for a wildcard listener, one per address of a
 * non-loopback interface (IPv4, and IPv6 other than link-local for `[::]`).
 */
function httpUrls(address: HostAddress, secure = false): string[] {
  const scheme = secure ? "https" : "http";
  if (!isWildcard(address)) {
    return [`${scheme}://${formatHostPort(address.hostname, address.port)}/`];
  }
  const urls: string[] = [];
  for (const iface of Deno.networkInterfaces()) {
    const v6 = iface.family === "IPv6";
    if (v6 && address.hostname !== "::") continue;
    if (/^127\.|^::1$|^fe80:/i.test(iface.address)) continue;
    const url = `${scheme}://${formatHostPort(iface.address, address.port)}/`;
    if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}

/** `--qr`: each URL of the HTTP face, and its QR code drawn with half blocks (on stderr). */
function printQr(address: HostAddress, out: Output, secure: boolean): void {
  const urls = httpUrls(address, secure);
  if (urls.length === 0) out.warn("--qr: no interface address other than loopback to show");
  for (const url of urls) {
    out.status([url, ...qrHalfBlocks(encodeQr(new TextEncoder().encode(url)))].join("\n"), {
      event: "url",
      url,
    });
  }
}

/** The discovery sockets: the shared port, and the group and broadcast addresses sent to. */
function discoveryPlan(p: Planner): void {
  p.hostPort("0.0.0.0", DISCOVERY_PORT);
  p.hostPort(DISCOVERY_GROUP, DISCOVERY_PORT);
  p.hostPort(DISCOVERY_BROADCAST, DISCOVERY_PORT);
}

/** `--announce`: what the LAN is told (the folder's name and the bound ports). */
async function announceShare(
  root: string,
  files: Address,
  http: HttpFace | undefined,
  out: Output,
  signal: AbortSignal,
  fingerprint: string | undefined,
) {
  if (files.transport === "unix") {
    throw new UsageError("--announce needs a TCP --listen address, not a unix socket");
  }
  if (/^(127\.|::1$|localhost$)/.test(files.hostname)) {
    out.warn(
      `the file service listens on ${files.hostname} only: others on the LAN cannot reach it ` +
        "(hint: --listen 0.0.0.0:9000)",
    );
  }
  const name = announceName(root.split(/[\\/]/).filter(Boolean).at(-1) ?? "sockit");
  return await startAnnouncer(
    {
      name,
      files: files.port,
      http: http?.address.port ?? null,
      tls: fingerprint !== undefined,
      fingerprint: fingerprint ?? null,
    },
    out,
    { signal },
  );
}

/**
 * How long a file client waits, unless --timeout says otherwise: a sockit
 * server closes a client it has not heard from for its --idle (60 s by
 * default), and may itself be silent about as long (hashing a large file
 * before the first GET reply), so waiting longer gains nothing and waiting
 * less could give up on an answer that was coming.
 */
const DEFAULT_CLIENT_TIMEOUT_MS = 60_000;

/** `--timeout MS` of get, ls and put. */

/** How a client reaches its server: `--tls` and its trust options, `--proxy`. */
interface Link {
  tls: TlsClientOptions | undefined;
  proxy: ProxyUrl | undefined;
}

/** What `withClient` needs of a run. */
interface ClientContext {
  args: Args;
  signal: AbortSignal;
  link: Link;
}

/** The options every client (get, ls, put) shares. */
const CLIENT_OPTIONS: Record<string, OptionSpec> = {
  timeout: timeoutOption(
    "give up when connecting, or any wait for the server, takes longer",
    DEFAULT_CLIENT_TIMEOUT_MS,
  ),
  proxy: PROXY,
  ...tlsClientOptions(),
};

/** A client's plan for its server: TARGET (or the proxy instead) and the TLS files. */
function planClient(args: Args, p: Planner): void {
  planTarget(p, args.positional(0), targetAddress, args.text("proxy"), parseProxyUrl);
  if (clientWantsTls(args)) planTlsClient(args, p);
}

/** `--tls`/`--pin`/… and `--proxy`, read once per run (bad values are usage errors). */
async function linkOf(args: Args, out: Output): Promise<Link> {
  const text = args.text("proxy");
  const proxy = text === undefined ? undefined : input(() => parseProxyUrl(text));
  return { tls: await clientTls(args, out), proxy };
}

/**
 * Runs `work` with a connected client, mapping its failures to exit 1: the
 * server named, and everything it sent escaped for the terminal.
 */
async function withClient<T>(
  address: Address,
  { args, signal, link }: ClientContext,
  work: (client: FileClient) => Promise<T>,
): Promise<T> {
  const where = formatAddress(address);
  let client: FileClient | undefined;
  const onAbort = () => client?.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    client = await FileClient.open(address, {
      signal,
      timeoutMs: args.number("timeout"),
      tls: link.tls,
      proxy: link.proxy,
    });
    return await work(client);
  } catch (err) {
    throw clientError(err, where);
  } finally {
    signal.removeEventListener("abort", onAbort);
    client?.close();
  }
}

/**
 * A client failure as the CLI reports it. Its message may quote what the
 * server sent (a reason, a reply, a name), so it is escaped; a bug is left
 * as it is, for its stack trace.
 */
function clientError(err: unknown, where: string): unknown {
  if (err instanceof CliError) return err; // made here, already safe to print
  let cliError: CliError;
  if (err instanceof RemoteError) {
    cliError = new CliError(err.code === 404 ? `not found on ${where}` : err.message, {
      cause: err,
    });
  } else if (err instanceof ProtocolError) {
    cliError = new CliError(`${where} broke the protocol: ${err.message}`, { cause: err });
  } else if (err instanceof FileClientError) {
    const hint = FILE_HINTS[err.reason];
    cliError = new CliError(err.message, { ...(hint ? { hint } : {}), cause: err });
  } else if (isExpectedError(err)) {
    cliError = describeError(err);
  } else {
    return err;
  }
  return new CliError(escapeText(cliError.message), {
    exitCode: cliError.exitCode,
    hint: cliError.hint,
    cause: cliError.cause,
  });
}

/** The fix for a client failure, where one is known. */
const FILE_HINTS: Partial<Record<FileFailure, string>> = {
  "is-directory": "use -r",
  exists: "use --force to replace it",
  "cut-off": "run the same command again to resume from the .part file",
  busy: "try again later",
  "plain-to-tls": "a server with --tls does that to a plain client: add --tls (and --pin " +
    "FINGERPRINT, as the server printed it)",
  changed: "run the same command again once the file stays put",
  "broke-off": "run the same command again: files already complete are skipped",
  "not-a-folder": "the URL must name a folder of a 'sockit files serve --http' share",
};

function remotePath(value: string): string[] {
  try {
    return parsePath(encodeURI(value), { showHidden: true });
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new CliError(`Cannot use path "${value}": ${err.message}`, {
        exitCode: ExitCode.usage,
      });
    }
    throw err;
  }
}

/** TARGET of the file clients: HOST[:PORT], port 9000 by default. */
function targetAddress(value: string): Address {
  return parseConnectTarget(value, { defaultPort: 9000 });
}

function target(value: string): Address {
  return input(() => targetAddress(value));
}

/** Where `get` saves REMOTE_PATH without -o: its base name (the root of a share: "download"). */
function localName(remote: readonly string[]): string {
  return remote.at(-1) ?? "download";
}

const getCommand: CommandSpec = {
  kind: "command",
  name: "get",
  summary: "Download REMOTE_PATH: written to LOCAL.part, SHA-256 verified, then renamed.",
  usage: "TARGET REMOTE_PATH | -r URL",
  args: { min: 1, max: 2 },
  options: {
    output: {
      type: "string",
      short: "o",
      value: "LOCAL",
      help: "where to save (default the base name; - for stdout)",
    },
    recursive: { type: "boolean", short: "r", help: "fetch a directory and everything in it" },
    "no-resume": { type: "boolean", help: "start over instead of continuing a .part" },
    force: { type: "boolean", help: "replace an existing LOCAL" },
    ...CLIENT_OPTIONS,
  },
  description: [
    "TARGET is HOST[:PORT] (port 9000 by default). Data goes to LOCAL.part (its file version in " +
    "LOCAL.part.meta); only when all of it matches the server's SHA-256 is it renamed to LOCAL. " +
    "An interrupted download resumes from LOCAL.part on the next run, unless the remote file " +
    "changed meanwhile (then it starts over, never splicing two versions).",
    "Exit 1, with no LOCAL left behind, on not-found, refusal or hash mismatch; 130 on Ctrl-C " +
    "(the .part stays). With -r, LOCAL names the directory that receives REMOTE_PATH's contents; " +
    "names from the server that could leave it are refused.",
    "-r skips a file already there with the server's size and SHA-256, resumes a .part, and " +
    "keeps a file that differs (exit 1 at the end, naming how many) unless --force; it ends " +
    "with a summary: '12 fetched, 30 already there, 1 resumed into DIR'.",
    "An existing LOCAL is replaced only with --force; a LOCAL that is a folder, or whose folder " +
    "is missing, is refused (exit 2) before anything is fetched. -o - writes the file to stdout " +
    "as it arrives: its SHA-256 can only be checked at the end, so a mismatch exits 1 with an " +
    "error saying the output was not verified.",
    "A server that stops answering, or stops reading an upload, is given up on after --timeout " +
    "(exit 1, naming it); a listing longer than the protocol allows is refused, and whatever " +
    "the server sends is escaped before it reaches the terminal.",
    "-r URL fetches a folder from a sockit HTTP face (files serve --http) as one streamed tar " +
    "(URL?tar), extracted as it arrives into LOCAL (default the folder's name; 'download' for " +
    "the share's root). Only folders and regular files are created; a member that is a link, " +
    "a device or a FIFO, whose name is absolute, holds '..', an empty component, a NUL or a " +
    "backslash, or lies outside the archive's folder, a bad header checksum, an oversized " +
    "extended header or an archive cut short are refused (exit 1, naming the member). Nothing " +
    "is written through a link already in LOCAL.",
    "Each file goes to NAME.part and is renamed once all its bytes arrived: when the stream " +
    "breaks, the file being received is removed (no resume for an archive; files complete " +
    "stay). A file already there with the same bytes (compared as they arrive) is left alone; " +
    "one that differs is kept (exit 1 at the end, naming how many) unless --force: " +
    "'12 fetched, 30 already there into DIR'. https:// is trusted as in http get (--cacert, " +
    "--pin, --insecure); --proxy and --timeout apply. Without -r a URL is refused (for one " +
    "file use http get -o FILE URL).",
  ],
  examples: [
    "sockit files get 127.0.0.1 notes.txt",
    "sockit files get 192.168.1.20:9000 'videos/big talk.mp4' -o talk.mp4",
    "sockit files get 127.0.0.1 docs -r -o ./docs-copy",
    "sockit files get -r http://192.168.1.20:8080/photos/ -o photos",
  ],
  plan(args, p) {
    if (isUrl(args.positional(0, ""))) return planFolderUrl(args, p);
    needRemotePath(args);
    planClient(args, p);
    const remote = remotePath(args.positional(1, ""));
    const local = args.text("output") ?? (p.describe ? "LOCAL" : localName(remote));
    if (args.flag("recursive")) {
      p.read(local);
      p.write(local);
    } else if (local !== STDOUT) {
      p.besides(local);
    }
  },
  async run({ args, out, signal }) {
    if (isUrl(args.positional(0))) return await getFolderUrl(args, out, signal);
    needRemotePath(args);
    const address = target(args.positional(0));
    const link = await linkOf(args, out);
    const remote = remotePath(args.positional(1, ""));
    const local = args.text("output") ?? localName(remote);
    if (args.flag("recursive")) {
      if (local === STDOUT) {
        throw new UsageError("-r saves a folder; it cannot go to stdout (-o -)");
      }
    } else {
      await checkOutput(local, args.flag("force"));
    }
    const options = {
      local,
      out,
      resume: !args.flag("no-resume"),
      force: args.flag("force"),
      signal,
    };
    if (args.flag("recursive")) {
      return await getTree(address, remote, options, { args, signal, link });
    }
    return await withClient(address, { args, signal, link }, async (client) => {
      try {
        await downloadFile(client, remote, options);
      } catch (err) {
        if (!(err instanceof RestartError)) throw err;
        out.warn(`${err.message}; starting over`);
        await withClient(
          address,
          { args, signal, link },
          (fresh) => downloadFile(fresh, remote, { ...options, resume: false }),
        );
      }
      return ExitCode.ok;
    });
  },
};

/** `scheme://…`: `get`'s first argument is a URL, not a TARGET. */
function isUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** TARGET needs REMOTE_PATH (only a URL stands alone). */
function needRemotePath(args: Args): void {
  if (args.positionals.length < 2) {
    throw new UsageError(
      "missing argument",
      "usage: sockit files get TARGET REMOTE_PATH [options], or -r URL",
    );
  }
}

/** What `get -r URL` is given: the URL checked, and where the folder goes. */
function folderUrlArgs(args: Args): { url: string; dest: string } {
  const text = args.positional(0);
  input(() => parseHttpUrl(text));
  if (args.positionals.length > 1) {
    throw new UsageError(
      `unexpected argument "${args.positional(1)}": a URL names the folder itself`,
      `for a URL use: sockit http get -o FILE ${text}, or files get -r URL for a whole folder`,
    );
  }
  if (!args.flag("recursive")) {
    throw new UsageError(
      "a URL is fetched as a folder: add -r",
      `for a URL use: sockit http get -o FILE ${text} (a whole folder: files get -r URL)`,
    );
  }
  const dest = args.text("output") ?? folderName(text);
  if (dest === STDOUT) throw new UsageError("-r saves a folder; it cannot go to stdout (-o -)");
  if (args.flag("tls") && !/^https:/i.test(text)) {
    throw new UsageError("--tls with an http:// URL", "for TLS write the URL with https://");
  }
  return { url: text, dest };
}

/** `get -r URL`: the URL's host and port (or the proxy), DEST, and the TLS files. */
function planFolderUrl(args: Args, p: Planner): void {
  const { url, dest } = folderUrlArgs(args);
  planTarget(
    p,
    url,
    (text) => {
      const { hostname, port } = parseHttpUrl(text);
      return { transport: "tcp", hostname, port };
    },
    args.text("proxy"),
    parseProxyUrl,
  );
  if (/^https:/i.test(url)) planTlsClient(args, p);
  p.read(dest);
  p.write(dest);
}

/** `get -r URL`: the folder's archive, extracted; a summary; exit 1 when files differ. */
async function getFolderUrl(args: Args, out: Output, signal: AbortSignal): Promise<number> {
  const { url, dest } = folderUrlArgs(args);
  const proxyText = args.text("proxy");
  const proxy = proxyText === undefined ? undefined : input(() => parseProxyUrl(proxyText));
  let tls: TlsClientOptions | undefined;
  if (/^https:/i.test(url)) {
    tls = await inputAsync(() => readTlsClientOptions(args));
    if (tls.insecure) {
      out.warn("--insecure: the server's certificate is not checked (chain and name)");
    }
  }
  let counts;
  try {
    counts = await fetchFolderArchive(archiveUrl(url), {
      dest,
      force: args.flag("force"),
      out,
      signal,
      timeoutMs: args.number("timeout"),
      tls,
      proxy,
    });
  } catch (err) {
    if (err instanceof ProxyError) throw new CliError(escapeText(err.message), { cause: err });
    if (err instanceof HttpError && err.reason === "untrusted") {
      throw new CliError(err.message, {
        hint: err.trust?.hint ?? "for a private CA use --cacert FILE",
        cause: err,
      });
    }
    throw clientError(err, url);
  }
  const parts = [
    `${counts.fetched} fetched`,
    `${counts.present} already there`,
    ...(counts.differ ? [`${counts.differ} differ (kept)`] : []),
  ];
  out.status(`${parts.join(", ")} into ${escapeText(dest)}`, {
    event: "fetched",
    path: dest,
    files: counts.fetched + counts.present,
    fetched: counts.fetched,
    present: counts.present,
    differ: counts.differ,
  });
  if (counts.differ > 0) {
    const verb = counts.differ === 1 ? "differs" : "differ";
    throw new CliError(
      `${count(counts.differ, "file")} in ${escapeText(dest)} ${verb} from the server's`,
      { hint: "use --force to replace them" },
    );
  }
  return ExitCode.ok;
}

/** How often `get -r` starts its walk over when files change under it. */
const TREE_RESTARTS = 3;

/**
 * `get -r`: the walk, started over on a fresh connection (files already
 * complete are then skipped) when a `.part` turns out to belong to another
 * version; a summary line at the end; exit 1 when files differ and were kept.
 */
async function getTree(
  address: Address,
  remote: string[],
  options: DownloadOptions,
  context: ClientContext,
): Promise<number> {
  const { out, local } = options;
  const counts: TreeCounts = { fetched: 0, present: 0, resumed: 0, differ: 0 };
  for (let attempt = 0;; attempt++) {
    try {
      await withClient(address, context, (client) => downloadTree(client, remote, options, counts));
      break;
    } catch (err) {
      const restart = err instanceof RestartError ||
        (err instanceof CliError && err.cause instanceof RestartError);
      if (!restart || attempt >= TREE_RESTARTS) throw err;
      out.warn(`${(err as Error).message}; starting the walk over`);
    }
  }
  const files = counts.fetched + counts.present + counts.resumed;
  const parts = [
    `${counts.fetched} fetched`,
    `${counts.present} already there`,
    `${counts.resumed} resumed`,
    ...(counts.differ ? [`${counts.differ} differ (kept)`] : []),
  ];
  out.status(`${parts.join(", ")} into ${local}`, {
    event: "fetched",
    path: local,
    files,
    fetched: counts.fetched,
    present: counts.present,
    resumed: counts.resumed,
    differ: counts.differ,
  });
  if (counts.differ > 0) {
    const verb = counts.differ === 1 ? "differs" : "differ";
    throw new CliError(`${count(counts.differ, "file")} in ${local} ${verb} from the server's`, {
      hint: "use --force to replace them",
    });
  }
  return ExitCode.ok;
}

/**
 * Refuses a destination `get` cannot write, before anything is fetched: a
 * folder or a missing folder is a usage error (exit 2), an existing file
 * without --force exit 1.
 */
async function checkOutput(local: string, force: boolean): Promise<void> {
  const refusal = await checkDestination(local, { force });
  if (refusal === undefined) return;
  if (refusal.problem === "exists") {
    throw new CliError(refusal.message, { hint: FILE_HINTS.exists });
  }
  throw new UsageError(
    refusal.message,
    refusal.problem === "directory" ? "use -o DIR/NAME" : undefined,
  );
}

const lsCommand: CommandSpec = {
  kind: "command",
  name: "ls",
  summary: "List REMOTE_DIR (default the shared folder): type, size, time, name per line.",
  usage: "TARGET [REMOTE_DIR]",
  args: { min: 1, max: 2 },
  options: { ...CLIENT_OPTIONS },
  description: [
    "One entry per line: 'd' or 'f', size in bytes, modification time (ISO 8601), name (control " +
    'characters escaped). --json gives {"type","size","mtime","name"} objects.',
  ],
  examples: ["sockit files ls 127.0.0.1", "sockit files ls 127.0.0.1:9000 docs --json"],
  plan(args, p) {
    planClient(args, p);
  },
  async run({ args, out, signal }) {
    const address = target(args.positional(0));
    const link = await linkOf(args, out);
    const remote = remotePath(args.positional(1, ""));
    return await withClient(address, { args, signal, link }, async (client) => {
      const stat = await client.stat(remote);
      const entries = stat.type === "d"
        ? await client.list(remote)
        : [{ ...stat, name: remote.at(-1) ?? "" }];
      for (const entry of entries) await printEntry(out, entry);
      return ExitCode.ok;
    });
  },
};

function printEntry(
  out: Output,
  entry: { type: "f" | "d"; size: number; mtime: number; name: string },
) {
  if (out.json) {
    return out.event({ event: "entry", ...entry, mtime: new Date(entry.mtime).toISOString() });
  }
  return out.data(new TextEncoder().encode(formatListing(entry) + "\n"));
}

const putCommand: CommandSpec = {
  kind: "command",
  name: "put",
  summary: "Upload LOCAL to a server started with --allow-upload (never overwrites).",
  usage: "TARGET LOCAL [REMOTE_PATH]",
  args: { min: 2, max: 3 },
  options: { ...CLIENT_OPTIONS },
  description: [
    "REMOTE_PATH defaults to LOCAL's base name in the shared folder. The server checks size and " +
    "SHA-256 before the file appears, and refuses a name that exists (exit 1).",
  ],
  examples: [
    "sockit files put 127.0.0.1 report.pdf",
    "sockit files put 127.0.0.1 a.txt inbox/a.txt",
  ],
  plan(args, p) {
    planClient(args, p);
    p.read(args.positional(1));
  },
  async run({ args, out, signal }) {
    const address = target(args.positional(0));
    const link = await linkOf(args, out);
    const local = args.positional(1);
    const remote = remotePath(args.positional(2, local.split(/[\\/]/).at(-1) ?? ""));
    // LOCAL is checked before connecting: a folder is the user's mistake (exit 2), as in tftp put.
    const info = await Deno.stat(local).catch((err) => {
      if (err instanceof Deno.errors.NotFound) throw new CliError(`${local}: no such file`);
      throw err;
    });
    if (!info.isFile) throw new UsageError(`Cannot send "${local}": not a file`);
    return await withClient(address, { args, signal, link }, async (client) => {
      let result;
      const started = performance.now();
      try {
        result = await uploadFile(client, local, { remote });
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) throw new CliError(`${local}: no such file`);
        throw err;
      }
      const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
      // A rate over a few bytes measures round trips, not transfer: shown from 1 MB on.
      const rate = result.size >= 1e6 ? `, ${formatRate(result.size / seconds)}` : "";
      out.status(
        `uploaded ${local} (${formatSize(result.size)}, sha256 ${
          result.sha256.slice(0, 12)
        }…${rate})`,
        {
          event: "uploaded",
          path: local,
          remote: remote.join("/"),
          size: result.size,
          sha256: result.sha256,
        },
      );
      return ExitCode.ok;
    });
  },
};

const findCommand: CommandSpec = {
  kind: "command",
  name: "find",
  summary: "List the file servers on the LAN that answer (servers started with --announce).",
  usage: "",
  args: { min: 0, max: 0 },
  options: {
    timeout: timeoutOption("listen this long for answers", 2000),
  },
  description: [
    `Asks by multicast (${DISCOVERY_GROUP}) and broadcast on UDP port ${DISCOVERY_PORT} and ` +
    "prints one line per server that answers within --timeout: its name, the file service's " +
    "HOST:PORT, and its HTTP face's URL when it has one. Only well-formed answers to this very " +
    "query count (each query carries a random nonce that answers must echo); at most 64 " +
    "servers are listed. Exit 1 when none answered.",
    'With --json: {"event":"found","name","host","files","http","tls"} per server ' +
    "(and fingerprint when TLS is on). The message format is in docs/file-protocol.md.",
  ],
  examples: [
    "sockit files find",
    "sockit files find --timeout 5000 --json",
  ],
  plan(_args, p) {
    discoveryPlan(p);
  },
  async run({ args, out, signal }) {
    const timeoutMs = args.number("timeout");
    const found = await findServers(out, async (server) => {
      const host = formatHostPort(server.host, server.files).replace(/:\d+$/, "");
      const scheme = server.tls ? "https" : "http";
      const http = server.http === null ? "" : `  ${scheme}://${host}:${server.http}/`;
      if (out.json) {
        await out.event({
          event: "found",
          name: server.name,
          host: server.host,
          files: server.files,
          http: server.http,
          tls: server.tls,
          ...(server.fingerprint ? { fingerprint: server.fingerprint } : {}),
        });
      } else {
        const tls = server.fingerprint ? `  tls fingerprint SHA256 ${server.fingerprint}` : "";
        await out.data(
          new TextEncoder().encode(
            `${escapeText(server.name)}  ${host}:${server.files}${http}${tls}\n`,
          ),
        );
      }
    }, { timeoutMs, signal });
    if (signal.aborted) return exitCodeOf(signal);
    if (found === 0) {
      throw new CliError(`no file server answered within ${timeoutMs} ms`, {
        hint: "start one with 'sockit files serve --listen 0.0.0.0:9000 --announce'",
      });
    }
    return ExitCode.ok;
  },
};

/** The `files` group. */
export const filesGroup: GroupSpec = {
  kind: "group",
  name: "files",
  summary: "Share a folder and fetch from it: resumable, SHA-256 verified, sandboxed",
  commands: [serveCommand, getCommand, lsCommand, putCommand, findCommand],
};
