/**
 * The connection-serving machinery shared by every stream server (`tcp
 * listen`, `chat serve`, …): accept one client or many concurrently,
 * `--max-conns` and, where a server asks for it, a limit per client address
 * (the extra client is told `busy`), `--idle`, one status line per
 * connection, and a clean stop when the signal aborts. What to do with each
 * connection is the caller's `handle`; {@linkcode RequestTimer} bounds the
 * wait for one request in a request-response protocol (slowloris).
 *
 * Requires `--allow-net=HOST` (Unix sockets: `--allow-net=unix:PATH` plus read and write of PATH).
 *
 * @module
 */

import { count, formatInOut } from "../console/format.ts";
import type { Output, OutputEvent } from "../console/output.ts";
import { DEFAULT_MAX_CONNS } from "../command/options.ts";
import { escapeText } from "../text/escape.ts";
import type { AccessGate } from "./access_gate.ts";
import { writeAll } from "./buffer.ts";
import type { ByteTap, Taps } from "./tap.ts";
import { type BoundListener, closeQuietly, peerName } from "./endpoint.ts";

/**
 * Connections one client address may hold at once, where a server limits
 * them (`--max-per-address`): more than any browser (6) or parallel client
 * needs, yet far below `--max-conns`, so one host cannot take every slot.
 */
export const DEFAULT_MAX_PER_ADDRESS = 64;

/**
 * How long one request line or header may take once its first byte has
 * arrived (`--header-timeout`): far longer than any client needs, even over
 * a slow link or typed by hand, yet short enough that a client sending a
 * byte at a time holds its slot for seconds, not for `--idle`.
 */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/** One accepted client. */
export class Session {
  readonly conn: Deno.Conn;
  /** `HOST:PORT` (or `unix:#N`). */
  readonly peer: string;
  /** A number unique within the server run, from 1. */
  readonly id: number;
  bytesIn = 0;
  bytesOut = 0;
  lastActive = Date.now();
  /** When it was accepted (`performance.now()`), for its duration. */
  readonly opened = performance.now();
  /** Why it was closed, when not by the client (shown in the `closed` line). */
  closeReason: string | undefined;
  /** Sees every chunk read and sent (`-x`, `--log`). */
  readonly tap: ByteTap | undefined;
  /** Called once when the session is closed (e.g. to close what it is joined to). */
  onClose: (() => void) | undefined;
  #closed = false;

  constructor(conn: Deno.Conn, peer: string, id: number, tap?: ByteTap) {
    this.conn = conn;
    this.peer = peer;
    this.id = id;
    this.tap = tap;
  }

  /** True once {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Reads into `buffer`; null at end of stream. Counts bytes and activity. */
  async read(buffer: Uint8Array): Promise<number | null> {
    const n = await this.conn.read(buffer);
    if (n !== null) {
      this.bytesIn += n;
      this.lastActive = Date.now();
      this.tap?.received(buffer.subarray(0, n));
    }
    return n;
  }

  /** Writes all of `bytes`, counting them. */
  async send(bytes: Uint8Array): Promise<void> {
    await writeAll(this.conn, bytes);
    this.sent(bytes);
    this.lastActive = Date.now();
  }

  /** Counts bytes that went out by another path (a queue): the total and the tap. */
  sent(bytes: Uint8Array): void {
    this.bytesOut += bytes.length;
    this.tap?.sent(bytes);
  }

  /** Closes the connection (a pending read then fails); the first reason given is kept. */
  close(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason ??= reason;
    closeQuietly(this.conn);
    this.onClose?.();
  }
}

/** Totals of one server run. */
export interface ServerStats {
  connections: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

/** Adds `more` into `total` (a process that runs several servers reports them as one). */
export function addStats(total: ServerStats, more: ServerStats | undefined): ServerStats {
  if (!more) return total;
  total.connections += more.connections;
  total.refused += more.refused;
  total.bytesIn += more.bytesIn;
  total.bytesOut += more.bytesOut;
  return total;
}

/** Prints the one-line summary a server shows when it stops. */
export function printSummary(
  out: Output,
  stats: ServerStats,
  options: SummaryOptions = {},
): void {
  const { datagrams, denied, more = [], fields = {} } = options;
  const refused = stats.refused > 0 ? `, ${stats.refused} refused busy` : "";
  const turnedAway = denied === undefined ? "" : `, ${denied} denied`;
  const udp = datagrams === undefined ? "" : `, ${count(datagrams, "datagram")} answered`;
  const extra = more.map((part) => `, ${part}`).join("");
  out.essential(
    `stopped: ${count(stats.connections, "connection")} served${refused}, ` +
      `${formatInOut(stats.bytesIn, stats.bytesOut)}${udp}${turnedAway}${extra}`,
    {
      event: "summary",
      ...stats,
      ...(datagrams === undefined ? {} : { datagrams }),
      ...(denied === undefined ? {} : { denied }),
      ...fields,
    },
  );
}

/** Options for {@linkcode printSummary}: what a server with more than streams adds. */
export interface SummaryOptions {
  /** Datagrams answered (UDP services). */
  datagrams?: number;
  /** Peers turned away by `--allow`/`--deny` (given only when the server has an access list). */
  denied?: number | undefined;
  /** Further parts of the line, each after a comma (e.g. `TFTP 2 sent, …`). */
  more?: string[];
  /** Further fields of the JSON event. */
  fields?: Record<string, unknown>;
}

/** Options for {@linkcode serveConnections}. */
export interface ServeConnectionsOptions {
  /** Serves one connection; returns when it is done. Errors end that connection only. */
  handle(session: Session): Promise<void>;
  /** Called for each accepted session before `handle` (e.g. to start reading stdin). */
  onOpen?: (session: Session, sessions: ReadonlySet<Session>) => void;
  /** Keep accepting and serve clients concurrently. @default {false} */
  keepOpen?: boolean;
  /** Clients over this many are told `busy` and closed. @default {1000} */
  maxConns?: number;
  /**
   * Clients from one address (host) over this many are told `busy` and
   * closed; Unix-socket peers have no address and are not counted.
   * @default {Infinity}
   */
  maxPerAddress?: number;
  /** What a refused client is told. @default {"busy\n"} */
  busy?: Uint8Array;
  /** Close a client after this many ms without traffic. */
  idleMs?: number | undefined;
  /** Names the service in per-connection lines when one process runs several (`serve`). */
  label?: string | undefined;
  /** Stops the server: listener closed, clients closed. */
  signal?: AbortSignal | undefined;
  /**
   * The `--allow`/`--deny` gate: a client it turns away is closed at once,
   * before a byte is sent or read (Unix-socket peers have no address and
   * are admitted).
   */
  access?: AccessGate | undefined;
  /** Taps every connection's bytes (`-x`, `--log`). */
  taps?: Taps | undefined;
  /**
   * The line and event that report a finished session, for a server whose
   * `closed` line says more (a relay names its target). @default `closed HOST:PORT (12 B in, 1.5 MB out[, reason])`
   */
  closedReport?: (session: Session) => ClosedReport;
}

/**
 * `closed HOST:PORT → TO (IN in, OUT out, SECONDS s[, reason])` and its
 * event: the report of a session joined to something else (a relay's
 * TARGET, an `--exec` program). A reason in `ordinary` is left out of the
 * line (it stays in the event).
 */
export function joinedClosed(
  session: Session,
  to: string,
  ordinary: ReadonlySet<string>,
): ClosedReport {
  const seconds = Math.round(performance.now() - session.opened) / 1000;
  const reason = session.closeReason ?? "client closed";
  const why = ordinary.has(reason) ? "" : `, ${reason}`;
  return {
    text: `closed ${session.peer} → ${to} (${formatInOut(session.bytesIn, session.bytesOut)}, ` +
      `${seconds.toFixed(3)} s${why})`,
    event: {
      event: "closed",
      from: session.peer,
      to,
      bytesIn: session.bytesIn,
      bytesOut: session.bytesOut,
      seconds,
      reason,
    },
  };
}

/** How one finished session is reported: a status line and its JSON event. */
export interface ClosedReport {
  text: string;
  event: OutputEvent;
}

const BUSY = new TextEncoder().encode("busy\n");

/**
 * Accepts and serves clients on a bound listener until done: after the
 * first client without `keepOpen`, or when `signal` aborts.
 *
 * @returns totals, for the summary line
 */
export async function serveConnections(
  bound: BoundListener,
  out: Output,
  options: ServeConnectionsOptions,
): Promise<ServerStats> {
  const {
    handle,
    onOpen,
    keepOpen = false,
    maxConns = DEFAULT_MAX_CONNS,
    maxPerAddress = Infinity,
    busy = BUSY,
    idleMs,
    label,
    signal,
    access,
    taps,
    closedReport,
  } = options;
  const tag = label ? ` (${label})` : "";
  const service = label ? { service: label } : {};
  const stats: ServerStats = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  const sessions = new Set<Session>();
  const handlers = new Set<Promise<void>>();
  const perAddress = new Map<string, number>();
  let serial = 0;

  const stop = () => {
    bound.close();
    for (const session of sessions) session.close("server stopped");
  };
  signal?.addEventListener("abort", stop, { once: true });
  const sweeper = idleMs === undefined ? undefined : setInterval(() => {
    const now = Date.now();
    for (const session of sessions) {
      if (now - session.lastActive >= idleMs) session.close(`idle ${idleMs} ms`);
    }
  }, Math.max(20, Math.min(Math.floor(idleMs / 4), 1000)));

  const finish = (session: Session, host: string | undefined) => {
    sessions.delete(session);
    if (host !== undefined) {
      const left = (perAddress.get(host) ?? 1) - 1;
      if (left > 0) perAddress.set(host, left);
      else perAddress.delete(host);
    }
    session.close();
    session.tap?.close();
    stats.bytesIn += session.bytesIn;
    stats.bytesOut += session.bytesOut;
    if (closedReport) {
      const { text, event } = closedReport(session);
      out.status(`${text}${tag}`, { ...event, ...service });
      return;
    }
    const why = session.closeReason ? `, ${session.closeReason}` : "";
    out.status(
      `closed ${session.peer} (${formatInOut(session.bytesIn, session.bytesOut)}${why})${tag}`,
      {
        event: "closed",
        from: session.peer,
        ...service,
        bytesIn: session.bytesIn,
        bytesOut: session.bytesOut,
        ...(session.closeReason ? { reason: session.closeReason } : {}),
      },
    );
  };

  try {
    if (signal?.aborted) stop();
    for await (const conn of acceptAll(bound.listener)) {
      serial++;
      const peer = peerName(conn, serial);
      const host = hostOf(conn);
      if (access && host !== undefined && !access.admits(host, peer, { label })) {
        closeQuietly(conn);
        continue;
      }
      const fromHost = host === undefined ? 0 : perAddress.get(host) ?? 0;
      const full = sessions.size >= maxConns
        ? count(sessions.size, "connection")
        : fromHost >= maxPerAddress
        ? `${count(fromHost, "connection")} from ${host}`
        : undefined;
      if (full !== undefined) {
        stats.refused++;
        out.status(`refused ${peer} (busy: ${full})${tag}`, {
          event: "refused",
          from: peer,
          reason: "busy",
          ...service,
        });
        refuse(conn, busy);
        continue;
      }
      const session = new Session(conn, peer, serial, taps?.open(peer));
      sessions.add(session);
      if (host !== undefined) perAddress.set(host, fromHost + 1);
      stats.connections++;
      out.status(`connection from ${peer}${tag}`, { event: "connection", from: peer, ...service });
      onOpen?.(session, sessions);
      const handler = runHandler(handle, session).finally(() => {
        finish(session, host);
        handlers.delete(handler);
      });
      handlers.add(handler);
      if (!keepOpen) {
        bound.close();
        await handler;
        break;
      }
    }
    await Promise.all(handlers);
  } finally {
    clearInterval(sweeper);
    signal?.removeEventListener("abort", stop);
    bound.close();
    for (const session of sessions) session.close();
  }
  return stats;
}

/** Runs a handler; network errors end the session, never the server. */
async function runHandler(handle: (s: Session) => Promise<void>, session: Session) {
  try {
    await handle(session);
  } catch (err) {
    if (isDisconnect(err)) {
      session.closeReason ??= describeDisconnect(err);
      return;
    }
    session.closeReason ??= describeFailure(err);
  }
}

/** A session's failure for its `closed` line: TLS handshake failures in words. */
function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith("TLS client certificate refused")) return escapeText(message);
  if (/peer sent no certificates/i.test(message)) {
    return "TLS client certificate refused: the client sent none";
  }
  if (/InvalidContentType|corrupt message|not a TLS handshake/i.test(message)) {
    return "TLS handshake failed: the client does not speak TLS (plain text on a TLS port?)";
  }
  if (
    /peer sent no certificates|handshake|alert|certificate/i.test(message) &&
    /TLS|tls|alert/.test(message)
  ) {
    return `TLS handshake failed: ${escapeText(message.split("\n")[0] ?? "")}`;
  }
  return `error: ${escapeText(message)}`;
}

/**
 * Tells a client over the limit `busy` and closes, gently: the write side
 * first, then what it still sends is dropped for a moment (at most 500 ms,
 * 64 KiB), so that closing with its request unread does not reset the
 * connection before it has read the refusal.
 */
function refuse(conn: Deno.Conn, busy: Uint8Array): void {
  const timer = setTimeout(() => closeQuietly(conn), 500);
  (async () => {
    await conn.write(busy);
    await conn.closeWrite();
    const scratch = new Uint8Array(16 * 1024);
    for (let dropped = 0, n; dropped < 64 * 1024 && (n = await conn.read(scratch)) !== null;) {
      dropped += n;
    }
  })().catch(() => {}).finally(() => {
    clearTimeout(timer);
    closeQuietly(conn);
  });
}

/** The client's address (host), or undefined for a Unix-socket peer. */
function hostOf(conn: Deno.Conn): string | undefined {
  const addr = conn.remoteAddr;
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : undefined;
}

/** Options for {@linkcode RequestTimer}. */
export interface RequestTimerOptions {
  /** How long the client may stay silent before the request begins. */
  idleMs: number;
  /** How long the request line or header may take once its first byte arrived. */
  headerMs: number;
  /** The request has begun already (its first bytes are buffered). @default {false} */
  begun?: boolean;
}

/**
 * The deadline of one request on a session: the client may stay silent for
 * `idleMs` before the request begins, and must then complete its line or
 * header within `headerMs` (or `idleMs`, if shorter) of the first byte,
 * whatever trickles in meanwhile (slowloris: a byte at a time is activity,
 * never progress). When the deadline passes, the session is closed: `no
 * complete request in MS ms`. Dispose of it once the request is complete.
 */
export class RequestTimer implements Disposable {
  readonly #session: Session;
  readonly #headerMs: number;
  #timer: ReturnType<typeof setTimeout>;
  #begun = false;

  constructor(session: Session, options: RequestTimerOptions) {
    const { idleMs, headerMs, begun = false } = options;
    this.#session = session;
    this.#headerMs = Math.min(headerMs, idleMs);
    this.#timer = this.#arm(idleMs);
    if (begun) this.begin();
  }

  /** The request's first byte arrived: its header deadline replaces the idle one (once). */
  begin(): void {
    if (this.#begun) return;
    this.#begun = true;
    clearTimeout(this.#timer);
    this.#timer = this.#arm(this.#headerMs);
  }

  #arm(ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => this.#session.close(`no complete request in ${ms} ms`), ms);
  }

  /** The request is complete (or the wait is over): no deadline any more. */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }
}

async function* acceptAll(listener: Deno.Listener): AsyncGenerator<Deno.Conn> {
  for (;;) {
    try {
      yield await listener.accept();
    } catch (err) {
      if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) return;
      // A client that reset before accept completed: keep serving.
      if (
        err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.ConnectionAborted
      ) {
        continue;
      }
      throw err;
    }
  }
}

/** Errors that mean "the connection went away" rather than a bug. */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.UnexpectedEof;
}

function describeDisconnect(err: unknown): string | undefined {
  if (err instanceof Deno.errors.ConnectionReset) return "reset by peer";
  if (err instanceof Deno.errors.BrokenPipe) return "peer closed while sending";
  return undefined;
}
