/**
 * A Node socket (`node:net`/`node:tls`) seen through the part of `Deno.Conn`
 * that sockit's endpoints use: `read`, `write`, `closeWrite`, `close` and the
 * two addresses. TLS clients need it because only `node:tls` lets a client
 * decide for itself whether to trust a certificate (`--pin`, `--insecure`);
 * `Deno.connectTls` always verifies the chain.
 *
 * A slow reader never makes a buffer grow without bound: see
 * {@linkcode ReadGate}.
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

/**
 * A bound on decrypted bytes waiting to be read: the reader takes, the
 * transport waits before reading more. Pausing a `node:tls` socket does not
 * reliably resume it under Deno, so the bound is kept one layer down, where
 * sockit does the reading itself (see {@linkcode duplexOf}).
 */
export class ReadGate {
  #buffered = 0;
  #waiters: (() => void)[] = [];

  /** @param limit bytes buffered before the transport stops reading */
  constructor(readonly limit = 256 * 1024) {}

  /** Resolves when there is room for more (at once when there is). */
  wait(): Promise<void> {
    if (this.#buffered < this.limit) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** `n` bytes arrived for the reader. */
  add(n: number): void {
    this.#buffered += n;
  }

  /** The reader took `n` bytes. */
  take(n: number): void {
    this.#buffered -= n;
    if (this.#buffered < this.limit) this.release();
  }

  /** Lets every waiting transport read (also when the reader is gone). */
  release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** How {@linkcode NodeSocketConn} bounds reading and writes. */
export interface NodeSocketConnOptions {
  /**
   * Where the connection really runs, when the socket is a layer over
   * another connection (TLS over a Deno connection or a tunnel).
   * @default {the socket's own addresses, taken at construction}
   */
  addresses?: Pick<Deno.Conn, "localAddr" | "remoteAddr"> | undefined;
  /** The read bound kept one layer down (TLS: see {@linkcode ReadGate}). */
  gate?: ReadGate | undefined;
  /**
   * The read bound kept by pausing the socket above this many unread bytes
   * (a plain `node:net` socket, where pausing works).
   */
  pauseAbove?: number | undefined;
  /**
   * `copy`: a write copies its bytes and returns at once unless the
   * socket's buffer is full (then it waits for `drain`): pipelined, for
   * plain sockets. `callback` (default): a write waits for the socket to be
   * done with its bytes, so nothing is copied: for TLS, whose encryption
   * takes the bytes as they are written.
   */
  writes?: "copy" | "callback" | undefined;
}

/** A `node:net` error code as the `Deno.errors` class sockit's servers and clients recognise. */
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

/**
 * `Deno.Conn`'s read/write/close over a Node socket, read in flowing mode:
 * plain `node:net` sockets (the fair listener, `net/node_listener.ts`) and
 * `node:tls` sockets (TLS clients and servers) alike.
 */
export class NodeSocketConn implements ConnLike {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: Socket;
  readonly #gate: ReadGate | undefined;
  readonly #pauseAbove: number | undefined;
  readonly #copyWrites: boolean;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #paused = false;
  #ended = false;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket, options: NodeSocketConnOptions = {}) {
    this.#socket = socket;
    this.#gate = options.gate;
    this.#pauseAbove = options.pauseAbove;
    this.#copyWrites = options.writes === "copy";
    const { addresses } = options;
    this.localAddr = (addresses?.localAddr as Deno.NetAddr | undefined) ?? {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    this.remoteAddr = (addresses?.remoteAddr as Deno.NetAddr | undefined) ?? {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.#gate?.add(chunk.length);
      if (this.#pauseAbove !== undefined && this.#buffered > this.#pauseAbove && !this.#paused) {
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
        this.#gate?.take(n);
        if (this.#paused && this.#buffered <= (this.#pauseAbove ?? 0) / 2) {
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

  /** Writes all of `p` (see {@linkcode NodeSocketConnOptions.writes}). */
  async write(p: Uint8Array): Promise<number> {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#socket.destroyed) {
      throw new Deno.errors.BrokenPipe("the connection is closed");
    }
    if (!this.#copyWrites) {
      await new Promise<void>((resolve, reject) => {
        this.#socket.write(p, (error) => {
          if (error) reject(denoError(error));
          else resolve();
        });
      });
      return p.length;
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

  /** Sends the end of stream (TLS close_notify, then FIN) once everything written has gone. */
  closeWrite(): Promise<void> {
    if (this.#closed || this.#socket.destroyed) {
      return Promise.reject(new Deno.errors.NotConnected("the connection is closed"));
    }
    return new Promise((resolve) => this.#socket.end(() => resolve()));
  }

  /** Closes both directions at once; a pending read fails (BadResource). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#gate?.release();
    this.#socket.destroy();
    this.#notify();
  }
}

/**
 * A `Deno.Conn` seen as a Node duplex stream, so `node:tls` can run over any
 * connection sockit made: direct, through a proxy tunnel, or a Unix socket.
 * One read is in flight at a time (the stream asks for the next only after
 * a push), and none starts while `gate` is full.
 */
export function duplexOf(conn: Deno.Conn, gate?: ReadGate, readSize = 256 * 1024): Duplex {
  let closed = false;
  const closeConn = () => {
    if (closed) return;
    closed = true;
    gate?.release();
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  // One read buffer for the connection; what is pushed is a copy of just the bytes read, so a
  // small read does not keep a whole buffer alive in the stream's queue.
  const buffer = new Uint8Array(readSize);
  return new Duplex({
    read() {
      (async () => {
        await gate?.wait();
        const n = await conn.read(buffer);
        this.push(n === null ? null : buffer.slice(0, n));
      })().catch((error) => this.destroy(error));
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
