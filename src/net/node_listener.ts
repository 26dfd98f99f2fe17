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

/** Bytes read from a socket and not yet taken by the server before the socket is paused. */
export const READ_LIMIT = 256 * 1024;

/** A `node:net` error code as the `Deno.errors` class sockit's servers recognise. */
function denoError(error: Error & { code?: string }): Error {
  const message = error.message;
  switch (error.code) {
    case "ECONNRESET":
      return new Deno.errors.ConnectionReset(message);
    case "EPIPE":
      return new Deno.errors.BrokenPipe(message);
    case "ECONNABORTED":
      return new Deno.errors.ConnectionAborted(message);
    case "ETIMEDOUT":
      return new Deno.errors.TimedOut(message);
    case "ENOTCONN":
      return new Deno.errors.NotConnected(message);
    default:
      return error;
  }
}

/** One accepted connection: `Deno.Conn`'s read, write, closeWrite, close and addresses. */
export class NodeConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #paused = false;
  #ended = false;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    this.localAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > READ_LIMIT && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#failure ??= denoError(error);
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  /** Bytes read from the socket and not yet taken by {@linkcode read}. */
  get buffered(): number {
    return this.#buffered;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Reads into `p`: the count, or `null` at the peer's end of stream. */
  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#closed) throw new Deno.errors.BadResource("the connection is closed");
      const chunk = this.#chunks[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length);
        p.set(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (n === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(n);
        this.#buffered -= n;
        if (this.#paused && this.#buffered <= READ_LIMIT / 2) {
          this.#paused = false;
          this.#socket.resume();
        }
        return n;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * Writes all of `p` (copied: the caller may reuse it at once); waits only
   * when the socket's own buffer is full, until it drains.
   */
  async write(p: Uint8Array): Promise<number> {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#socket.destroyed) {
      throw new Deno.errors.BrokenPipe("the connection is closed");
    }
    if (!this.#socket.write(p.slice())) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.#socket.off("drain", done);
          this.#socket.off("close", done);
          if (this.#failure) reject(this.#failure);
          else if (this.#socket.destroyed && this.#socket.writableLength > 0) {
            reject(new Deno.errors.BrokenPipe("the connection is closed"));
          } else resolve();
        };
        this.#socket.on("drain", done);
        this.#socket.on("close", done);
      });
    }
    return p.length;
  }

  /** Sends the end of stream (FIN) once everything written has gone; reading goes on. */
  closeWrite(): Promise<void> {
    if (this.#closed || this.#socket.destroyed) {
      return Promise.reject(new Deno.errors.NotConnected("the connection is closed"));
    }
    return new Promise((resolve) => this.#socket.end(() => resolve()));
  }

  /** Closes both directions at once; a pending read fails (BadResource). */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("the connection is closed");
    this.#closed = true;
    this.#chunks = [];
    this.#socket.destroy();
    this.#notify();
  }
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
      const conn = new NodeConn(socket);
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
