/**
 * `sockit tftp serve`: requests arrive on one port; each transfer gets a
 * socket of its own (its transfer ID) and runs beside the others. Files are
 * looked up in the same sandbox as the file service, filenames checked by
 * the same path rules, and refusals answered with the TFTP error code for
 * their reason. Uploads are staged like the file service's (a temporary
 * name in the target folder) and renamed over the target only once the
 * last block is on disk, before its ACK is sent.
 *
 * A request costs a client a few bytes and the server a socket, a file and
 * retransmissions, so until the peer answers a transfer's first packet the
 * transfer is cheap to give up: it must be answered within a short deadline,
 * and it gives way to newer requests when its address, or the server, is at
 * its limit (see `admission.ts`). One host cannot starve the others.
 *
 * Requires `--allow-net` for the address and the clients, `--allow-read=DIR`,
 * and `--allow-write=DIR` with `--allow-write`.
 *
 * @module
 */

import { describeError } from "../console/errors.ts";
import { formatSize } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { formatHostPort } from "../inet/address.ts";
import { splitPath } from "../share/path.ts";
import type { Resolved, Sandbox } from "../share/sandbox.ts";
import { ShareError, type ShareErrorReason } from "../share/share_error.ts";
import { type StagedUpload, stageUpload } from "../share/upload.ts";
import { escapeText } from "../text/escape.ts";
import { receiveDatagrams } from "../udp/socket.ts";
import type { DatagramSocket } from "../udp/socket.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { Admission, type Ticket } from "./admission.ts";
import { blockReader, BlockWriter } from "./blocks.ts";
import {
  decodePacket,
  encodePacket,
  MAX_FILENAME,
  negotiate,
  type Negotiated,
  type Packet,
  TftpError,
  TftpParseError,
} from "./packet.ts";
import { MAX_TIMEOUT_MS, ReceiveSession, SendSession } from "./session.ts";
import { transferSummary } from "./summary.ts";
import { drive, type Machine, TransferError } from "./transfer.ts";

/** Options for {@linkcode serveTftp}. */
export interface ServeTftpOptions {
  /** The folder served: nothing outside it is read or written. */
  sandbox: Sandbox;
  /** Accept write requests (replacing existing files only). @default {false} */
  allowWrite?: boolean;
  /** With `allowWrite`, let write requests create new files. @default {false} */
  create?: boolean;
  /** Retransmissions before a transfer is given up. @default {5} */
  maxRetries?: number;
  /** Transfers at once from one client address. @default {32} */
  maxPerAddress?: number;
  /** Service label for log lines (under `sockit serve`). */
  label?: string;
  signal?: AbortSignal;
  /** The `--allow`/`--deny` gate: requests and transfer packets from peers it turns away are dropped. */
  access?: AccessGate | undefined;
}

/** What a server run did. */
export interface TftpStats {
  sent: number;
  received: number;
  refused: number;
  failed: number;
  /** File bytes received (uploads). */
  bytesIn: number;
  /** File bytes sent (downloads). */
  bytesOut: number;
}

type Request = Extract<Packet, { op: "RRQ" | "WRQ" }>;

/** A request the server turns down, with the TFTP error to answer. */
class Refusal extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** The TFTP error code for each refusal of the shared folder. */
const SHARE_ERROR_CODES: Readonly<Record<ShareErrorReason, number>> = {
  "too-long": TftpError.accessViolation,
  "bad-name": TftpError.accessViolation,
  "hidden": TftpError.accessViolation,
  "outside": TftpError.accessViolation,
  "not-allowed": TftpError.accessViolation,
  "not-found": TftpError.fileNotFound,
  "loop": TftpError.fileNotFound,
  "not-a-directory": TftpError.fileNotFound,
  "not-a-file": TftpError.accessViolation,
  "too-many": TftpError.notDefined,
  "no-name": TftpError.accessViolation,
  "exists": TftpError.fileExists,
  "too-large": TftpError.diskFull,
  "mismatch": TftpError.notDefined,
  "cannot-write": TftpError.accessViolation,
};

function refusalOf(err: ShareError): Refusal {
  return new Refusal(SHARE_ERROR_CODES[err.reason], err.message);
}

/**
 * A TFTP filename as sandbox components: the text as it arrives (`%` is an
 * ordinary character), under the shared folder's path rules; a leading `/`
 * (clients often send one) means nothing.
 *
 * @throws {Refusal} code 2 for names the rules refuse
 */
function components(filename: string, showHidden: boolean): string[] {
  let path: string[];
  try {
    path = splitPath(filename, { showHidden });
  } catch (err) {
    if (err instanceof ShareError) throw refusalOf(err);
    throw err;
  }
  if (path.length === 0) throw new Refusal(TftpError.accessViolation, "not a file name");
  return path;
}

async function resolve(sandbox: Sandbox, path: string[]): Promise<Resolved> {
  try {
    return await sandbox.resolve(path);
  } catch (err) {
    if (err instanceof ShareError) throw refusalOf(err);
    throw err;
  }
}

interface Context {
  socket: DatagramSocket;
  sandbox: Sandbox;
  out: Output;
  allowWrite: boolean;
  create: boolean;
  maxRetries: number;
  tag: string;
  label: string | undefined;
  stats: TftpStats;
  admission: Admission;
  /** The access gate, for packets arriving at transfer sockets. */
  admits?: (from: Deno.NetAddr) => boolean;
}

function gateOf(access: AccessGate, label: string | undefined): (from: Deno.NetAddr) => boolean {
  return (from) =>
    access.admits(from.hostname, formatHostPort(from.hostname, from.port), {
      transport: "udp",
      label,
    });
}

/** The per-transfer socket: same local address as the server, a fresh port. */
function transferSocket(context: Context): Deno.DatagramConn {
  return Deno.listenDatagram({
    hostname: context.socket.address.hostname,
    port: 0,
    transport: "udp",
  });
}

function maxPacket(params: Negotiated): number {
  return Math.max(4 + params.blksize, 2048);
}

/** The shortest wait for the answer to a transfer's first packet. */
export const FIRST_ANSWER_MS = 5000;

/**
 * How long a transfer waits for the answer to its first packet: 5 s, or
 * long enough for one retransmission at a longer negotiated timeout.
 */
function firstAnswerMs(params: Negotiated): number {
  return Math.max(FIRST_ANSWER_MS, 2 * Math.min(MAX_TIMEOUT_MS, params.timeout * 1000));
}

/** One admitted transfer as the server tracks it: its ticket and how to stop it. */
class Slot {
  readonly ticket: Ticket;
  readonly #stop = new AbortController();
  readonly signal: AbortSignal;
  /** Why the server stopped the transfer, when it did. */
  reason: string | undefined;

  constructor(ticket: Ticket, stopAll: AbortSignal) {
    this.ticket = ticket;
    this.signal = AbortSignal.any([stopAll, this.#stop.signal]);
  }

  stop(reason: string): void {
    this.reason ??= reason;
    this.#stop.abort();
  }
}

/** One transfer's request, its socket and peer, and where it reports. */
interface Transfer {
  context: Context;
  request: Request;
  conn: Deno.DatagramConn;
  client: Deno.NetAddr;
  report: (summary: string, size: number) => void;
  signal: AbortSignal;
  /**
   * Arms the deadline for the answer to the first packet and returns the
   * session to drive; `answered` tells when the peer has answered it.
   */
  firstAnswer: (session: Machine, answered: () => boolean, params: Negotiated) => Machine;
}

/** `session`, calling `onAnswer` once, on the packet after which `answered()` holds. */
function watched(session: Machine, answered: () => boolean, onAnswer: () => void): Machine {
  let waiting = true;
  return {
    start: () => session.start(),
    tick: () => session.tick(),
    receive(packet) {
      const actions = session.receive(packet);
      if (waiting && answered()) {
        waiting = false;
        onAnswer();
      }
      return actions;
    },
  };
}

/** Serves a read request. */
async function sendFile(transfer: Transfer): Promise<void> {
  const { context, request, conn, client, report, signal, firstAnswer } = transfer;
  const path = components(request.filename, context.sandbox.showHidden);
  const resolved = await resolve(context.sandbox, path);
  if (!resolved.info.isFile) throw new Refusal(TftpError.fileNotFound, "not a file");
  using file = await Deno.open(resolved.real, { read: true });
  const size = (await file.stat()).size;
  const { accepted, params } = negotiate(request.options, { fileSize: size, mode: request.mode });
  const reader = blockReader(file, request.mode, { size, ...params });
  const oack = Object.keys(accepted).length > 0;
  const session = new SendSession((i) => reader.block(i), {
    params,
    maxRetries: context.maxRetries,
    ...(oack ? { oack: { op: "OACK", options: accepted } } : {}),
  });
  // Answered: DATA 1 acknowledged, or the OACK (ACK 0, after which a window is in flight).
  const answered = () => session.acknowledged > 0 || (oack && session.window().length > 0);
  const started = performance.now();
  await drive(conn, firstAnswer(session, answered, params), {
    peer: client,
    maxPacket: maxPacket(params),
    signal,
    ...(context.admits ? { admits: context.admits } : {}),
    // The next window is read from disk while the client handles this one.
    beforeWait: () => reader.prefetch(session.upcoming),
  });
  context.stats.sent++;
  context.stats.bytesOut += size;
  report(
    `sent ${escapeText(resolved.rel)} (${transferSummary(size, params, started)})`,
    size,
  );
}

/**
 * Stages an upload: with `allowWrite` an existing file is replaced (keeping
 * its permissions), with `create` too a new one may be added; the data
 * reaches the disk before the file is renamed into place.
 */
async function stage(context: Context, path: string[]): Promise<StagedUpload> {
  if (!context.allowWrite) {
    throw new Refusal(TftpError.accessViolation, "the server is read-only");
  }
  try {
    return await stageUpload(context.sandbox, path, {
      replace: true,
      create: context.create,
      durable: true,
      mode: 0o644,
      tempPrefix: ".sockit-tftp-",
    });
  } catch (err) {
    if (err instanceof ShareError) throw refusalOf(err);
    throw err;
  }
}

/** Serves a write request. */
async function receiveFile(transfer: Transfer): Promise<void> {
  const { context, request, conn, client, report, signal, firstAnswer } = transfer;
  const path = components(request.filename, context.sandbox.showHidden);
  using upload = await stage(context, path);
  const { accepted, params } = negotiate(request.options);
  const writer = new BlockWriter((bytes) => upload.writeSync(bytes), request.mode);
  const opening: Packet = Object.keys(accepted).length > 0
    ? { op: "OACK", options: accepted }
    : { op: "ACK", block: 0 };
  const session = new ReceiveSession({ params, opening, maxRetries: context.maxRetries });
  const started = performance.now();
  // Answered: DATA 1 arrived (in answer to the ACK 0 or the OACK).
  await drive(conn, firstAnswer(session, () => session.blocks > 0, params), {
    peer: client,
    maxPacket: maxPacket(params),
    signal,
    ...(context.admits ? { admits: context.admits } : {}),
    dallyMs: params.timeout * 1000,
    write(data, last) {
      writer.write(data);
      if (!last) return;
      // Stored before the final ACK goes out: an ACK means the file is in place.
      writer.finish();
      upload.commit();
    },
    onDone() {
      context.stats.received++;
      context.stats.bytesIn += writer.written;
      report(
        `received ${escapeText(upload.rel)} (${transferSummary(writer.written, params, started)})`,
        writer.written,
      );
    },
  });
}

/** Runs one transfer from request to log line; never throws. */
async function transfer(
  context: Context,
  request: Request,
  client: Deno.NetAddr,
  slot: Slot,
) {
  const { out, tag, label } = context;
  const peer = formatHostPort(client.hostname, client.port);
  const verb = request.op === "RRQ" ? "get" : "put";
  const name = escapeText(request.filename);
  const service = label ? { service: label } : {};
  let conn: Deno.DatagramConn;
  try {
    conn = transferSocket(context);
  } catch (err) {
    context.stats.failed++;
    out.warn(`cannot open a transfer socket for ${peer}: ${describeError(err).message}`);
    return;
  }
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const firstAnswer = (session: Machine, answered: () => boolean, params: Negotiated) => {
    const ms = firstAnswerMs(params);
    deadline = setTimeout(
      () => slot.stop(`no answer from the peer to the first packet within ${ms / 1000} s`),
      ms,
    );
    return watched(session, answered, () => {
      clearTimeout(deadline);
      context.admission.answered(slot.ticket);
    });
  };
  try {
    out.detail(`${peer} ${verb} ${name} (${request.mode})${tag}`);
    const report = (summary: string, size: number) =>
      out.status(`${summary} ${request.op === "RRQ" ? "to" : "from"} ${peer}${tag}`, {
        event: request.op === "RRQ" ? "sent" : "received",
        file: request.filename,
        ...(request.op === "RRQ" ? { to: peer } : { from: peer }),
        size,
        ...service,
      });
    const signal = slot.signal;
    const transfer = { context, request, conn, client, report, signal, firstAnswer };
    if (request.op === "RRQ") await sendFile(transfer);
    else await receiveFile(transfer);
  } catch (err) {
    if (err instanceof Refusal) {
      context.stats.refused++;
      const packet: Packet = { op: "ERROR", code: err.code, message: err.message };
      await conn.send(encodePacket(packet), client).catch(() => {});
      out.status(`refused ${verb} ${name} from ${peer}: ${escapeText(err.message)}${tag}`, {
        event: "refused",
        op: verb,
        file: request.filename,
        from: peer,
        code: err.code,
        reason: err.message,
        ...service,
      });
      return;
    }
    context.stats.failed++;
    const stopped = err instanceof TransferError && err.cancelled ? slot.reason : undefined;
    const message = stopped ??
      (err instanceof TransferError ? err.message : describeError(err).message);
    if (!(err instanceof TransferError)) {
      // An unexpected error: the client is told, not left waiting for retries.
      const packet: Packet = { op: "ERROR", code: TftpError.notDefined, message: "server error" };
      await conn.send(encodePacket(packet), client).catch(() => {});
    }
    out.status(`${verb} ${name} with ${peer} failed: ${escapeText(message)}${tag}`, {
      event: "failed",
      op: verb,
      file: request.filename,
      from: peer,
      reason: message,
      ...service,
    });
  } finally {
    clearTimeout(deadline);
    conn.close();
  }
}

/**
 * Transfers at once: each holds a socket and a file open, so a flood of
 * requests cannot exhaust descriptors. Past it a pending transfer gives way,
 * or the request is answered "server busy".
 */
const MAX_TRANSFERS = 256;

/**
 * Serves TFTP on `socket` until `signal` aborts: read requests always,
 * write requests with `allowWrite`.
 *
 * @returns counts of transfers by outcome
 */
export async function serveTftp(
  socket: DatagramSocket,
  out: Output,
  options: ServeTftpOptions,
): Promise<TftpStats> {
  const {
    sandbox,
    allowWrite = false,
    create = false,
    maxRetries = 5,
    maxPerAddress = 32,
    label,
    signal,
    access,
  } = options;
  const stats: TftpStats = {
    sent: 0,
    received: 0,
    refused: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  const tag = label ? ` (${label})` : "";
  const context: Context = {
    socket,
    sandbox,
    out,
    allowWrite,
    create,
    maxRetries,
    tag,
    label,
    stats,
    admission: new Admission({ maxTransfers: MAX_TRANSFERS, maxPerAddress }),
    ...(access ? { admits: gateOf(access, label) } : {}),
  };
  const slots = new Map<Ticket, Slot>();
  const stopAll = new AbortController();
  const active = new Set<Promise<void>>();
  const stop = () => {
    stopAll.abort();
    socket.close();
  };
  if (signal?.aborted) stop();
  else signal?.addEventListener("abort", stop, { once: true });
  const answer = async (to: Deno.NetAddr, code: number, message: string) => {
    const packet: Packet = { op: "ERROR", code, message };
    await socket.conn.send(encodePacket(packet), to).catch(() => {});
  };
  try {
    for await (
      const datagram of receiveDatagrams(socket.conn, 4 + MAX_FILENAME + 1024, {
        access,
        label,
      })
    ) {
      const client: Deno.NetAddr = {
        transport: "udp",
        hostname: datagram.hostname,
        port: datagram.port,
      };
      let packet: Packet;
      try {
        if (datagram.truncated) {
          throw new TftpParseError(TftpError.illegalOperation, "request too long");
        }
        packet = decodePacket(datagram.data);
      } catch (err) {
        if (!(err instanceof TftpParseError)) throw err;
        stats.refused++;
        out.status(
          `refused a malformed request from ${datagram.from}: ${escapeText(err.message)}${tag}`,
          {
            event: "refused",
            from: datagram.from,
            code: err.code,
            reason: err.message,
            ...(label ? { service: label } : {}),
          },
        );
        await answer(client, err.code, err.message);
        continue;
      }
      if (packet.op === "ERROR") continue; // never answer an error: no loops between servers
      if (packet.op !== "RRQ" && packet.op !== "WRQ") {
        await answer(client, TftpError.illegalOperation, "expected a read or write request");
        continue;
      }
      const admitted = context.admission.request(datagram.hostname, datagram.from);
      if (admitted.decision === "duplicate") {
        out.detail(`ignored a repeated request from ${datagram.from}${tag}`);
        continue;
      }
      if (admitted.decision === "busy") {
        stats.refused++;
        await answer(client, TftpError.notDefined, "server busy, try again later");
        continue;
      }
      const { ticket, evicted } = admitted;
      if (evicted) {
        slots.get(evicted)?.stop("no answer from the peer yet: gave way to a new request");
      }
      const slot = new Slot(ticket, stopAll.signal);
      slots.set(ticket, slot);
      const running = transfer(context, packet, client, slot).finally(() => {
        active.delete(running);
        slots.delete(ticket);
        context.admission.release(ticket);
      });
      active.add(running);
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    stopAll.abort();
    socket.close();
    await Promise.all(active);
  }
  return stats;
}

/** The one-line summary of a server run. */
export function tftpSummary(stats: TftpStats): string {
  return `${stats.sent} sent, ${stats.received} received, ${stats.refused} refused, ` +
    `${stats.failed} failed (${formatSize(stats.bytesIn + stats.bytesOut)})`;
}
