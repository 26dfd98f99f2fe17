/**
 * The UDP server endpoint behind `udp listen` and `serve`: prints each
 * datagram (or reports it on stderr), optionally answers it (echo,
 * timestamp), stops after `count` datagrams or when its signal aborts.
 *
 * Requires `--allow-net=HOST` (and the senders' hosts, to reply).
 *
 * @module
 */

import { formatSize } from "../console/format.ts";
import { count } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { describeError } from "../console/errors.ts";
import type { Encoding } from "../text/encoding.ts";
import { stampReply } from "./datagram.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { DatagramReceiver, type DatagramSocket, printDatagram } from "./socket.ts";

/** How a server answers a datagram. */
export type UdpReply = "none" | "echo" | "stamp";

/** Options for {@linkcode serveUdp}. */
export interface ServeUdpOptions {
  /** @default {"none"} */
  reply?: UdpReply;
  /** Stop after this many datagrams. */
  count?: number | undefined;
  /** @default {"utf-8"} */
  encoding?: Encoding;
  /** Datagrams to stdout (`listen`); otherwise one status line each on stderr (`serve`). @default {true} */
  print?: boolean;
  /** Service label for status lines. */
  label?: string;
  /** Largest datagram received whole. @default {65535} */
  maxSize?: number;
  signal?: AbortSignal;
  /** The clock of `stamp` replies. */
  now?: () => Date;
  /** The `--allow`/`--deny` gate: datagrams from peers it turns away are dropped unanswered. */
  access?: AccessGate | undefined;
}

/** Totals of one server run. */
export interface UdpStats {
  datagrams: number;
  bytes: number;
  peers: number;
  truncated: number;
}

/** Serves datagrams on `socket` until `count` is reached or `signal` aborts; closes the socket. */
export async function serveUdp(
  socket: DatagramSocket,
  out: Output,
  options: ServeUdpOptions = {},
): Promise<UdpStats> {
  const {
    reply = "none",
    count,
    encoding = "utf-8",
    print = true,
    label,
    maxSize = 65535,
    signal,
    now = () => new Date(),
    access,
  } = options;
  const stats: UdpStats = { datagrams: 0, bytes: 0, peers: 0, truncated: 0 };
  const peers = new Set<string>();
  const tag = label ? ` (${label})` : "";
  const stop = () => socket.close();
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted || count === 0) stop();
  try {
    // One await per datagram (the receive); output is batched (Output.recordBytes).
    const receiver = new DatagramReceiver(socket.conn, maxSize, { access, label });
    let lastFrom = "";
    for (let datagram; (datagram = await receiver.receive()) !== null;) {
      stats.datagrams++;
      stats.bytes += datagram.data.length;
      if (datagram.from !== lastFrom && !peers.has(datagram.from)) {
        // Bounded: a flood from spoofed sources must not grow memory without end.
        if (peers.size < 100_000) peers.add(datagram.from);
      }
      lastFrom = datagram.from;
      if (datagram.truncated) {
        stats.truncated++;
        out.warn(`datagram from ${datagram.from} truncated to ${maxSize} bytes`);
      }
      if (print) {
        const pending = printDatagram(out, datagram, encoding);
        if (pending) await pending;
      } else {
        out.status(`datagram from ${datagram.from} (${formatSize(datagram.data.length)})${tag}`, {
          event: "datagram",
          from: datagram.from,
          size: datagram.data.length,
          ...(label ? { service: label } : {}),
        });
      }
      if (reply !== "none") {
        const answer = reply === "echo" ? datagram.data : stampReply(datagram.data, now());
        const { hostname, port } = datagram;
        try {
          await socket.conn.send(answer, { transport: "udp", hostname, port });
        } catch (err) {
          if (err instanceof Deno.errors.BadResource) break;
          out.warn(`cannot reply to ${datagram.from}: ${describeError(err).message}`);
        }
      }
      if (count !== undefined && stats.datagrams >= count) break;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    socket.close();
  }
  stats.peers = peers.size;
  return stats;
}

/**
 * The one-line summary of a UDP server run; `denied` (datagrams turned away
 * by the access list) is shown when the server has one.
 */
export function udpSummary(stats: UdpStats, denied?: number): string {
  const cut = stats.truncated > 0 ? `, ${stats.truncated} truncated` : "";
  const away = denied === undefined ? "" : `, ${denied} denied`;
  return `received ${count(stats.datagrams, "datagram")} (${formatSize(stats.bytes)}) from ${
    count(stats.peers, "peer")
  }${cut}${away}`;
}
