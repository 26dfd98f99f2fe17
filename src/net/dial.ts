/**
 * A client's connection as the command line describes it: to TARGET
 * directly or through `--proxy`, then TLS on top with `--tls` (TLS runs
 * inside the proxy's tunnel, end to end with TARGET). `--timeout` bounds
 * each step: the connect, the proxy's handshake, and the TLS handshake
 * (30 s without `--timeout`, so a server that never answers cannot hold a
 * client forever).
 *
 * @module
 */

import { InterruptedError, OperationError } from "../console/errors.ts";
import { type Address, formatAddress } from "../inet/address.ts";
import type { ProxyUrl } from "../inet/proxy_url.ts";
import { connectTls, type TlsClientOptions, type TlsSession } from "../tls/client.ts";
import { closeQuietly, connect, type ConnectOptions } from "./endpoint.ts";
import { connectThroughProxy } from "./proxy.ts";

/** How long a TLS handshake may take when no `--timeout` says otherwise. */
export const TLS_HANDSHAKE_MS = 30_000;

/** Options for {@linkcode dial}. */
export interface DialOptions extends ConnectOptions {
  /** Reach TARGET through this proxy. */
  proxy?: ProxyUrl | undefined;
  /** Speak TLS with TARGET, trusting it this way. */
  tls?: TlsClientOptions | undefined;
  /** Told what the TLS handshake settled (for `-v` and JSON). */
  onTls?: ((session: TlsSession) => void) | undefined;
}

/**
 * Connects to `address` (through a proxy, with TLS, as asked).
 *
 * @throws {SocketError} the connect failed
 * @throws {ProxyError} the proxy refused or broke its protocol
 * @throws {TlsTrustError} the certificate was not trusted, or the handshake failed
 * @throws {InterruptedError} when `signal` aborts
 */
export async function dial(address: Address, options: DialOptions = {}): Promise<Deno.Conn> {
  const { proxy, tls, onTls, timeoutMs, signal } = options;
  if (address.transport === "unix" && proxy) {
    throw new RangeError("a proxy reaches TCP targets, not Unix sockets");
  }
  const conn = proxy && address.transport === "tcp"
    ? await connectThroughProxy(proxy, address.hostname, address.port, { timeoutMs, signal })
    : await connect(address, options);
  if (!tls) return conn;
  const controller = new AbortController();
  const handshakeMs = timeoutMs ?? TLS_HANDSHAKE_MS;
  const timer = setTimeout(
    () => controller.abort(new DOMException("timed out", "TimeoutError")),
    handshakeMs,
  );
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const hostname = address.transport === "tcp" ? address.hostname : "localhost";
    const port = address.transport === "tcp" ? address.port : 0;
    const { conn: secured, session } = await connectTls(
      { hostname, port, conn },
      tls,
      controller.signal,
    );
    onTls?.(session);
    return secured as unknown as Deno.Conn;
  } catch (err) {
    closeQuietly(conn);
    if (signal?.aborted) throw new InterruptedError();
    if (controller.signal.aborted) {
      throw new TlsHandshakeTimeout(
        `the TLS handshake with ${formatAddress(address)} did not finish within ${handshakeMs} ms`,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** The TLS handshake took longer than `--timeout`. */
export class TlsHandshakeTimeout extends OperationError {
  override name = "TlsHandshakeTimeout";
}
