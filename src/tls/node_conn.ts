/**
 * A Node socket (`node:net`/`node:tls`) seen through the part of `Deno.Conn`
 * that sockit's endpoints use: `read`, `write`, `closeWrite`, `close` and the
 * two addresses. TLS clients need it because only `node:tls` lets a client
 * decide for itself whether to trust a certificate (`--pin`, `--insecure`);
 * `Deno.connectTls` always verifies the chain.
 *
 * Reads are pulled: the socket is paused while more than `highWaterMark`
 * bytes wait to be read, so a slow reader never makes this buffer grow
 * without bound.
 *
 * @module
 */

import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/** The methods of `Deno.Conn` this adapter provides. */
export type ConnLike = Pick<
  Deno.Conn,
  "read" | "write" | "close" | "closeWrite" | "localAddr" | "remoteAddr"
>;

/** Options for {@linkcode NodeSocketConn}. */
export interface NodeSocketConnOptions {
  /** Bytes read ahead before the socket is paused. @default {262144} */
  highWaterMark?: number;
}

/** `Deno.Conn`'s read/write/close over a Node socket. */
export class NodeSocketConn implements ConnLike {
  readonly #socket: Socket;
  readonly #highWaterMark: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket, options: NodeSocketConnOptions = {}) {
    this.#socket = socket;
    this.#highWaterMark = options.highWaterMark ?? 256 * 1024;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > this.#highWaterMark) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#failure ??= error;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  get localAddr(): Deno.NetAddr {
    return {
      transport: "tcp",
      hostname: this.#socket.localAddress ?? "",
      port: this.#socket.localPort ?? 0,
    };
  }

  get remoteAddr(): Deno.NetAddr {
    return {
      transport: "tcp",
      hostname: this.#socket.remoteAddress ?? "",
      port: this.#socket.remotePort ?? 0,
    };
  }

  /** Reads into `p`: the count, or `null` at the peer's end of stream. */
  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#closed) throw new Deno.errors.BadResource("the connection is closed");
      const chunk = this.#chunks[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length);
        p.set(chunk.subarray(0, n));
        if (n === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(n);
        this.#buffered -= n;
        if (this.#buffered <= this.#highWaterMark / 2 && this.#socket.isPaused()) {
          this.#socket.resume();
        }
        return n;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Writes all of `p` (copied: the caller may reuse it at once), waiting for the socket to drain. */
  async write(p: Uint8Array): Promise<number> {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#socket.destroyed) {
      throw new Deno.errors.BrokenPipe("the connection is closed");
    }
    const flushed = this.#socket.write(p.slice());
    if (!flushed) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.#socket.off("drain", done);
          this.#socket.off("close", done);
          if (this.#failure) reject(this.#failure);
          else resolve();
        };
        this.#socket.on("drain", done);
        this.#socket.on("close", done);
      });
    }
    return p.length;
  }

  /** Sends the end of stream (TLS close_notify, then FIN) and keeps reading. */
  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  /** Closes both directions at once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#notify();
  }
}

/**
 * A `Deno.Conn` seen as a Node duplex stream, so `node:tls` can run over any
 * connection sockit made: direct, through a proxy tunnel, or a Unix socket.
 * Reads are pulled by the stream (one read in flight, into a fresh buffer
 * each time, since the stream keeps what it is given).
 */
export function duplexOf(conn: Deno.Conn, readSize = 64 * 1024): Duplex {
  let closed = false;
  const closeConn = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  return new Duplex({
    read() {
      const buffer = new Uint8Array(readSize);
      conn.read(buffer).then(
        (n) => this.push(n === null ? null : buffer.subarray(0, n)),
        (error) => this.destroy(error),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAllTo(conn, chunk).then(() => callback(), callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      closeConn();
      callback(error);
    },
  });
}

async function writeAllTo(conn: Deno.Conn, chunk: Uint8Array): Promise<void> {
  let at = 0;
  while (at < chunk.length) at += await conn.write(chunk.subarray(at));
}
