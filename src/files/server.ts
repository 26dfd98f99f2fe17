/**
 * The file protocol server: requests from each connection are read one by
 * one, checked by the pure codec, resolved in the sandbox, and answered in
 * order. Files stream in 256 KiB chunks, so memory stays constant; hashes
 * come from a cache of this server's. Refusals of the shared folder become
 * `ERR` lines with the protocol's codes.
 *
 * Requires `--allow-net=HOST`, `--allow-read=DIR` (and `--allow-write=DIR` with uploads).
 *
 * @module
 */

import { formatSize } from "../console/format.ts";
import config from "../../deno.json" with { type: "json" };
import type { Output } from "../console/output.ts";
import { ConnReader, LineTooLongError } from "../net/conn_reader.ts";
import type { BoundListener } from "../net/endpoint.ts";
import type { AccessGate } from "../net/access_gate.ts";
import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_PER_ADDRESS,
  isDisconnect,
  RequestTimer,
  serveConnections,
  type ServerStats,
  type Session,
} from "../net/server.ts";
import { escapeText } from "../text/escape.ts";
import { FileChangedError, HashCache } from "./hash_cache.ts";
import { fileChunks } from "./file_chunks.ts";
import { isSettled, versionOf, versionTag } from "../share/version.ts";
import { trailedChunks } from "./trailed_chunks.ts";
import { DEFAULT_MAX_CONNS } from "../command/options.ts";
import type { Sandbox } from "../share/sandbox.ts";
import { ShareError } from "../share/share_error.ts";
import { stageUpload } from "../share/upload.ts";
import {
  formatEntry,
  formatError,
  MAX_LINE,
  parseRequest,
  ProtocolError,
  protocolErrorOf,
  type Request,
} from "./protocol.ts";

/** Options for {@linkcode serveFiles}. */
export interface ServeFilesOptions {
  /** Accept PUT. @default {false} */
  allowUpload?: boolean;
  /** Largest upload in bytes. @default {1073741824} */
  maxUpload?: number;
  /** @default {1000} */
  maxConns?: number;
  /** Connections one client address may hold at once. @default {64} */
  maxPerAddress?: number;
  /** Close a client silent for this long (slow or stuck clients). @default {60000} */
  idleMs?: number;
  /** How long a request line may take once begun (slowloris). @default {10000} */
  headerMs?: number;
  label?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The `--allow`/`--deny` gate. */
  access?: AccessGate | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Serves the sandbox over the file protocol until `signal` aborts. */
export function serveFiles(
  bound: BoundListener,
  sandbox: Sandbox,
  out: Output,
  options: ServeFilesOptions = {},
): Promise<ServerStats> {
  const {
    allowUpload = false,
    maxUpload = 1024 ** 3,
    maxConns = DEFAULT_MAX_CONNS,
    maxPerAddress = DEFAULT_MAX_PER_ADDRESS,
    idleMs = 60_000,
    headerMs = DEFAULT_HEADER_TIMEOUT_MS,
    label,
    signal,
    access,
  } = options;
  const context: Context = { sandbox, hashes: new HashCache(), allowUpload, maxUpload, out };
  return serveConnections(bound, out, {
    keepOpen: true,
    maxConns,
    maxPerAddress,
    idleMs,
    label,
    signal,
    access,
    async handle(session) {
      // Reply lines, bodies and trailers are separate writes: without this, Nagle's
      // algorithm and the client's delayed ACK hold many of them back for tens of ms.
      if ("setNoDelay" in session.conn) (session.conn as Deno.TcpConn).setNoDelay(true);
      let timer: RequestTimer | undefined;
      const reader = new ConnReader({
        async read(p) {
          const n = await session.read(p);
          if (n !== null) timer?.begin();
          return n;
        },
      });
      const state: ConnectionState = { version: 1 };
      for (;;) {
        let raw: Uint8Array | null;
        // A whole request line must arrive in time: a client that trickles a byte
        // at a time (slowloris) cannot hold a slot by staying "active".
        timer = new RequestTimer(session, { idleMs, headerMs, begun: reader.buffered > 0 });
        try {
          raw = await reader.readLine(MAX_LINE);
        } catch (err) {
          if (!(err instanceof LineTooLongError)) throw err;
          await reply(session, formatError(414, `request line over ${MAX_LINE} bytes`));
          return;
        } finally {
          timer[Symbol.dispose]();
          timer = undefined;
        }
        if (raw === null) return; // the client half-closed: every reply has been sent
        const keepGoing = await answer(session, reader, raw, context, state);
        if (!keepGoing) return;
      }
    },
  });
}

interface Context {
  sandbox: Sandbox;
  hashes: HashCache;
  allowUpload: boolean;
  maxUpload: number;
  out: Output;
}

/** What one connection agreed on: the protocol version (1 until a HELLO says otherwise). */
interface ConnectionState {
  version: number;
}

function reply(session: Session, line: string): Promise<void> {
  return session.send(encoder.encode(line + "\n"));
}

/** Answers one request; false when the connection should end. */
async function answer(
  session: Session,
  reader: ConnReader,
  raw: Uint8Array,
  context: Context,
  state: ConnectionState,
): Promise<boolean> {
  let request: Request;
  try {
    let line: string;
    try {
      line = decoder.decode(raw);
    } catch {
      throw new ProtocolError(400, "request is not valid UTF-8");
    }
    request = parseRequest(line, { showHidden: context.sandbox.showHidden });
    switch (request.verb) {
      case "QUIT":
        return false;
      case "HELLO":
        state.version = request.version;
        await reply(session, `OK HELLO ${request.version} sockit/${config.version}`);
        return true;
      case "HASH":
        await sendHash(session, request.path, context);
        return true;
      case "STAT": {
        const { info } = await context.sandbox.resolve(request.path);
        const type = info.isDirectory ? "d" : "f";
        await reply(session, `OK STAT ${type} ${info.isFile ? info.size : 0} ${mtimeOf(info)}`);
        return true;
      }
      case "LIST": {
        const entries = await context.sandbox.list(await context.sandbox.resolve(request.path));
        const lines = [`OK LIST ${entries.length}`, ...entries.map(formatEntry)];
        await session.send(encoder.encode(lines.join("\n") + "\n"));
        return true;
      }
      case "GET":
        if (state.version >= 2) {
          await sendFileTrailed(session, request.path, request.offset, context);
        } else await sendFile(session, request.path, request.offset, context);
        return true;
      case "PUT":
        return await receiveFile(session, reader, request, context);
    }
  } catch (err) {
    const refused = refusalOf(err, session, context.out);
    await reply(session, formatError(refused.code, refused.message));
    return true;
  }
}

/**
 * The `ERR` for a failed request: a protocol error or a refusal of the shared
 * folder as it is; any other failure (a disk error) as a plain 500, its
 * details in the server's log only, never on the wire. A lost connection is
 * rethrown: it ends the session.
 */
function refusalOf(err: unknown, session: Session, out: Output): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof ShareError) return protocolErrorOf(err);
  if (err instanceof FileChangedError) {
    out.warn(`${session.peer}: ${err.message}`);
    return new ProtocolError(503, "the file is changing; try again");
  }
  if (isDisconnect(err)) throw err;
  out.warn(`${session.peer}: ${escapeText(err instanceof Error ? err.message : String(err))}`);
  return new ProtocolError(500, "the server failed to read or write");
}

function mtimeOf(info: Deno.FileInfo): number {
  return info.mtime?.getTime() ?? 0;
}

/** Opens a resolved regular file of the share. */
async function openFile(path: string[], context: Context) {
  const resolved = await context.sandbox.resolve(path);
  if (!resolved.info.isFile) throw new ProtocolError(400, "not a file");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(resolved.real);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new ProtocolError(404, "no such file");
    throw err;
  }
  return { resolved, file };
}

/** HASH: the SHA-256 of the file as it is (from the cache when its version is known). */
async function sendHash(session: Session, path: string[], context: Context) {
  const { resolved, file } = await openFile(path, context);
  try {
    const now = Date.now();
    const info = await file.stat();
    if (!info.isFile) throw new ProtocolError(400, "not a regular file or folder");
    const version = versionOf(info);
    const sha256 = await context.hashes.sha256(
      resolved.real,
      file,
      version,
      isSettled(version, now),
    );
    await reply(session, `OK HASH ${info.size} ${mtimeOf(info)} ${sha256}`);
  } finally {
    file.close();
  }
}

/**
 * GET in version 2: the header names the version, the bytes follow at once
 * and are hashed on the way (unless the version's hash is known), and a
 * trailer line ends the reply: `OK SHA256 HEX`, or `ERR 503` when the file
 * changed while it was sent (the rest of the length is then zeros).
 */
async function sendFileTrailed(
  session: Session,
  path: string[],
  offset: number,
  context: Context,
) {
  const { resolved, file } = await openFile(path, context);
  try {
    const now = Date.now();
    const info = await file.stat();
    if (!info.isFile) throw new ProtocolError(400, "not a regular file or folder");
    if (offset > info.size) {
      throw new ProtocolError(416, `offset ${offset} is past the end (${info.size})`);
    }
    const version = versionOf(info);
    const settled = isSettled(version, now);
    let known: string | undefined;
    try {
      known = await context.hashes.known(resolved.real, version);
    } catch {
      known = undefined; // a computation that failed: hash on the way instead
    }
    const length = info.size - offset;
    await reply(
      session,
      `OK GET ${info.size} ${mtimeOf(info)} ${offset} ${length} ${versionTag(version)}`,
    );
    // The reply has begun: from here on a disk error can only cut the connection.
    try {
      const chunks = trailedChunks(file, {
        start: offset,
        end: info.size,
        version,
        known,
        settled,
        buffer: new Uint8Array(256 * 1024),
      });
      let step;
      while (!(step = await chunks.next()).done) await session.send(step.value);
      const trailer = step.value;
      if (trailer.changed !== undefined) {
        context.out.warn(`${session.peer}: ${escapeText(resolved.rel)}: ${trailer.changed}`);
        await reply(session, formatError(503, `${trailer.changed}; ask again`));
        return;
      }
      if (known === undefined) {
        context.hashes.remember(resolved.real, version, trailer.sha256, settled);
      }
      await reply(session, `OK SHA256 ${trailer.sha256}`);
    } catch (err) {
      if (isDisconnect(err)) throw err;
      cut(session, context.out, err);
    }
  } finally {
    file.close();
  }
}

async function sendFile(session: Session, path: string[], offset: number, context: Context) {
  const resolved = await context.sandbox.resolve(path);
  if (!resolved.info.isFile) throw new ProtocolError(400, "not a file");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(resolved.real);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new ProtocolError(404, "no such file");
    throw err;
  }
  try {
    const now = Date.now();
    const info = await file.stat();
    // Replaced by something else since it was resolved.
    if (!info.isFile) throw new ProtocolError(400, "not a regular file or folder");
    if (offset > info.size) {
      throw new ProtocolError(416, `offset ${offset} is past the end (${info.size})`);
    }
    const version = versionOf(info);
    const settled = isSettled(version, now);
    const sha256 = await context.hashes.sha256(resolved.real, file, version, settled);
    const length = info.size - offset;
    await reply(session, `OK GET ${info.size} ${mtimeOf(info)} ${offset} ${length} ${sha256}`);
    // From here on the reply has begun: a failure can only cut the connection,
    // and the client sees a short transfer, never a padded or a wrong one.
    try {
      const chunks = fileChunks(file, {
        start: offset,
        end: info.size,
        version,
        // A version that cannot show a change yet: check the bytes themselves.
        sha256: settled ? undefined : sha256,
        buffer: new Uint8Array(256 * 1024),
      });
      for await (const chunk of chunks) await session.send(chunk);
    } catch (err) {
      if (isDisconnect(err)) throw err;
      if (err instanceof FileChangedError) {
        context.out.warn(`${session.peer}: ${escapeText(resolved.rel)}: ${err.message}`);
        session.close(err.message);
        return;
      }
      cut(session, context.out, err);
    }
  } finally {
    file.close();
  }
}

/** Ends a session whose reply cannot be completed, the cause in the log only. */
function cut(session: Session, out: Output, err: unknown): void {
  const message = escapeText(err instanceof Error ? err.message : String(err));
  out.warn(`${session.peer}: ${message}`);
  session.close("the server failed to read the file");
}

/** PUT over the file protocol: the body follows the request line. */
async function receiveFile(
  session: Session,
  reader: ConnReader,
  request: Extract<Request, { verb: "PUT" }>,
  context: Context,
): Promise<boolean> {
  // Uploads off, or a body too large to skip: answer and close.
  if (!context.allowUpload) {
    await reply(
      session,
      formatError(405, "uploads are disabled (server runs without --allow-upload)"),
    );
    return false;
  }
  if (request.size > context.maxUpload) {
    await reply(session, formatError(413, `uploads are at most ${context.maxUpload} bytes`));
    return false;
  }
  let consumed = false;
  let received = 0;
  try {
    using upload = await stageUpload(context.sandbox, request.path, {
      size: request.size,
      sha256: request.sha256,
      maxSize: context.maxUpload,
    });
    consumed = true;
    await reader.readExact(request.size, async (chunk) => {
      await upload.write(chunk);
      received += chunk.length; // a chunk that failed stays unread, for the skip below
    });
    const stored = upload.commit();
    const rel = escapeText(stored.rel);
    context.out.status(`uploaded ${rel} (${formatSize(stored.size)}) from ${session.peer}`, {
      event: "uploaded",
      path: stored.rel,
      size: stored.size,
      ...(stored.sha256 ? { sha256: stored.sha256 } : {}),
      from: session.peer,
    });
    await reply(session, `OK PUT ${stored.size} ${stored.sha256}`);
    return true;
  } catch (err) {
    const refused = refusalOf(err, session, context.out);
    // Refused before the body was read, or failed within it: skip the rest so the
    // connection stays in step.
    await reader.readExact(consumed ? request.size - received : request.size, () => {});
    await reply(session, formatError(refused.code, refused.message));
    return true;
  }
}
