/**
 * The file protocol client behind `files get | ls | put`. Downloads go to
 * `LOCAL.part` (with `LOCAL.part.meta` naming the file version), are checked
 * against the server's SHA-256, and only then renamed to LOCAL; an
 * interrupted download resumes from the `.part`. Names from the server are
 * not trusted: anything that could leave the destination is refused.
 *
 * Requires `--allow-net=HOST:PORT`, and `--allow-read`/`--allow-write` of the local files.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { InterruptedError, OperationError } from "../console/errors.ts";
import { formatRate, formatSize } from "../console/format.ts";
import { Progress } from "../console/progress.ts";
import type { Output } from "../console/output.ts";
import { type Address, formatAddress } from "../inet/address.ts";
import { writeAll } from "../net/buffer.ts";
import { ConnReader, LineTooLongError } from "../net/conn_reader.ts";
import { dial } from "../net/dial.ts";
import type { ProxyUrl } from "../inet/proxy_url.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { TimedConn, WaitTimeoutError } from "../net/timed_conn.ts";
import { escapeText } from "../text/escape.ts";
import { sha256File } from "./hash_cache.ts";
import {
  encodePath,
  MAX_LINE,
  parseEntry,
  parseNumber,
  parseReply,
  PROTOCOL_VERSION,
  ProtocolError,
} from "./protocol.ts";
import { type Entry, MAX_LIST } from "../share/entry.ts";
import { MAX_COMPONENTS } from "../share/path.ts";
import { STDOUT } from "../command/destination.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The server refused a request (`ERR CODE REASON`). */
export class RemoteError extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(`server: ${reason} (${code})`);
    this.name = "RemoteError";
    this.code = code;
  }
}

/**
 * Why a file-service client operation failed, for the command to add its
 * hint: `is-directory` (a GET of a folder without -r), `exists` (LOCAL is
 * there without --force), `cut-off` (the `.part` stays for resuming),
 * `mismatch`, `peer` (the server broke off or broke the protocol), `busy`
 * (the server turned the connection away), `changed` (the remote file
 * changed while it was sent), `local`, and for a folder archive
 * (`files get -r URL`) `broke-off` (the stream ended early) and
 * `not-a-folder` (the URL answered with something other than an archive).
 */
export type FileFailure =
  | "is-directory"
  | "exists"
  | "cut-off"
  | "mismatch"
  | "peer"
  | "busy"
  | "changed"
  | "local"
  | "plain-to-tls"
  | "broke-off"
  | "not-a-folder";

/** A failed download, listing or upload, with a reason the command maps to a hint. */
export class FileClientError extends OperationError {
  readonly reason: FileFailure;

  constructor(message: string, reason: FileFailure) {
    super(message);
    this.name = "FileClientError";
    this.reason = reason;
  }
}

/** Remote file metadata. */
export interface RemoteStat {
  type: "f" | "d";
  size: number;
  mtime: number;
}

/** Options for {@linkcode FileClient.open}. */
export interface FileClientOptions {
  /** Abandons the connect (closing the client aborts the rest). */
  signal?: AbortSignal | undefined;
  /**
   * Gives up when connecting, or any wait for the server (a byte of a reply,
   * or taking a byte of an upload), takes longer than this many ms. No
   * bound when undefined.
   */
  timeoutMs?: number | undefined;
  /** Speak TLS with the server (`--tls`), trusting it this way. */
  tls?: TlsClientOptions | undefined;
  /** Reach the server through this proxy (`--proxy`). */
  proxy?: ProxyUrl | undefined;
}

/** One connection to a file server. */
export class FileClient {
  readonly where: string;
  /** The protocol version agreed with the server (1 or 2). */
  version = 1;
  #conn: TimedConn;
  #reader: ConnReader;

  private constructor(conn: TimedConn, where: string) {
    this.#conn = conn;
    this.#reader = new ConnReader(conn);
    this.where = where;
  }

  /**
   * Connects and agrees on the protocol version.
   *
   * @throws {FileClientError} `peer`: the server timed out, sent a line over
   *   the protocol's limit or speaks another version
   * @throws {ProtocolError} a reply that is not the protocol's
   * @throws {RemoteError} the server refused the HELLO
   */
  static async open(address: Address, options: FileClientOptions = {}): Promise<FileClient> {
    const { signal, timeoutMs, tls, proxy } = options;
    const conn = await dial(address, {
      ...(signal ? { signal } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      tls,
      proxy,
    });
    // Requests and reply lines are small writes in a row: Nagle's algorithm and delayed
    // ACKs would hold each exchange for tens of ms.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const client = new FileClient(new TimedConn(conn, timeoutMs), formatAddress(address));
    try {
      const fields = await client.#request(`HELLO ${PROTOCOL_VERSION}`, "HELLO");
      const version = Number(fields[0]);
      // A server answers with the newest version both speak: 1 from a server older than v2.
      if (version !== 1 && version !== 2) {
        throw new FileClientError(
          `${client.where} speaks file protocol version ${fields[0]}, not 1 to ${PROTOCOL_VERSION}`,
          "peer",
        );
      }
      client.version = version;
    } catch (err) {
      client.close();
      // A TLS server answers a plain HELLO with an alert and a close: say what that likely is.
      if (!tls && err instanceof FileClientError && err.message.endsWith("closed the connection")) {
        throw new FileClientError(`${client.where} closed the connection at once`, "plain-to-tls");
      }
      throw err;
    }
    return client;
  }

  close(): void {
    this.#conn.close();
  }

  /** The server's fault, named: a wait that timed out, a line over the protocol's limit. */
  #peerError(err: unknown): unknown {
    if (err instanceof WaitTimeoutError) {
      return new FileClientError(
        err.operation === "read"
          ? `timed out: no data from ${this.where} for ${err.timeoutMs} ms`
          : `timed out: ${this.where} took no data for ${err.timeoutMs} ms`,
        "peer",
      );
    }
    if (err instanceof LineTooLongError) {
      return new FileClientError(
        `${this.where} broke the protocol: a reply line over ${MAX_LINE} bytes`,
        "peer",
      );
    }
    return err;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      await writeAll(this.#conn, bytes);
    } catch (err) {
      throw this.#peerError(err);
    }
  }

  async #readLine(): Promise<string | null> {
    try {
      const raw = await this.#reader.readLine(MAX_LINE);
      return raw === null ? null : decoder.decode(raw);
    } catch (err) {
      throw this.#peerError(err);
    }
  }

  /** The server's `ERR` reply, if one arrived before the connection broke. */
  async #refusal(): Promise<RemoteError | undefined> {
    try {
      const line = await this.#readLine();
      const reply = line === null ? undefined : parseReply(line);
      return reply && !reply.ok ? new RemoteError(reply.code, reply.reason) : undefined;
    } catch {
      return undefined; // nothing readable: the write's own error stands
    }
  }

  async #reply(): Promise<string> {
    const line = await this.#readLine();
    if (line === null) throw new FileClientError(`${this.where} closed the connection`, "peer");
    if (line === "busy") {
      // A sockit server over --max-conns or --max-per-address says this and closes.
      throw new FileClientError(`${this.where} is busy: it turned the connection away`, "busy");
    }
    return line;
  }

  async #request(line: string, verb: string): Promise<string[]> {
    await this.#write(encoder.encode(line + "\n"));
    const reply = parseReply(await this.#reply());
    if (!reply.ok) throw new RemoteError(reply.code, reply.reason);
    if (reply.verb !== verb) {
      throw new ProtocolError(400, `expected OK ${verb}, got OK ${reply.verb}`);
    }
    return reply.fields;
  }

  async stat(path: readonly string[]): Promise<RemoteStat> {
    const [type, size, mtime] = await this.#request(`STAT ${encodePath(path)}`, "STAT");
    if (type !== "f" && type !== "d") throw new ProtocolError(400, `bad STAT type "${type}"`);
    return { type, size: parseNumber(size, "size"), mtime: parseNumber(mtime, "mtime") };
  }

  /**
   * LIST: the entries of a folder, at most {@linkcode MAX_LIST} (a listing
   * announced longer is refused before any entry is read).
   *
   * @throws {ProtocolError} a count over the limit, a malformed entry
   */
  async list(path: readonly string[]): Promise<Entry[]> {
    const [count] = await this.#request(`LIST ${encodePath(path)}`, "LIST");
    const total = parseNumber(count, "count");
    if (total > MAX_LIST) {
      throw new ProtocolError(
        400,
        `a listing of ${total} entries is over the protocol's limit of ${MAX_LIST}`,
      );
    }
    const entries: Entry[] = [];
    for (let i = total; i > 0; i--) {
      const line = await this.#readLine();
      if (line === null) {
        throw new FileClientError(`${this.where} closed the connection in a listing`, "peer");
      }
      entries.push(parseEntry(line));
    }
    return entries;
  }

  /**
   * HASH (version 2): the SHA-256 of a remote file as it is now, without
   * its bytes.
   */
  async hash(path: readonly string[]): Promise<{ size: number; sha256: string }> {
    const [size, _mtime, sha256] = await this.#request(`HASH ${encodePath(path)}`, "HASH");
    if (!/^[0-9a-f]{64}$/.test(sha256 ?? "")) throw new ProtocolError(400, "bad HASH reply");
    return { size: parseNumber(size, "size"), sha256: sha256! };
  }

  /**
   * GET from `offset`: `onHeader` sees the version first (and may return
   * false to refuse the body, closing the connection); then `sink` gets the
   * bytes. Returns how many bytes arrived and, in version 2, the trailer
   * that followed them (the whole file's SHA-256, or the server's word that
   * the file changed while it was sent).
   */
  async get(
    path: readonly string[],
    offset: number,
    onHeader: (header: GetHeader) => boolean | Promise<boolean>,
    sink: (chunk: Uint8Array) => Promise<void>,
  ): Promise<{ header: GetHeader; received: number; trailer?: GetTrailer }> {
    const [size, mtime, from, length, last, ...extra] = await this.#request(
      `GET ${encodePath(path)} ${offset}`,
      "GET",
    );
    const header: GetHeader = {
      size: parseNumber(size, "size"),
      mtime: parseNumber(mtime, "mtime"),
      offset: parseNumber(from, "offset"),
      length: parseNumber(length, "length"),
    };
    if (this.version === 1 && /^[0-9a-f]{64}$/.test(last ?? "")) header.sha256 = last!;
    if (this.version === 2 && /^[0-9a-f]{16}$/.test(last ?? "")) header.tag = last!;
    if (
      (header.sha256 === undefined && header.tag === undefined) || extra.length > 0 ||
      header.offset !== offset || header.offset + header.length !== header.size
    ) {
      throw new ProtocolError(400, "inconsistent GET header from the server");
    }
    if (!(await onHeader(header))) {
      this.close();
      return { header, received: 0 };
    }
    let received: number;
    try {
      received = await this.#reader.readExact(header.length, sink);
    } catch (err) {
      throw this.#peerError(err);
    }
    if (this.version === 1 || received < header.length) return { header, received };
    const reply = parseReply(await this.#reply());
    if (!reply.ok) return { header, received, trailer: { changed: reply.reason } };
    const [sha256, ...more] = reply.fields;
    if (reply.verb !== "SHA256" || !/^[0-9a-f]{64}$/.test(sha256 ?? "") || more.length > 0) {
      throw new ProtocolError(400, "bad GET trailer from the server");
    }
    return { header, received, trailer: { sha256: sha256! } };
  }

  /**
   * PUT: streams `size` bytes from `file`. A server that refuses the upload
   * (too large, a name that exists) answers at once and closes while the
   * body is still going out: when a write fails, its reply is read and
   * reported instead of the broken connection.
   *
   * @throws {RemoteError} the server refused the upload
   */
  async put(path: readonly string[], file: Deno.FsFile, size: number, sha256: string) {
    const buffer = new Uint8Array(256 * 1024);
    try {
      await this.#write(encoder.encode(`PUT ${encodePath(path)} ${size} ${sha256}\n`));
      let left = size;
      while (left > 0) {
        const n = await file.read(buffer.subarray(0, Math.min(buffer.length, left)));
        if (n === null) {
          throw new FileClientError("the local file shrank while being sent", "local");
        }
        await this.#write(buffer.subarray(0, n));
        left -= n;
      }
    } catch (err) {
      if (err instanceof FileClientError) throw err; // a timeout or a local failure
      throw await this.#refusal() ?? err;
    }
    const reply = parseReply(await this.#reply());
    if (!reply.ok) throw new RemoteError(reply.code, reply.reason);
  }
}

/** The header of a GET reply. */
export interface GetHeader {
  size: number;
  mtime: number;
  offset: number;
  length: number;
  /** Version 1: the whole file's SHA-256, announced before the bytes. */
  sha256?: string;
  /** Version 2: the tag of the file version (its hash comes in the trailer). */
  tag?: string;
}

/** How a version 2 GET reply ends. */
export type GetTrailer = { sha256: string; changed?: undefined } | { changed: string };

/** The file version a `.part` belongs to. */
interface PartMeta {
  size: number;
  mtime: number;
  /** Announced by a version 1 server. */
  sha256?: string;
  /** Named by a version 2 server. */
  tag?: string;
}

/** Options for {@linkcode downloadFile} and {@linkcode downloadTree}. */
export interface DownloadOptions {
  /**
   * Where to save: the file (or, for a tree, the folder that receives its
   * contents); `-` streams a single file to stdout.
   */
  local: string;
  /** Progress and status lines. */
  out: Output;
  /** Continue from an existing `.part` of the same file version. @default {true} */
  resume?: boolean;
  /** Replace an existing LOCAL. @default {false} */
  force?: boolean;
  /** What a listing already said of the remote file (saves a STAT). */
  stat?: RemoteStat | undefined;
  signal?: AbortSignal | undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function readMeta(path: string): Promise<PartMeta | undefined> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(path));
    if (
      typeof meta.size === "number" && typeof meta.mtime === "number" &&
      (typeof meta.sha256 === "string" || typeof meta.tag === "string")
    ) {
      return meta;
    }
  } catch {
    // missing or unreadable: no resume
  }
  return undefined;
}

/** What {@linkcode downloadFile} did. */
export interface Downloaded {
  /** Bytes that were already in the `.part` and kept (0: fetched from the start). */
  resumedAt: number;
}

/**
 * Hashes a `.part` from its start while the rest of the file is appended to
 * it: the prefix is read back from disk in the background, then whatever
 * arrived meanwhile (already on disk too), and once caught up each new
 * chunk is hashed as it is written. The hash thus covers the whole file in
 * one pass over each byte, with constant memory.
 */
class PartHasher {
  readonly #hash = createHash("sha256");
  readonly #path: string;
  #hashed = 0;
  #written: number;
  #caughtUp: boolean;
  #reading: Promise<void> | undefined;

  constructor(path: string, prefix: number) {
    this.#path = path;
    this.#written = prefix;
    this.#caughtUp = prefix === 0;
    if (!this.#caughtUp) this.#reading = this.#catchUp();
    // A failure surfaces in digest(); until then it must not go unhandled.
    this.#reading?.catch(() => {});
  }

  async #catchUp(): Promise<void> {
    using file = await Deno.open(this.#path);
    const buffer = new Uint8Array(256 * 1024);
    while (this.#hashed < this.#written) {
      const n = await file.read(
        buffer.subarray(0, Math.min(buffer.length, this.#written - this.#hashed)),
      );
      if (n === null) throw new FileClientError(`${this.#path} shrank while being hashed`, "local");
      this.#hash.update(buffer.subarray(0, n));
      this.#hashed += n;
    }
    this.#caughtUp = true;
  }

  /** Call once `chunk` is written to the file, right after it. */
  written(chunk: Uint8Array): void {
    this.#written += chunk.length;
    if (this.#caughtUp) {
      this.#hash.update(chunk);
      this.#hashed += chunk.length;
    }
  }

  async digest(): Promise<string> {
    await this.#reading;
    if (this.#hashed < this.#written) await this.#catchUp();
    return this.#hash.digest("hex");
  }
}

/**
 * Downloads one remote file to `local` through `local.part`, verified, then renamed.
 *
 * @throws {FileClientError} LOCAL exists, a folder, cut off (the `.part` stays for resume), hash
 *   mismatch or a file that changed while it was sent (nothing stays)
 * @throws {RestartError} the `.part` belongs to another version of the file (it is removed)
 * @throws {InterruptedError} when `signal` aborts (the `.part` stays for resume)
 */
export async function downloadFile(
  client: FileClient,
  remote: readonly string[],
  options: DownloadOptions,
): Promise<Downloaded> {
  const { local, out, resume = true, force = false, signal } = options;
  const stat = options.stat ?? await client.stat(remote);
  if (stat.type !== "f") {
    throw new FileClientError(`${encodePath(remote) || "/"} is a directory`, "is-directory");
  }
  if (local === STDOUT) {
    await downloadToStdout(client, remote, out, signal);
    return { resumedAt: 0 };
  }
  if (!force && await exists(local)) {
    throw new FileClientError(`${local} exists`, "exists");
  }
  const part = `${local}.part`;
  const metaPath = `${part}.meta`;
  let offset = 0;
  const meta = resume ? await readMeta(metaPath) : undefined;
  if (meta && meta.size === stat.size && meta.mtime === stat.mtime) {
    const partInfo = await Deno.stat(part).catch(() => undefined);
    if (partInfo && partInfo.size <= stat.size) offset = partInfo.size;
  }
  const started = performance.now();
  let hasher: PartHasher | undefined;
  let progress: Progress | undefined;
  let file: Deno.FsFile | undefined;
  let restart = false;
  let size: number | undefined; // known once the header is in
  let arrived = 0;
  const discard = async () => {
    await Deno.remove(part).catch(() => {});
    await Deno.remove(metaPath).catch(() => {});
  };
  try {
    const { header, received, trailer } = await client.get(remote, offset, async (header) => {
      // Same size and time, other content: never splice two versions.
      if (
        offset > 0 &&
        (header.sha256 !== undefined
          ? header.sha256 !== meta?.sha256
          : meta?.tag !== undefined && header.tag !== meta.tag)
      ) {
        restart = true;
        return false;
      }
      await Deno.writeTextFile(
        metaPath,
        JSON.stringify({
          size: header.size,
          mtime: header.mtime,
          ...(header.sha256 === undefined ? {} : { sha256: header.sha256 }),
          ...(header.tag === undefined ? {} : { tag: header.tag }),
        }),
      );
      file = await Deno.open(part, { write: true, create: true, truncate: offset === 0 });
      if (offset > 0) {
        // Drop anything beyond what is kept; the kept bytes are hashed while the rest arrives.
        await file.truncate(offset);
        await file.seek(offset, Deno.SeekMode.Start);
        out.status(`resuming ${escapeText(local)} at ${offset} of ${header.size} bytes`);
      }
      hasher = new PartHasher(part, offset);
      size = header.size;
      progress = new Progress(local, header.size, {
        enabled: !out.quiet && !out.json,
        start: offset,
      });
      return true;
    }, async (chunk) => {
      arrived += chunk.length;
      await writeAll(file!, chunk);
      hasher!.written(chunk);
      progress?.add(chunk.length);
    });
    progress?.finish();
    if (restart) throw new RestartError();
    file?.close();
    file = undefined;
    if (signal?.aborted) throw new InterruptedError();
    if (received < header.length) {
      throw new FileClientError(
        `transfer of ${local} cut off after ${offset + received} of ${header.size} bytes`,
        "cut-off",
      );
    }
    if (trailer?.changed !== undefined) {
      await discard();
      throw new FileClientError(
        `${local} changed on the server while it was sent (${trailer.changed}); ` +
          "the download was discarded",
        "changed",
      );
    }
    const expected = header.sha256 ?? trailer?.sha256 ?? "";
    const sha256 = await hasher!.digest();
    if (sha256 !== expected) {
      await discard();
      throw new FileClientError(
        `SHA-256 mismatch for ${local}: expected ${expected}, got ${sha256}; the download was discarded`,
        "mismatch",
      );
    }
    await Deno.rename(part, local);
    await Deno.remove(metaPath).catch(() => {});
    const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
    // A rate over a few bytes measures round trips, not transfer: shown from 1 MB on.
    const rate = header.length >= 1e6 ? `, ${formatRate(header.length / seconds)}` : "";
    out.status(
      `saved ${escapeText(local)} (${formatSize(header.size)}, sha256 ${
        sha256.slice(0, 12)
      }…${rate})`,
      { event: "saved", path: local, size: header.size, sha256, seconds },
    );
    return { resumedAt: offset };
  } catch (err) {
    if (err instanceof RestartError) {
      await discard();
      throw err;
    }
    if (signal?.aborted) {
      throw new InterruptedError("the .part file is kept for resuming");
    }
    if (err instanceof FileClientError && err.reason === "peer" && size !== undefined) {
      // The server stalled or broke off mid-body: what arrived stays for a resume.
      throw new FileClientError(
        `transfer of ${local} cut off after ${offset + arrived} of ${size} bytes: ${err.message}`,
        "cut-off",
      );
    }
    throw err;
  } finally {
    file?.close();
  }
}

/**
 * Streams one remote file to stdout. The bytes go out as they arrive, so
 * the SHA-256 can only be checked at the end: a mismatch is reported as an
 * error saying the output was not verified.
 */
async function downloadToStdout(
  client: FileClient,
  remote: readonly string[],
  out: Output,
  signal: AbortSignal | undefined,
): Promise<void> {
  const hash = createHash("sha256");
  const started = performance.now();
  let progress: Progress | undefined;
  let size: number | undefined;
  let arrived = 0;
  try {
    const { header, received, trailer } = await client.get(remote, 0, (header) => {
      size = header.size;
      progress = new Progress("stdout", header.size, { enabled: !out.quiet && !out.json });
      return true;
    }, async (chunk) => {
      hash.update(chunk);
      arrived += chunk.length;
      await out.data(chunk.slice());
      progress?.add(chunk.length);
    });
    progress?.finish();
    if (signal?.aborted) throw new InterruptedError();
    if (received < header.length) {
      throw new FileClientError(
        `transfer to stdout cut off after ${received} of ${header.size} bytes; ` +
          "the output is incomplete",
        "peer",
      );
    }
    if (trailer?.changed !== undefined) {
      throw new FileClientError(
        `the file changed on the server while it was sent (${trailer.changed}); ` +
          "the output written to stdout is not one version of it",
        "changed",
      );
    }
    const expected = header.sha256 ?? trailer?.sha256 ?? "";
    const sha256 = hash.digest("hex");
    if (sha256 !== expected) {
      throw new FileClientError(
        `SHA-256 mismatch: expected ${expected}, got ${sha256}; ` +
          "the output written to stdout was not verified",
        "mismatch",
      );
    }
    out.status(
      `saved stdout (${formatSize(header.size)}, sha256 ${sha256.slice(0, 12)}…${
        rateOf(header.length, started)
      })`,
      {
        event: "saved",
        path: STDOUT,
        size: header.size,
        sha256,
        seconds: Math.max((performance.now() - started) / 1000, 1e-6),
      },
    );
  } catch (err) {
    progress?.finish();
    if (signal?.aborted) throw new InterruptedError();
    if (err instanceof FileClientError && err.reason === "peer" && size !== undefined) {
      throw new FileClientError(
        `transfer to stdout cut off after ${arrived} of ${size} bytes: ${err.message}`,
        "peer",
      );
    }
    throw err;
  }
}

/** `, 12.3 MB/s` for a transfer of 1 MB or more; below that a rate measures round trips. */
function rateOf(bytes: number, started: number): string {
  const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
  return bytes >= 1e6 ? `, ${formatRate(bytes / seconds)}` : "";
}

/** The file changed under a resume: start over on a fresh connection. */
export class RestartError extends Error {
  constructor() {
    super("the remote file changed since the last attempt");
  }
}

/**
 * Most entries of a tree download held at once: listed, not yet fetched,
 * summed over the open folders. Twice {@linkcode MAX_LIST}, so a full
 * listing fits beside what its parents still hold, while a server nesting
 * full listings without end cannot make the walk hold them all.
 */
export const MAX_PENDING = 2 * MAX_LIST;

/** What a tree download did, file by file. */
export interface TreeCounts {
  /** Fetched from the start. */
  fetched: number;
  /** Already there, complete and identical (size and SHA-256): left alone. */
  present: number;
  /** Continued from a `.part`. */
  resumed: number;
  /** There but different (or not comparable): kept, since --force was not given. */
  differ: number;
}

/**
 * Downloads a remote directory tree into `local` (created as needed).
 * Every name is checked by the codec, so none can step outside `local`. A
 * file already there with the server's size and SHA-256 is left alone; a
 * `.part` is resumed; a different file is replaced only with `force`, else
 * counted in `differ` and kept.
 *
 * @param counts added to as files are handled (so a restarted walk keeps counting)
 * @throws {FileClientError} `peer`: a tree too deep, or more than
 *   {@linkcode MAX_PENDING} entries waiting at once
 */
export async function downloadTree(
  client: FileClient,
  remote: readonly string[],
  options: DownloadOptions,
  counts: TreeCounts = { fetched: 0, present: 0, resumed: 0, differ: 0 },
): Promise<TreeCounts> {
  await downloadLevel(client, remote, options, 0, { count: 0 }, counts);
  return counts;
}

/** True when `local` is a regular file identical to the remote one (size, then SHA-256). */
async function identical(
  client: FileClient,
  remote: readonly string[],
  local: string,
  size: number,
): Promise<boolean> {
  const info = await Deno.lstat(local);
  if (!info.isFile || info.size !== size) return false;
  let theirs: string;
  try {
    theirs = (await client.hash(remote)).sha256;
  } catch (err) {
    // A server older than HASH: the files cannot be compared without fetching.
    if (err instanceof RemoteError && err.code === 400) return false;
    throw err;
  }
  return theirs === await sha256File(local);
}

async function downloadLevel(
  client: FileClient,
  remote: readonly string[],
  options: DownloadOptions,
  depth: number,
  pending: { count: number },
  counts: TreeCounts,
): Promise<void> {
  const { local } = options;
  if (depth + remote.length > MAX_COMPONENTS) {
    throw new FileClientError("the remote tree is too deep", "peer");
  }
  await Deno.mkdir(local, { recursive: true });
  const entries = await client.list(remote);
  pending.count += entries.length;
  if (pending.count > MAX_PENDING) {
    throw new FileClientError(
      `${client.where} listed more than ${MAX_PENDING} entries of the tree waiting at once; ` +
        "fetch its folders one at a time",
      "peer",
    );
  }
  for (const entry of entries) {
    pending.count--;
    const target = `${local}/${entry.name}`;
    const path = [...remote, entry.name];
    if (entry.type === "d") {
      const inner = { ...options, local: target };
      await downloadLevel(client, path, inner, depth + 1, pending, counts);
      continue;
    }
    if (await exists(target)) {
      if (await identical(client, path, target, entry.size)) {
        counts.present++;
        continue;
      }
      if (!options.force) {
        options.out.warn(`${escapeText(target)} differs from the server's; kept`);
        counts.differ++;
        continue;
      }
    }
    const { resumedAt } = await downloadFile(client, path, {
      ...options,
      local: target,
      stat: { type: "f", size: entry.size, mtime: entry.mtime },
    });
    if (resumedAt > 0) counts.resumed++;
    else counts.fetched++;
  }
}

/** `f 12 2026-11-21T20:00:00.000Z notes.txt`, the name escaped for the terminal. */
export function formatListing(entry: Entry): string {
  return `${entry.type} ${entry.size} ${new Date(entry.mtime).toISOString()} ${
    escapeText(entry.name)
  }`;
}

/** Options for {@linkcode uploadFile}. */
export interface UploadOptions {
  /** The path on the server. */
  remote: readonly string[];
}

/** Hashes a local file and uploads it. */
export async function uploadFile(client: FileClient, local: string, options: UploadOptions) {
  const { remote } = options;
  const sha256 = await sha256File(local);
  using file = await Deno.open(local);
  const { size } = await file.stat();
  await client.put(remote, file, size, sha256);
  return { size, sha256 };
}
