/**
 * The TCP relay endpoint behind `relay tcp`: every client accepted on the
 * listener is joined to a new connection to TARGET, concurrently. Bytes move
 * both ways through {@linkcode pump} (one reused buffer per direction, each
 * write awaited: a side that stops reading stops its direction, memory stays
 * bounded), half-closes are carried through, and each finished connection
 * is reported with its target, byte counts, duration and why it ended.
 *
 * Requires `--allow-net` for the listen address and TARGET (Unix sockets:
 * `--allow-net=unix:PATH` plus read and write of PATH).
 *
 * @module
 */

import { describeError, InterruptedError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { type Address, formatAddress } from "../inet/address.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { dial } from "../net/dial.ts";
import { type BoundListener, closeQuietly } from "../net/endpoint.ts";
import type { Taps } from "../net/tap.ts";
import type { ProxyUrl } from "../inet/proxy_url.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { pump, PumpError } from "../net/pump.ts";
import {
  isDisconnect,
  joinedClosed,
  serveConnections,
  type ServerStats,
  type Session,
} from "../net/server.ts";

/** How long connecting to TARGET may take unless told otherwise (`--timeout`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Options for {@linkcode serveTcpRelay}. */
export interface TcpRelayOptions {
  /** Serve one client, then stop (`--once`). @default {false} */
  once?: boolean;
  /** Clients over this many are closed at once, without a byte. @default {1000} */
  maxConns?: number;
  /** Close a connection after this many ms without traffic either way. */
  idleMs?: number | undefined;
  /** Give up connecting to TARGET after this many ms. @default {10000} */
  connectTimeoutMs?: number;
  /** Stops the relay: listener closed, every connection closed both ways. */
  signal?: AbortSignal;
  /** `--allow`/`--deny`: clients turned away before a byte. */
  access?: AccessGate | undefined;
  /** `-x`, `--log`: every relayed chunk, per connection. */
  taps?: Taps | undefined;
  /** `--tls-connect`: TLS toward TARGET, trusting it this way. */
  tls?: TlsClientOptions | undefined;
  /** `--proxy`: reach TARGET through this proxy. */
  proxy?: ProxyUrl | undefined;
}

/** A relay speaks no protocol of its own: a client over the limit gets no `busy`, only a close. */
const NOTHING = new Uint8Array(0);

/**
 * Relays clients of `bound` to `target` until done: after the first client
 * with `once`, or when `signal` aborts.
 *
 * @returns totals, for the summary line
 */
export function serveTcpRelay(
  bound: BoundListener,
  target: Address,
  out: Output,
  options: TcpRelayOptions = {},
): Promise<ServerStats> {
  const {
    once = false,
    maxConns,
    idleMs,
    connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
    signal,
    access,
    taps,
    tls,
    proxy,
  } = options;
  const to = formatAddress(target);
  return serveConnections(bound, out, {
    keepOpen: !once,
    ...(maxConns === undefined ? {} : { maxConns }),
    idleMs,
    busy: NOTHING,
    signal,
    access,
    taps,
    closedReport: (session) => joinedClosed(session, to, ORDINARY),
    handle: (session) =>
      relayOne(session, target, {
        connectTimeoutMs,
        signal,
        idle: idleMs !== undefined,
        tls,
        proxy,
      }),
  });
}

interface RelayContext {
  connectTimeoutMs: number;
  signal: AbortSignal | undefined;
  /** `--idle` is on: traffic either way is activity. */
  idle: boolean;
  tls: TlsClientOptions | undefined;
  proxy: ProxyUrl | undefined;
}

/** Joins one client to a new connection to `target` until both directions are done. */
async function relayOne(session: Session, target: Address, context: RelayContext) {
  let upstream: Deno.Conn;
  try {
    upstream = await dial(target, {
      timeoutMs: context.connectTimeoutMs,
      ...(context.signal ? { signal: context.signal } : {}),
      tls: context.tls,
      proxy: context.proxy,
    });
  } catch (err) {
    session.closeReason ??= err instanceof InterruptedError
      ? "server stopped"
      : describeError(err).message;
    return;
  }
  if (session.closed) {
    // Idle or stopped while connecting.
    closeQuietly(upstream);
    return;
  }
  session.onClose = () => closeQuietly(upstream);
  for (const conn of [session.conn, upstream]) {
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  }
  const active = context.idle ? () => void (session.lastActive = Date.now()) : () => {};
  let firstEnd: "client" | "target" | undefined;
  let failure: { side: "client" | "target"; error: unknown } | undefined;
  const closeBoth = () => session.close();
  const onFail = (reading: "client" | "target", writing: "client" | "target") => (err: unknown) => {
    const side = err instanceof PumpError && err.side === "write" ? writing : reading;
    failure ??= { side, error: err instanceof PumpError ? err.cause : err };
    closeBoth();
  };
  const tap = session.tap;
  const clientToTarget = pump(session.conn, upstream, {
    ...(tap ? { tap: (chunk: Uint8Array) => tap.received(chunk) } : {}),
    onRead: (n) => {
      session.bytesIn += n;
      active();
    },
  })
    .then(() => void (firstEnd ??= "client"), onFail("client", "target"));
  const targetToClient = pump(upstream, session.conn, {
    ...(tap ? { tap: (chunk: Uint8Array) => tap.sent(chunk) } : {}),
    onRead: active,
    onWritten: (n) => session.bytesOut += n,
  }).then(() => void (firstEnd ??= "target"), onFail("target", "client"));
  await Promise.all([clientToTarget, targetToClient]);
  closeBoth();
  if (failure) session.closeReason ??= failureReason(failure.side, failure.error);
  else session.closeReason ??= `${firstEnd ?? "client"} closed`;
}

/** Why a connection ended when one side failed: `client reset`, `target went away`, … */
function failureReason(side: "client" | "target", error: unknown): string {
  if (error instanceof Deno.errors.ConnectionReset) return `${side} reset`;
  if (isDisconnect(error)) return `${side} went away`;
  return `${side} error: ${error instanceof Error ? error.message : String(error)}`;
}

/** Reasons that are the ordinary end of a relayed connection (not shown in the text line). */
const ORDINARY = new Set(["client closed", "target closed"]);
