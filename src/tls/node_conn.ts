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

/** `Deno.Conn`'s read/write/close over a Node socket. */
export class NodeSocketConn implements ConnLike {
  readonly #socket: Socket;
  readonly #addresses: Pick<Deno.Conn, "localAddr" | "remoteAddr"> | undefined;
  readonly #gate: ReadGate | undefined;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  /**
   * @param socket the Node socket, read in flowing mode
   * @param addresses where the connection really runs, when the socket is a
   *   layer over another connection (TLS over a Deno connection or a tunnel)
   * @param gate the bound shared with the transport below (see {@linkcode ReadGate})
   */
  constructor(
    socket: Socket,
    addresses?: Pick<Deno.Conn, "localAddr" | "remoteAddr">,
    gate?: ReadGate,
  ) {
    this.#socket = socket;
    this.#addresses = addresses;
    this.#gate = gate;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#gate?.add(chunk.length);
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
    if (this.#addresses) return this.#addresses.localAddr as Deno.NetAddr;
    return {
      transport: "tcp",
      hostname: this.#socket.localAddress ?? "",
      port: this.#socket.localPort ?? 0,
    };
  }

  get remoteAddr(): Deno.NetAddr {
    if (this.#addresses) return this.#addresses.remoteAddr as Deno.NetAddr;
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
        this.#gate?.take(n);
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
    // Waiting for the write's callback means the socket is done with `p`: no copy needed.
    await new Promise<void>((resolve, reject) => {
      this.#socket.write(p, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
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
    this.#chunks = [];
    this.#gate?.release();
    this.#socket.destroy();
    this.#notify();
  }
}

/**
 * A `Deno.Conn` seen as a Node duplex stream, so `node:tls` can run over any
 * connection sockit made: direct, through a proxy tunnel, or a Unix socket.
 * One read is in flight at a time, into a fresh buffer (the stream keeps
 * what it is given), and none starts while `gate` is full.
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
  return new Duplex({
    read() {
      (async () => {
        await gate?.wait();
        const buffer = new Uint8Array(readSize);
        const n = await conn.read(buffer);
        this.push(n === null ? null : buffer.subarray(0, n));
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
