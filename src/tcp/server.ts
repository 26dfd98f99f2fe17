/**
 * The TCP server endpoint: accepts clients (one, or many concurrently with
 * `-k`), runs the chosen mode on each, enforces `--max-conns` and `--idle`,
 * reports each connection, and stops cleanly when its signal aborts.
 *
 * Requires `--allow-net=HOST` (Unix sockets: `--allow-net=unix:PATH` plus `--allow-read` and `--allow-write` of PATH).
 *
 * @module
 */

import type { Output } from "../cli/output.ts";
import { bytesField } from "../cli/output.ts";
import { formatRate } from "../cli/format.ts";
import { AdaptiveBuffer, writeAll } from "../net/buffer.ts";
import { type BoundListener, closeQuietly, peerName } from "../net/endpoint.ts";
import { LineSplitter } from "../net/lines.ts";
import { QueuedWriter } from "../net/queued_writer.ts";
import { type ChunkSource, openStdin } from "../net/stdin.ts";
import { greetResponder, type LineResponder, stampResponder } from "./responder.ts";

/** The server modes of CLI.md. */
export const TCP_MODES = ["stdio", "echo", "stamp", "greet", "sink"] as const;
/** One of {@linkcode TCP_MODES}. */
export type TcpMode = typeof TCP_MODES[number];

/** Options for {@linkcode serveTcp}. */
export interface ServeTcpOptions {
  /** @default {"stdio"} */
  mode?: TcpMode;
  /** Keep accepting and serve clients concurrently (`-k`). @default {false} */
  keepOpen?: boolean;
  /** Clients over this many are told `busy` and closed. @default {1000} */
  maxConns?: number;
  /** Close a client after this many ms without traffic. */
  idleMs?: number | undefined;
  /** Greeting line of `greet` mode. */
  greeting?: string | undefined;
  /** Names the service in per-connection lines when one process runs several (`serve`). */
  label?: string | undefined;
  /** Stops the server: listener closed, clients closed. */
  signal?: AbortSignal;
  /** Opens the input of `stdio` mode (when the first client arrives). @default {openStdin} */
  stdin?: () => ChunkSource;
}

/** Totals of one server run. */
export interface ServerStats {
  connections: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

class Session {
  readonly conn: Deno.Conn;
  readonly peer: string;
  bytesIn = 0;
  bytesOut = 0;
  lastActive = Date.now();
  closeReason: string | undefined;
  queue: QueuedWriter | undefined;
  #closed = false;

  constructor(conn: Deno.Conn, peer: string) {
    this.conn = conn;
    this.peer = peer;
  }

  async send(bytes: Uint8Array): Promise<void> {
    await writeAll(this.conn, bytes);
    this.bytesOut += bytes.length;
    this.lastActive = Date.now();
  }

  close(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason ??= reason;
    closeQuietly(this.conn);
  }
}

const BUSY = new TextEncoder().encode("busy\n");
const LF = new Uint8Array([0x0a]);

/**
 * Serves clients on a bound listener until done: after the first client
 * without `keepOpen`, or when `signal` aborts.
 *
 * @returns totals, for the summary line
 */
export async function serveTcp(
  bound: BoundListener,
  out: Output,
  options: ServeTcpOptions = {},
): Promise<ServerStats> {
  const {
    mode = "stdio",
    keepOpen = false,
    maxConns = 1000,
    idleMs,
    greeting,
    label,
    signal,
    stdin = openStdin,
  } = options;
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

  let stdinPump: Promise<void> | undefined;
  const startStdin = (first: Session) => {
    if (mode !== "stdio" || stdinPump) return;
    stdinPump = keepOpen ? broadcastStdin(stdin(), sessions) : pipeStdin(stdin(), first);
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
      const session = new Session(conn, peer);
      if (mode === "stdio" && keepOpen) session.queue = new QueuedWriter(conn);
      sessions.add(session);
      stats.connections++;
      out.status(`connection from ${peer}${tag}`, { event: "connection", from: peer, ...service });
      startStdin(session);
      const handler = runSession(session, { mode, greeting, out }).finally(() => {
        sessions.delete(session);
        session.close();
        stats.bytesIn += session.bytesIn;
        stats.bytesOut += session.bytesOut;
        const why = session.closeReason ? `, ${session.closeReason}` : "";
        out.status(
          `closed ${peer} (${session.bytesIn} bytes in, ${session.bytesOut} bytes out${why})${tag}`,
          {
            event: "closed",
            from: peer,
            ...service,
            bytesIn: session.bytesIn,
            bytesOut: session.bytesOut,
            ...(session.closeReason ? { reason: session.closeReason } : {}),
          },
        );
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

async function* acceptAll(listener: Deno.Listener): AsyncGenerator<Deno.Conn> {
  for (;;) {
    try {
      yield await listener.accept();
    } catch (err) {
      if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) return;
      // A client that reset before accept completed, or a passing fd shortage: keep serving.
      if (
        err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.ConnectionAborted
      ) {
        continue;
      }
      throw err;
    }
  }
}

interface SessionContext {
  mode: TcpMode;
  greeting: string | undefined;
  out: Output;
}

/** Runs one client's mode; network errors end the session, never the server. */
async function runSession(session: Session, context: SessionContext): Promise<void> {
  try {
    switch (context.mode) {
      case "echo":
        return await echo(session);
      case "sink":
        return await sink(session, context.out);
      case "stamp":
        return await lines(session, stampResponder());
      case "greet": {
        const options = context.greeting === undefined ? {} : { greeting: context.greeting };
        return await lines(session, greetResponder(options));
      }
      case "stdio":
        return await toStdout(session, context.out);
    }
  } catch (err) {
    if (isDisconnect(err)) {
      session.closeReason ??= describeDisconnect(err);
      return;
    }
    session.closeReason ??= `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Reads from the session; null at end of stream. */
async function readFrom(session: Session, buffer: AdaptiveBuffer): Promise<Uint8Array | null> {
  const n = await session.conn.read(buffer.buffer);
  if (n === null) return null;
  session.bytesIn += n;
  session.lastActive = Date.now();
  return buffer.filled(n);
}

async function echo(session: Session): Promise<void> {
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) await session.send(chunk);
}

async function sink(session: Session, out: Output): Promise<void> {
  const buffer = new AdaptiveBuffer();
  const started = performance.now();
  while (await readFrom(session, buffer) !== null) {
    // discard
  }
  const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
  out.status(
    `received ${session.bytesIn} bytes in ${seconds.toFixed(3)} s (${
      formatRate(session.bytesIn / seconds)
    })`,
    {
      event: "sink",
      from: session.peer,
      bytes: session.bytesIn,
      seconds,
      bytesPerSecond: session.bytesIn / seconds,
    },
  );
}

async function lines(session: Session, responder: LineResponder): Promise<void> {
  for (const reply of responder.open()) await session.send(reply);
  const splitter = new LineSplitter();
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) {
    for (const line of splitter.push(chunk)) {
      if (await respond(session, responder, line)) return;
    }
  }
  const rest = splitter.flush();
  if (rest !== undefined) await respond(session, responder, rest);
}

/** Sends the responder's replies to a line; true when it asked to close. */
async function respond(session: Session, responder: LineResponder, line: Uint8Array) {
  const { replies, close } = responder.line(line);
  for (const reply of replies) await session.send(reply);
  if (close) session.closeReason ??= "client said exit";
  return close;
}

async function toStdout(session: Session, out: Output): Promise<void> {
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) {
    if (out.json) {
      await out.event({
        event: "data",
        from: session.peer,
        size: chunk.length,
        ...bytesField(chunk),
      });
    } else {
      await out.data(chunk);
    }
  }
}

/**
 * Without `-k`: stdin goes to the one client. Stdin EOF does not shut the
 * connection down (as `nc -l` without `-N`): the client decides when it ends.
 */
async function pipeStdin(stdin: ChunkSource, session: Session): Promise<void> {
  try {
    for (let chunk; (chunk = await stdin.next()) !== null;) await session.send(chunk);
  } catch (err) {
    if (!isDisconnect(err)) throw err;
  }
}

/** With `-k`: each stdin line goes to every connected client, through its bounded queue. */
async function broadcastStdin(stdin: ChunkSource, sessions: Set<Session>): Promise<void> {
  const splitter = new LineSplitter({ maxLength: 64 * 1024 });
  for (let chunk; (chunk = await stdin.next()) !== null;) {
    for (const line of splitter.push(chunk)) {
      const framed = new Uint8Array(line.length + 1);
      framed.set(line);
      framed.set(LF, line.length);
      for (const session of sessions) {
        if (!session.queue?.write(framed)) session.close("not reading (send queue full)");
        else session.bytesOut += framed.length;
      }
    }
  }
}

function isDisconnect(err: unknown): boolean {
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
