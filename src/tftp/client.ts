/**
 * `sockit tftp get | put`: one transfer from a local socket to a server.
 * A download is written to `LOCAL.part` and renamed to LOCAL when its last
 * block is on disk (before the final ACK); a failed or cancelled one leaves
 * no file behind, since TFTP cannot resume.
 *
 * Requires `--allow-net=HOST` (every port of it: the server answers from a
 * new one) plus read or write access to the local file.
 *
 * @module
 */

import { InterruptedError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { Progress } from "../console/progress.ts";
import { formatHostPort, type HostAddress } from "../inet/address.ts";
import { escapeText } from "../text/escape.ts";
import { defaultBind } from "../udp/send.ts";
import { openDatagram, udpAddr } from "../udp/socket.ts";
import { type BlockReader, blockReader, BlockWriter, fileSink } from "./blocks.ts";
import { GetSession, PutSession, type RequestOptions } from "./request.ts";
import { transferSummary } from "./summary.ts";
import { drive, TransferError } from "./transfer.ts";

/** Options shared by get and put. */
export interface ClientOptions extends Omit<RequestOptions, "tsize"> {
  /** Cancels the transfer: ERROR 0 to the server, then {@linkcode InterruptedError}. */
  signal?: AbortSignal;
}

/** Options for {@linkcode tftpGet}. */
export interface TftpGetOptions extends ClientOptions {
  /** The file to ask the server for. */
  remote: string;
  /** Where to save it (through `LOCAL.part`), or `-` for stdout. */
  local: string;
}

/** Options for {@linkcode tftpPut}. */
export interface TftpPutOptions extends ClientOptions {
  /** The file to send. */
  local: string;
  /** The name to store it under on the server. */
  remote: string;
}

/** Why a local file cannot take part in a transfer. */
export type LocalFileReason = "not found" | "directory" | "not a file";

/** A local file that cannot be read or written; `message` names it and says why. */
export class LocalFileError extends Error {
  readonly reason: LocalFileReason;
  constructor(message: string, reason: LocalFileReason, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalFileError";
    this.reason = reason;
  }
}

/** A local file that cannot be opened: a missing file or a directory is named; the rest passes. */
function localError(err: unknown, verb: "read" | "write", path: string): unknown {
  if (err instanceof Deno.errors.NotFound) {
    const message = `Cannot ${verb} "${path}": no such file or directory`;
    return new LocalFileError(message, "not found", { cause: err });
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return new LocalFileError(`Cannot ${verb} "${path}": it is a directory`, "directory", {
      cause: err,
    });
  }
  return err;
}

/** A cancelled transfer is an interruption; every other error passes. */
function cancelled(err: unknown): unknown {
  return err instanceof TransferError && err.cancelled ? new InterruptedError() : err;
}

/** Runs `work` with a socket bound for talking to `target`. */
async function withSocket<T>(
  target: HostAddress,
  out: Output,
  work: (conn: Deno.DatagramConn) => Promise<T>,
): Promise<T> {
  const socket = openDatagram(defaultBind(target), out);
  try {
    return await work(socket.conn);
  } finally {
    socket.close();
  }
}

/**
 * Downloads `remote` from `target` into `local` (`-` for stdout); the
 * progress bar is drawn unless `out` is quiet or JSON.
 *
 * @throws {TransferError} when the server refuses or the transfer fails
 * @throws {InterruptedError} when `signal` cancels it
 * @throws {LocalFileError} when `LOCAL.part` cannot be created
 */
export async function tftpGet(
  target: HostAddress,
  out: Output,
  options: TftpGetOptions,
): Promise<void> {
  const { remote, local, mode = "octet", signal, blksize = 512, ...request } = options;
  const where = formatHostPort(target.hostname, target.port);
  const drawProgress = !out.quiet && !out.json;
  const toStdout = local === "-";
  const part = `${local}.part`;
  let file: Deno.FsFile | undefined;
  try {
    file = toStdout
      ? undefined
      : await Deno.open(part, { write: true, create: true, truncate: true });
  } catch (err) {
    throw localError(err, "write", part);
  }
  const writer = new BlockWriter(
    toStdout ? fileSink(Deno.stdout) : fileSink(file!),
    mode,
  );
  const session = new GetSession(remote, {
    ...request,
    mode,
    blksize,
    ...(mode === "octet" ? { tsize: 0 } : {}),
  });
  let bar: Progress | undefined;
  let saved = false;
  const started = performance.now();
  try {
    await withSocket(target, out, (conn) =>
      drive(conn, session, {
        peer: udpAddr(target),
        learnPeer: true,
        maxPacket: 4 + Math.max(blksize, 512),
        ...(signal ? { signal } : {}),
        write(data, last) {
          writer.write(data);
          if (!last) return;
          writer.finish();
          if (file) {
            file.close();
            file = undefined;
            Deno.renameSync(part, local);
          }
          saved = true;
        },
        onProgress() {
          const total = session.params?.tsize;
          if (total === undefined) return;
          bar ??= new Progress(remote, total, { enabled: drawProgress });
          bar.add(session.written - bar.done);
        },
      }));
  } catch (err) {
    throw cancelled(err);
  } finally {
    bar?.finish();
    file?.close();
    if (!saved && !toStdout) await Deno.remove(part).catch(() => {});
  }
  if (session.fellBack) out.warn(`${where} refused the options; used plain TFTP (blksize 512)`);
  const name = toStdout ? "stdout" : escapeText(local);
  out.status(`saved ${name} (${transferSummary(writer.written, session.params, started)})`, {
    event: "saved",
    path: local,
    size: writer.written,
    seconds: (performance.now() - started) / 1000,
    ...session.params,
  });
}

/**
 * Uploads `local` to `target` as `remote`; the progress bar is drawn unless
 * `out` is quiet or JSON.
 *
 * @throws {TransferError} when the server refuses or the transfer fails
 * @throws {InterruptedError} when `signal` cancels it
 * @throws {LocalFileError} when `local` is missing, a directory or not a regular file
 */
export async function tftpPut(
  target: HostAddress,
  out: Output,
  options: TftpPutOptions,
): Promise<void> {
  const { local, remote, mode = "octet", signal, ...request } = options;
  const where = formatHostPort(target.hostname, target.port);
  const drawProgress = !out.quiet && !out.json;
  let file: Deno.FsFile;
  let size: number;
  try {
    file = await Deno.open(local, { read: true });
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      throw new LocalFileError(`Cannot send "${local}": not a file`, "not a file");
    }
    size = info.size;
  } catch (err) {
    if (err instanceof LocalFileError) throw err;
    throw localError(err, "read", local);
  }
  using _file = file;
  let reader: BlockReader | undefined;
  const session: PutSession = new PutSession(
    remote,
    (index) => (reader ??= blockReader(file, mode, { size, ...session.params! })).block(index),
    { ...request, mode, ...(mode === "octet" ? { tsize: size } : {}) },
  );
  let bar: Progress | undefined;
  const started = performance.now();
  try {
    await withSocket(target, out, (conn) =>
      drive(conn, session, {
        peer: udpAddr(target),
        learnPeer: true,
        maxPacket: 2048,
        ...(signal ? { signal } : {}),
        beforeWait: () => reader?.prefetch(session.upcoming),
        onProgress() {
          if (!session.params) return;
          bar ??= new Progress(remote, size, { enabled: drawProgress });
          bar.add(Math.min(size, session.acknowledged * session.params.blksize) - bar.done);
        },
      }));
  } catch (err) {
    throw cancelled(err);
  } finally {
    bar?.finish();
  }
  if (session.fellBack) out.warn(`${where} refused the options; used plain TFTP (blksize 512)`);
  out.status(
    `sent ${escapeText(local)} as ${escapeText(remote)} (${
      transferSummary(size, session.params, started)
    })`,
    {
      event: "sent",
      path: local,
      remote,
      size,
      seconds: (performance.now() - started) / 1000,
      ...session.params,
    },
  );
}
