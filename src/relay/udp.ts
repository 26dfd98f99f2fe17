/**
 * The UDP relay endpoint behind `relay udp`, NAT-like: each client address
 * seen on the listening socket gets its own upstream socket, connected to
 * TARGET; what TARGET sends back on it goes to that client from the
 * listening socket (datagrams from anyone else are dropped). A session ends after
 * `idleMs` without a datagram either way; at most `maxSessions` live at
 * once, and datagrams from new clients over that bound are dropped and
 * counted.
 *
 * Requires `--allow-net` for the listen address, the clients' host (to
 * answer them), TARGET, and a free port on the host the upstream sockets
 * bind (see {@linkcode upstreamBind}).
 *
 * @module
 */

import dgram from "node:dgram";
import { describeError } from "../console/errors.ts";
import { count, formatSize } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { formatHostPort, type HostAddress } from "../inet/address.ts";
import { type DatagramSocket, receiveDatagrams } from "../udp/socket.ts";
import { defaultBind } from "../udp/send.ts";
import type { AccessGate } from "../net/access_gate.ts";

/** Sessions end after this long without a datagram unless told otherwise (`--idle`). */
export const DEFAULT_UDP_IDLE_MS = 60_000;

/** Client addresses relayed at once unless told otherwise (`--max-sessions`). */
export const DEFAULT_MAX_SESSIONS = 1000;

/** Replies on their way to clients at once; more are dropped (a flood must not grow memory). */
const MAX_REPLIES_IN_FLIGHT = 1024;

/** Options for {@linkcode serveUdpRelay}. */
export interface UdpRelayOptions {
  /** End a session after this many ms without a datagram either way. @default {60000} */
  idleMs?: number;
  /** Client addresses relayed at once; datagrams from more are dropped. @default {1000} */
  maxSessions?: number;
  /** Stops the relay: every session ended, the socket closed. */
  signal?: AbortSignal;
  /** `--allow`/`--deny`: datagrams from peers turned away are dropped before a session. */
  access?: AccessGate | undefined;
}

/** Totals of one UDP relay run. */
export interface UdpRelayStats {
  sessions: number;
  bytesIn: number;
  bytesOut: number;
  /** Datagrams relayed, both ways. */
  datagrams: number;
  /**
   * Datagrams dropped: from new clients over the session bound, from others
   * than TARGET on an upstream socket, or replies over the in-flight bound.
   */
  dropped: number;
}

/** The local address an upstream socket binds: as `udp send` binds, the loopback for a loopback TARGET, else any. */
export const upstreamBind: (target: HostAddress) => HostAddress = defaultBind;

interface RelaySession {
  from: string;
  client: Deno.NetAddr;
  upstream: dgram.Socket;
  bytesIn: number;
  bytesOut: number;
  lastActive: number;
  opened: number;
}

/**
 * Relays datagrams arriving on `socket` to `target` and the replies back,
 * until `signal` aborts; closes the socket.
 */
export async function serveUdpRelay(
  socket: DatagramSocket,
  target: HostAddress,
  out: Output,
  options: UdpRelayOptions = {},
): Promise<UdpRelayStats> {
  const {
    idleMs = DEFAULT_UDP_IDLE_MS,
    maxSessions = DEFAULT_MAX_SESSIONS,
    signal,
    access,
  } = options;
  const to = formatHostPort(target.hostname, target.port);
  const stats: UdpRelayStats = { sessions: 0, bytesIn: 0, bytesOut: 0, datagrams: 0, dropped: 0 };
  const sessions = new Map<string, RelaySession>();
  let repliesInFlight = 0;
  let full = false;

  const end = (session: RelaySession, reason: string) => {
    if (sessions.get(session.from) !== session) return;
    sessions.delete(session.from);
    session.upstream.close();
    stats.bytesIn += session.bytesIn;
    stats.bytesOut += session.bytesOut;
    if (sessions.size < maxSessions) full = false;
    const seconds = Math.round(performance.now() - session.opened) / 1000;
    out.status(
      `closed ${session.from} → ${to} (${formatSize(session.bytesIn)} in, ` +
        `${formatSize(session.bytesOut)} out, ${seconds.toFixed(3)} s, ${reason})`,
      {
        event: "closed",
        from: session.from,
        to,
        bytesIn: session.bytesIn,
        bytesOut: session.bytesOut,
        seconds,
        reason,
      },
    );
  };

  const open = async (from: string, client: Deno.NetAddr): Promise<RelaySession | undefined> => {
    const bind = upstreamBind(target);
    const upstream = dgram.createSocket(bind.hostname.includes(":") ? "udp6" : "udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        upstream.once("error", reject);
        upstream.bind(0, bind.hostname, () => {
          // localhost is the loopback the socket is bound to (the plan names addresses).
          const host = target.hostname === "localhost" ? bind.hostname : target.hostname;
          upstream.connect(target.port, host, (err?: Error) => {
            upstream.off("error", reject);
            if (err) reject(err);
            else resolve();
          });
        });
      });
    } catch (err) {
      upstream.close();
      stats.dropped++;
      const reason = describeError(err, { action: "connect", address: to }).message;
      out.status(`cannot relay ${from} → ${to}: ${reason}`, { event: "refused", from, reason });
      return undefined;
    }
    const session: RelaySession = {
      from,
      client,
      upstream,
      bytesIn: 0,
      bytesOut: 0,
      lastActive: Date.now(),
      opened: performance.now(),
    };
    // Errors on a connected socket (ICMP port unreachable from TARGET) are not fatal to it.
    upstream.on("error", () => {});
    // The upstream socket's port is open to anyone: only TARGET's datagrams are relayed.
    const remote = upstream.remoteAddress();
    upstream.on("message", (reply: Uint8Array, source: { address: string; port: number }) => {
      if (sessions.get(from) !== session) return;
      if (source.port !== remote.port || source.address !== remote.address) {
        stats.dropped++;
        return;
      }
      if (repliesInFlight >= MAX_REPLIES_IN_FLIGHT) {
        stats.dropped++;
        return;
      }
      session.lastActive = Date.now();
      session.bytesOut += reply.length;
      stats.datagrams++;
      repliesInFlight++;
      socket.conn.send(reply, client).catch(() => {
        // The client's host unreachable: a datagram lost, as UDP may.
      }).finally(() => repliesInFlight--);
    });
    sessions.set(from, session);
    stats.sessions++;
    out.status(`session from ${from} → ${to}`, { event: "connection", from, to });
    return session;
  };

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const session of [...sessions.values()]) {
      if (now - session.lastActive >= idleMs) end(session, `idle ${idleMs} ms`);
    }
  }, Math.max(20, Math.min(Math.floor(idleMs / 4), 1000)));
  const stop = () => socket.close();
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    for await (const datagram of receiveDatagrams(socket.conn, 65535, access ? { access } : {})) {
      let session = sessions.get(datagram.from);
      if (session === undefined) {
        if (sessions.size >= maxSessions) {
          stats.dropped++;
          if (!full) {
            full = true;
            const reason = `session limit ${maxSessions}`;
            out.status(
              `dropping datagrams from ${datagram.from} and other new clients (${reason})`,
              { event: "refused", from: datagram.from, reason },
            );
          }
          continue;
        }
        const client: Deno.NetAddr = {
          transport: "udp",
          hostname: datagram.hostname,
          port: datagram.port,
        };
        session = await open(datagram.from, client);
        if (session === undefined) continue;
      }
      const current = session;
      current.lastActive = Date.now();
      current.bytesIn += datagram.data.length;
      stats.datagrams++;
      // The datagram's bytes are the receive buffer's: wait until they are sent.
      await new Promise<void>((resolve) => {
        try {
          current.upstream.send(datagram.data, (err: Error | null) => {
            if (err) stats.dropped++;
            resolve();
          });
        } catch {
          // The session ended meanwhile (its socket closed): the datagram is lost.
          stats.dropped++;
          resolve();
        }
      });
    }
  } finally {
    clearInterval(sweeper);
    signal?.removeEventListener("abort", stop);
    socket.close();
    for (const session of [...sessions.values()]) end(session, "server stopped");
  }
  return stats;
}

/** The one-line summary of a UDP relay run. */
export function printUdpRelaySummary(out: Output, stats: UdpRelayStats, denied?: number): void {
  const turnedAway = denied === undefined ? "" : `, ${denied} denied`;
  out.essential(
    `stopped: ${count(stats.sessions, "session")} relayed, ${formatSize(stats.bytesIn)} in, ` +
      `${formatSize(stats.bytesOut)} out, ${count(stats.dropped, "datagram")} dropped${turnedAway}`,
    { event: "summary", ...stats, ...(denied === undefined ? {} : { denied }) },
  );
}
