/**
 * The connection-serving machinery shared by every stream server (`tcp
 * listen`, `chat serve`, …): accept one client or many concurrently,
 * `--max-conns` (the extra client is told `busy`), `--idle`, one status line
 * per connection, and a clean stop when the signal aborts. What to do with
 * each connection is the caller's `handle`.
 *
 * Requires `--allow-net=HOST` (Unix sockets: `--allow-net=unix:PATH` plus read and write of PATH).
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { DEFAULT_MAX_CONNS } from "../command/options.ts";
import { writeAll } from "./buffer.ts";
import { type BoundListener, closeQuietly, peerName } from "./endpoint.ts";

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
  /** Why it was closed, when not by the client (shown in the `closed` line). */
  closeReason: string | undefined;
  #closed = false;

  constructor(conn: Deno.Conn, peer: string, id: number) {
    this.conn = conn;
    this.peer = peer;
    this.id = id;
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
    }
    return n;
  }

  /** Writes all of `bytes`, counting them. */
  async send(bytes: Uint8Array): Promise<void> {
    await writeAll(this.conn, bytes);
    this.bytesOut += bytes.length;
    this.lastActive = Date.now();
  }

  /** Closes the connection (a pending read then fails); the first reason given is kept. */
  close(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason ??= reason;
    closeQuietly(this.conn);
  }
}

/** Totals of one server run. */
export interface ServerStats {
  connections: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

/** Prints the one-line summary a server shows when it stops. */
export function printSummary(
  out: Output,
  stats: ServerStats,
  options: SummaryOptions = {},
): void {
  const { datagrams, more = [], fields = {} } = options;
  const refused = stats.refused > 0 ? `, ${stats.refused} refused busy` : "";
  const udp = datagrams === undefined ? "" : `, ${datagrams} datagrams answered`;
  const extra = more.map((part) => `, ${part}`).join("");
  out.essential(
    `stopped: ${stats.connections} connections served${refused}, ` +
      `${stats.bytesIn} bytes in, ${stats.bytesOut} bytes out${udp}${extra}`,
    { event: "summary", ...stats, ...(datagrams === undefined ? {} : { datagrams }), ...fields },
  );
}

/** Options for {@linkcode printSummary}: what a server with more than streams adds. */
export interface SummaryOptions {
  /** Datagrams answered (UDP services). */
  datagrams?: number;
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
  /** Close a client after this many ms without traffic. */
  idleMs?: number | undefined;
  /** Names the service in per-connection lines when one process runs several (`serve`). */
  label?: string | undefined;
  /** Stops the server: listener closed, clients closed. */
  signal?: AbortSignal | undefined;
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
  const { handle, onOpen, keepOpen = false, maxConns = DEFAULT_MAX_CONNS, idleMs, label, signal } =
    options;
  const tag = label ? ` (${label})` : "";
  const service = label ? { service: label } : {};
  const stats: ServerStats = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  const sessions = new Set<Session>();
  const handlers = new Set<Promise<void>>();
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

  const finish = (session: Session) => {
    sessions.delete(session);
    session.close();
    stats.bytesIn += session.bytesIn;
    stats.bytesOut += session.bytesOut;
    const why = session.closeReason ? `, ${session.closeReason}` : "";
    out.status(
      `closed ${session.peer} (${session.bytesIn} bytes in, ${session.bytesOut} bytes out${why})${tag}`,
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
      if (sessions.size >= maxConns) {
        stats.refused++;
        out.status(`refused ${peer} (busy: ${sessions.size} connections)${tag}`, {
          event: "refused",
          from: peer,
          reason: "busy",
          ...service,
        });
        conn.write(BUSY).catch(() => {}).finally(() => closeQuietly(conn));
        continue;
      }
      const session = new Session(conn, peer, serial);
      sessions.add(session);
      stats.connections++;
      out.status(`connection from ${peer}${tag}`, { event: "connection", from: peer, ...service });
      onOpen?.(session, sessions);
      const handler = runHandler(handle, session).finally(() => {
        finish(session);
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
    session.closeReason ??= `error: ${err instanceof Error ? err.message : String(err)}`;
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
