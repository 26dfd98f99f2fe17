/**
 * The UDP side of LAN discovery: {@linkcode startAnnouncer} (behind
 * `files serve --announce`) tells the LAN where the server is and answers
 * queries; {@linkcode findServers} (behind `files find`) asks and collects
 * the answers. Every message goes to the multicast group and to the
 * broadcast address on {@linkcode DISCOVERY_PORT} (multicast where the
 * network carries it, broadcast where it does not), so each side binds that
 * one port (shared, `SO_REUSEADDR`) and sends to those two addresses only.
 *
 * Requires `--allow-net=0.0.0.0:9009,239.255.90.90:9009,255.255.255.255:9009`.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { SocketError } from "../console/errors.ts";
import { receiveDatagrams } from "../udp/socket.ts";
import {
  type Announcement,
  AnswerLimiter,
  DISCOVERY_BROADCAST,
  DISCOVERY_GROUP,
  DISCOVERY_PORT,
  encodeMessage,
  MAX_MESSAGE,
  parseMessage,
} from "./discovery.ts";

/** Where every discovery message goes. */
const DESTINATIONS: Deno.NetAddr[] = [DISCOVERY_GROUP, DISCOVERY_BROADCAST].map((hostname) => ({
  transport: "udp",
  hostname,
  port: DISCOVERY_PORT,
}));

/** Options for the discovery sockets. */
export interface DiscoveryOptions {
  /** The port to bind and send to. @default {9009} */
  port?: number;
}

/** Binds the discovery port (shared with other sockit processes) and joins the group. */
async function openDiscovery(out: Output, port: number): Promise<Deno.DatagramConn> {
  let conn: Deno.DatagramConn;
  try {
    conn = Deno.listenDatagram({
      hostname: "0.0.0.0",
      port,
      transport: "udp",
      reuseAddress: true,
      loopback: true,
    });
  } catch (err) {
    throw new SocketError(err, { action: "listen", address: `0.0.0.0:${port}` });
  }
  try {
    await conn.joinMulticastV4(DISCOVERY_GROUP, "0.0.0.0");
  } catch (err) {
    // No multicast route: broadcast still works.
    out.warn(
      `cannot join ${DISCOVERY_GROUP} (${err instanceof Error ? err.message : err}); ` +
        "using broadcast only",
    );
  }
  return conn;
}

/** Sends `bytes` to the group and the broadcast address; false when neither could be sent to. */
async function sendEverywhere(
  conn: Deno.DatagramConn,
  bytes: Uint8Array,
  port: number,
): Promise<boolean> {
  let sent = false;
  for (const destination of DESTINATIONS) {
    try {
      await conn.send(bytes, { ...destination, port });
      sent = true;
    } catch (err) {
      // Unreachable (no route for broadcast or multicast here): the other may work.
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw err;
      }
    }
  }
  return sent;
}

/** Receives datagrams of at most {@linkcode MAX_MESSAGE} bytes; longer ones are dropped. */
async function* receive(conn: Deno.DatagramConn): AsyncGenerator<[Uint8Array, Deno.NetAddr]> {
  for await (const datagram of receiveDatagrams(conn, MAX_MESSAGE)) {
    if (datagram.truncated) continue;
    yield [datagram.data, { transport: "udp", hostname: datagram.hostname, port: datagram.port }];
  }
}

/** What a server announces (its `nonce` is set per message). */
export type ServerInfo = Omit<Announcement, "kind" | "nonce">;

/** Options for {@linkcode startAnnouncer}. */
export interface AnnouncerOptions extends DiscoveryOptions {
  /** Announce again every this many ms. @default {30000} */
  everyMs?: number;
  signal?: AbortSignal | undefined;
}

/**
 * Announces `info` now and every `everyMs`, and answers each well-formed
 * query (rate-limited per address and in all) until `signal` aborts.
 *
 * @returns a promise that settles once the socket is closed
 */
export async function startAnnouncer(
  info: ServerInfo,
  out: Output,
  options: AnnouncerOptions = {},
): Promise<{ finished: Promise<void> }> {
  const { port = DISCOVERY_PORT, everyMs = 30_000, signal } = options;
  const conn = await openDiscovery(out, port);
  const limiter = new AnswerLimiter();
  const message = (nonce: string | null) => encodeMessage({ kind: "here", nonce, ...info });
  const close = () => {
    clearInterval(timer);
    try {
      conn.close();
    } catch {
      // closed already
    }
  };
  const timer = setInterval(
    () => sendEverywhere(conn, message(null), port).catch(() => {}),
    everyMs,
  );
  signal?.addEventListener("abort", close, { once: true });
  try {
    if (!(await sendEverywhere(conn, message(null), port))) {
      out.warn("could not send the announcement (no route for multicast or broadcast)");
    }
  } catch (err) {
    close();
    throw err;
  }
  out.status(
    `announcing ${info.name} on ${DISCOVERY_GROUP}:${port} and ${DISCOVERY_BROADCAST}:${port}`,
  );
  const finished = (async () => {
    try {
      for await (const [data, from] of receive(conn)) {
        const query = parseMessage(data);
        if (query?.kind !== "find") continue;
        if (!limiter.allow(from.hostname, Date.now())) continue;
        await sendEverywhere(conn, message(query.nonce), port).catch(() => {});
      }
    } finally {
      signal?.removeEventListener("abort", close);
      close();
    }
  })();
  return { finished };
}

/** A server that answered, with the address its answer came from. */
export interface FoundServer extends ServerInfo {
  host: string;
}

/** Options for {@linkcode findServers}. */
export interface FindOptions extends DiscoveryOptions {
  /** How long to listen for answers, in ms. */
  timeoutMs: number;
  /** Most servers listed; later answers are ignored. @default {64} */
  maxServers?: number;
  signal?: AbortSignal | undefined;
}

/**
 * Asks the LAN which file servers are there and calls `onServer` for each
 * distinct one (host and file port) that answers this query with a
 * well-formed message within `timeoutMs`. Announcements not answering this
 * query (another nonce, or none) are ignored, so what is listed answered now.
 *
 * @returns how many servers were found
 */
export async function findServers(
  out: Output,
  onServer: (server: FoundServer) => Promise<void> | void,
  options: FindOptions,
): Promise<number> {
  const { port = DISCOVERY_PORT, timeoutMs, maxServers = 64, signal } = options;
  const conn = await openDiscovery(out, port);
  const nonce = [...crypto.getRandomValues(new Uint8Array(8))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const query = encodeMessage({ kind: "find", nonce });
  const seen = new Set<string>();
  const close = () => {
    try {
      conn.close();
    } catch {
      // closed already
    }
  };
  const timer = setTimeout(close, timeoutMs);
  // Asked again halfway, in case the first query was lost.
  const again = setTimeout(() => sendEverywhere(conn, query, port).catch(() => {}), timeoutMs / 2);
  signal?.addEventListener("abort", close, { once: true });
  try {
    if (!(await sendEverywhere(conn, query, port))) {
      const cause = new Deno.errors.NetworkUnreachable("no route for multicast or broadcast");
      throw new SocketError(cause, { action: "io", address: `${DISCOVERY_GROUP}:${port}` });
    }
    for await (const [data, from] of receive(conn)) {
      const answer = parseMessage(data);
      if (answer?.kind !== "here" || answer.nonce !== nonce) continue;
      const key = `${from.hostname} ${answer.files}`;
      if (seen.has(key) || seen.size >= maxServers) continue;
      seen.add(key);
      const { kind: _kind, nonce: _nonce, ...info } = answer;
      await onServer({ ...info, host: from.hostname });
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(again);
    signal?.removeEventListener("abort", close);
    close();
  }
  return seen.size;
}
