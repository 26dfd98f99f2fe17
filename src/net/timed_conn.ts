/**
 * A connection whose every wait is bounded: a read that gets no byte, or a
 * write that the peer takes no byte of, within the timeout closes the
 * connection and fails with {@linkcode WaitTimeoutError}. For clients that
 * must not hang on a server that stops answering or stops reading.
 *
 * @module
 */

import { closeQuietly } from "./endpoint.ts";

/** A read or write on a {@linkcode TimedConn} waited longer than its timeout. */
export class WaitTimeoutError extends Error {
  /** `read`: no byte arrived; `write`: the peer took no byte. */
  readonly operation: "read" | "write";
  readonly timeoutMs: number;

  constructor(operation: "read" | "write", timeoutMs: number) {
    super(`no ${operation === "read" ? "data" : "progress sending"} for ${timeoutMs} ms`);
    this.name = "WaitTimeoutError";
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * `read` and `write` of a connection, each bounded by `timeoutMs` (no bound
 * when undefined). A wait that times out closes the connection: it cannot
 * be used afterwards.
 *
 * @example Bounding a client's waits
 * ```ts ignore
 * import { TimedConn } from "./timed_conn.ts";
 * const conn = new TimedConn(await Deno.connect({ port: 9000 }), 30_000);
 * await conn.read(new Uint8Array(4096)); // WaitTimeoutError after 30 s of silence
 * ```
 */
export class TimedConn {
  readonly conn: Deno.Conn;
  readonly timeoutMs: number | undefined;
  /** The wait that timed out and closed the connection, if one did. */
  #expired: WaitTimeoutError | undefined;

  constructor(conn: Deno.Conn, timeoutMs: number | undefined) {
    this.conn = conn;
    this.timeoutMs = timeoutMs;
  }

  /** Like `Deno.Conn.read`; @throws {WaitTimeoutError} when no byte comes in time */
  read(p: Uint8Array): Promise<number | null> {
    return this.#bounded("read", () => this.conn.read(p));
  }

  /** Like `Deno.Conn.write`; @throws {WaitTimeoutError} when the peer takes no byte in time */
  write(p: Uint8Array): Promise<number> {
    return this.#bounded("write", () => this.conn.write(p));
  }

  close(): void {
    closeQuietly(this.conn);
  }

  async #bounded<T>(operation: "read" | "write", wait: () => Promise<T>): Promise<T> {
    const timeoutMs = this.timeoutMs;
    if (this.#expired) throw this.#expired;
    if (timeoutMs === undefined) return await wait();
    const timer = setTimeout(() => {
      this.#expired = new WaitTimeoutError(operation, timeoutMs);
      closeQuietly(this.conn); // the pending read or write fails at once
    }, timeoutMs);
    try {
      return await wait();
    } catch (err) {
      throw this.#expired ?? err;
    } finally {
      clearTimeout(timer);
    }
  }
}
