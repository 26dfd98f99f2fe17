/**
 * A TCP listener on `node:net`, seen as the part of `Deno.Listener` and
 * `Deno.Conn` that {@linkcode serveConnections} uses. Why: under a thousand
 * busy connections, Deno's `Deno.Conn` reads (one promise per read, polled by
 * the runtime's op loop) serve some connections far more often than others
 * (a p99 round trip 5-10× Node's, in a bare Deno echo loop as much as in
 * sockit), while `node:net` in the same runtime runs on its libuv-style
 * native handles, whose read callbacks come in readiness order: every
 * connection gets its turn. Measured by `scripts/bench/tcp_echo.ts`.
 *
 * Each connection buffers at most {@linkcode READ_LIMIT} bytes that the
 * server has not read yet: the socket is paused above it.
 *
 * Requires `--allow-net=HOST`.
 *
 * @module
 */

import net from "node:net";
import { NodeSocketConn } from "../tls/node_conn.ts";

/** Bytes read from a socket and not yet taken by the server before the socket is paused. */
export const READ_LIMIT = 256 * 1024;

/**
 * One accepted connection: `Deno.Conn`'s read, write, closeWrite, close and
 * addresses, paused above {@linkcode READ_LIMIT} unread bytes, writes
 * pipelined.
 */
export type NodeConn = NodeSocketConn;

function accepted(socket: net.Socket): NodeConn {
  socket.setNoDelay(true);
  return new NodeSocketConn(socket, { pauseAbove: READ_LIMIT, writes: "copy" });
}

/** A listening `node:net` server, accepted from like a `Deno.Listener`. */
export class NodeListener implements AsyncIterable<NodeConn> {
  readonly addr: Deno.NetAddr;
  readonly #server: net.Server;
  #queue: NodeConn[] = [];
  #waiter: { resolve(conn: NodeConn): void; reject(err: Error): void } | undefined;
  #closed = false;

  private constructor(server: net.Server, addr: Deno.NetAddr) {
    this.#server = server;
    this.addr = addr;
    server.on("connection", (socket: net.Socket) => {
      const conn = accepted(socket);
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter) waiter.resolve(conn);
      else this.#queue.push(conn);
    });
  }

  /**
   * Listens on `hostname:port` (port 0: one the system chooses).
   *
   * @throws the `node:net` error (code `EADDRINUSE`, `EACCES`, …)
   */
  static open(hostname: string, port: number): Promise<NodeListener> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: hostname, port, backlog: 1024 }, () => {
        server.off("error", reject);
        server.on("error", () => {});
        const address = server.address() as net.AddressInfo;
        resolve(new NodeListener(server, { transport: "tcp", hostname, port: address.port }));
      });
    });
  }

  /** The next client; rejects with BadResource once closed. */
  accept(): Promise<NodeConn> {
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("the listener is closed"));
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Stops listening; clients not yet accepted are closed. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("the listener is closed");
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#queue) conn.close();
    this.#queue = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(new Deno.errors.BadResource("the listener is closed"));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NodeConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) return;
        throw err;
      }
    }
  }
}
