/**
 * The UDP endpoint plumbing: open a datagram socket (with the readiness line
 * and sockit's error messages) and receive datagrams into one reused buffer,
 * reporting truncation and riding out ICMP errors.
 *
 * Requires `--allow-net` for the bound address and every destination.
 *
 * @module
 */

import { SocketError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { formatHostPort, type HostAddress } from "../inet/address.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { announceListening } from "../net/endpoint.ts";
import type { Encoding } from "../text/encoding.ts";
import { type Datagram, datagramEvent, datagramLineParts } from "./datagram.ts";

/** Options for {@linkcode openDatagram}. */
export interface OpenDatagramOptions {
  /** Print `listening on HOST:PORT` once bound. @default {false} */
  announce?: boolean;
  /** Service label for the readiness line. */
  label?: string;
  /** Deliver our own multicast datagrams to local listeners too. @default {false} */
  multicastLoopback?: boolean;
}

/** A bound datagram socket and its real address. */
export interface DatagramSocket {
  conn: Deno.DatagramConn;
  address: HostAddress;
  close(): void;
}

/**
 * Binds a UDP socket.
 *
 * @throws {SocketError} address in use, missing permission, port < 1024 without root
 */
export function openDatagram(
  address: HostAddress,
  out: Output,
  options: OpenDatagramOptions = {},
): DatagramSocket {
  const { announce = false, label, multicastLoopback = false } = options;
  let conn: Deno.DatagramConn;
  try {
    conn = Deno.listenDatagram({
      hostname: address.hostname,
      port: address.port,
      transport: "udp",
      loopback: multicastLoopback,
    });
  } catch (err) {
    throw new SocketError(err, {
      action: "listen",
      address: formatHostPort(address.hostname, address.port),
    });
  }
  const bound: HostAddress = { ...address, port: (conn.addr as Deno.NetAddr).port };
  if (announce) announceListening(out, bound, { transport: "udp", ...(label ? { label } : {}) });
  let closed = false;
  return {
    conn,
    address: bound,
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
    },
  };
}

/** Options for {@linkcode receiveDatagrams}. */
export interface ReceiveOptions {
  /** The `--allow`/`--deny` gate: datagrams from peers it turns away are dropped unseen. */
  access?: AccessGate | undefined;
  /** The service, for the `denied` line when one process runs several. */
  label?: string | undefined;
}

/**
 * Receives datagrams one call at a time, for a receive loop that pays one
 * await per datagram (the receive itself). One buffer of `maxSize + 1`
 * bytes is reused, so a datagram longer than `maxSize` is seen and reported
 * as truncated; each datagram's `data` is valid until the next call.
 * ICMP errors that some systems report on a later receive are skipped.
 * A datagram the access gate turns away is dropped here, before any caller
 * sees (or answers) it. The sender's `HOST:PORT` text is reused while
 * datagrams keep coming from the same sender.
 */
export class DatagramReceiver {
  readonly #conn: Deno.DatagramConn;
  readonly #maxSize: number;
  readonly #access: AccessGate | undefined;
  readonly #label: string | undefined;
  readonly #buffer: Uint8Array;
  #lastHost = "";
  #lastPort = -1;
  #lastPeer = "";

  constructor(conn: Deno.DatagramConn, maxSize = 65535, options: ReceiveOptions = {}) {
    this.#conn = conn;
    this.#maxSize = maxSize;
    this.#access = options.access;
    this.#label = options.label;
    this.#buffer = new Uint8Array(maxSize + 1);
  }

  /** The next datagram, or null once the socket is closed. */
  async receive(): Promise<Datagram | null> {
    const maxSize = this.#maxSize;
    for (;;) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await this.#conn.receive(this.#buffer);
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
          return null;
        }
        // Port unreachable from an earlier send (Windows, connected sockets): not ours to stop on.
        if (
          err instanceof Deno.errors.ConnectionRefused ||
          err instanceof Deno.errors.ConnectionReset
        ) {
          continue;
        }
        throw err;
      }
      const truncated = data.length > maxSize;
      const { hostname, port } = from as Deno.NetAddr;
      if (hostname !== this.#lastHost || port !== this.#lastPort) {
        this.#lastHost = hostname;
        this.#lastPort = port;
        this.#lastPeer = formatHostPort(hostname, port);
      }
      const peer = this.#lastPeer;
      const access = this.#access;
      if (access && !access.admits(hostname, peer, { transport: "udp", label: this.#label })) {
        continue;
      }
      return {
        data: truncated ? data.subarray(0, maxSize) : data,
        from: peer,
        hostname,
        port,
        truncated,
      };
    }
  }
}

/**
 * Receives datagrams until the socket is closed (see {@linkcode DatagramReceiver},
 * which a hot loop calls directly to save the generator's steps).
 */
export async function* receiveDatagrams(
  conn: Deno.DatagramConn,
  maxSize = 65535,
  options: ReceiveOptions = {},
): AsyncGenerator<Datagram> {
  const receiver = new DatagramReceiver(conn, maxSize, options);
  for (let datagram; (datagram = await receiver.receive()) !== null;) yield datagram;
}

/** A `Deno.NetAddr` for sending to `address`. */
export function udpAddr(address: HostAddress): Deno.NetAddr {
  return { transport: "udp", hostname: address.hostname, port: address.port };
}

/**
 * Prints one datagram: `HOST:PORT TEXT` (its own bytes when they are safe to
 * print), or its JSON event with `extra` fields.
 *
 * @returns a promise to await when stdout is behind (see `Output.record`)
 */
export function printDatagram(
  out: Output,
  datagram: Datagram,
  encoding: Encoding,
  extra: Record<string, unknown> = {},
): Promise<void> | undefined {
  if (out.json) return out.recordEvent({ ...datagramEvent(datagram, encoding), ...extra });
  const [prefix, body] = datagramLineParts(datagram, encoding);
  return out.recordBytes(prefix, body);
}

/** Prints every datagram arriving on `conn` until it is closed. */
export async function printIncoming(
  conn: Deno.DatagramConn,
  out: Output,
  encoding: Encoding,
  extra: (datagram: Datagram) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const receiver = new DatagramReceiver(conn);
  for (let datagram; (datagram = await receiver.receive()) !== null;) {
    const pending = printDatagram(out, datagram, encoding, extra(datagram));
    if (pending) await pending;
  }
}
