/**
 * The UDP sockets of bench tests: `Deno.listenDatagram`, read by one loop
 * into one reused 64 KiB buffer. Measured against the alternatives on
 * loopback with 1200-byte datagrams (`scripts/bench/bench.ts` prints the
 * bare-runtime figures): `receive(buffer)` took more datagrams per second
 * than `receive()` (a fresh buffer each call), than several receives in
 * flight at once, and than `node:dgram`'s `message` events; and Deno's
 * `send` outran `node:dgram`'s, with or without `connect()`.
 *
 * Requires `--allow-net` for the bound address and every peer sent to.
 *
 * @module
 */

import { formatHostPort } from "../inet/address.ts";

/** A UDP peer. */
export interface UdpPeer {
  hostname: string;
  port: number;
}

/** `HOST:PORT` of a peer, as a map key and in messages. */
export function peerKey(peer: UdpPeer): string {
  return formatHostPort(peer.hostname, peer.port);
}

/** A bound UDP socket that hands every datagram to a handler and sends to any peer. */
export interface UdpPort {
  /** The port bound (the chosen one when 0 was asked). */
  readonly port: number;
  /** Sends one datagram; resolves when the kernel took it. */
  send(data: Uint8Array, to: UdpPeer): Promise<void>;
  /** Stops the loop and closes the socket. */
  close(): void;
  /** Settles when the receive loop has ended (after {@linkcode close}). */
  readonly finished: Promise<void>;
}

/**
 * Binds `hostname:port` and calls `onMessage` for each datagram. The bytes
 * are a view of the socket's buffer, valid until the handler returns: copy
 * what must outlive it.
 *
 * @throws the bind error (address in use, permission) as Deno reports it
 */
export function bindUdp(
  hostname: string,
  port: number,
  onMessage: (data: Uint8Array, from: UdpPeer) => void,
): UdpPort {
  const socket = Deno.listenDatagram({ transport: "udp", hostname, port });
  let closed = false;
  const buffer = new Uint8Array(64 * 1024);
  const finished = (async () => {
    while (!closed) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await socket.receive(buffer);
      } catch (err) {
        if (closed || err instanceof Deno.errors.BadResource) return;
        // ICMP "port unreachable" from a peer that went away, reported on a later receive.
        continue;
      }
      const peer = from as Deno.NetAddr;
      onMessage(data, { hostname: peer.hostname, port: peer.port });
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    async send(data, to) {
      await socket.send(data, { transport: "udp", hostname: to.hostname, port: to.port });
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        socket.close();
      } catch {
        // already closed
      }
    },
    finished,
  };
}
