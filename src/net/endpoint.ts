/**
 * Listen and connect with sockit's rules: the `listening on` readiness line,
 * connect timeouts, interruption by Ctrl-C, and errors turned into one-line
 * messages with hints (port in use, refused, permission flags).
 *
 * Requires `--allow-net` for TCP; `--allow-net=unix:PATH`, `--allow-read=PATH` and `--allow-write=PATH` for Unix sockets.
 *
 * @module
 */

import { InterruptedError, SocketError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { type Address, formatAddress, formatHostPort, type HostAddress } from "../inet/address.ts";
import { TlsListener } from "../tls/server.ts";
import { NodeListener } from "./node_listener.ts";

/** A listener on TCP or a Unix socket, with its real bound address. */
export interface BoundListener {
  listener: Deno.Listener;
  /** The address actually bound (the chosen port when 0 was asked). */
  address: Address;
  /** Closes the listener and removes a Unix socket file it created. */
  close(): void;
}

/** Options for {@linkcode listen}. */
export interface ListenOptions {
  /** Added to the readiness line as `(label)` when one process opens several listeners. */
  label?: string;
  /** `tcp` or `udp` in the JSON event. @default {"tcp"} */
  transport?: string;
  /** Speak TLS with these credentials (TCP only): every accepted connection is a TLS server end. */
  tls?: ListenTls | undefined;
}

/** A TLS listener's credentials (see `tls/server.ts`) and the ALPN protocols it offers. */
export interface ListenTls {
  cert: string;
  key: string;
  fingerprint: string;
  selfSigned: boolean;
  alpn?: readonly string[] | undefined;
  /** The fingerprint line was printed already (one certificate for several listeners). */
  announced?: boolean | undefined;
}

/** TLS asked of a listener that cannot have it (a Unix socket; credentials the runtime refuses). */
export class TlsSetupError extends SyntaxError {
  override name = "TlsSetupError";
}

/**
 * Opens a listener and prints the readiness line `listening on HOST:PORT`.
 *
 * @throws {SocketError} address in use, port < 1024, missing permission
 */
export function listen(address: Address, out: Output, options: ListenOptions = {}): BoundListener {
  const { label, transport = "tcp", tls } = options;
  let listener: Deno.Listener;
  try {
    if (address.transport === "unix") {
      if (tls) throw new TlsSetupError("TLS is for TCP listeners, not Unix sockets");
      listener = Deno.listen({ transport: "unix", path: address.path });
    } else if (tls) {
      const inner = Deno.listen({ hostname: address.hostname, port: address.port });
      try {
        listener = new TlsListener(inner, tls) as unknown as Deno.Listener;
      } catch (err) {
        inner.close();
        throw new TlsSetupError(err instanceof Error ? err.message : String(err));
      }
    } else {
      listener = Deno.listen({ hostname: address.hostname, port: address.port });
    }
  } catch (err) {
    if (err instanceof TlsSetupError) throw err;
    throw new SocketError(err, { action: "listen", address: formatAddress(address) });
  }
  const bound: Address = address.transport === "unix"
    ? address
    : { ...address, port: (listener.addr as Deno.NetAddr).port };
  if (tls && !tls.announced) {
    const suffix = label ? ` (${label})` : "";
    const made = tls.selfSigned ? " (self-signed, made now; clients: --pin FINGERPRINT)" : "";
    out.essential(`tls fingerprint SHA256 ${tls.fingerprint}${made}${suffix}`);
  }
  announceListening(out, bound, {
    ...(label ? { label } : {}),
    transport,
    ...(tls ? { fingerprint: tls.fingerprint } : {}),
  });
  let closed = false;
  return {
    listener,
    address: bound,
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
      if (address.transport === "unix") removeSocketFile(address.path);
    },
  };
}

/**
 * Like {@linkcode listen} for a plain TCP listener, served through
 * `node:net`'s native handles (see `node_listener.ts`): fair service to
 * many busy clients at once. The address is bound with `Deno.listen` first
 * and let go, for the same errors and messages as every other listener
 * (`node:net` reports a missing permission as an uncaught error), then
 * `node:net` listens on it.
 *
 * @throws {SocketError} address in use, port < 1024, missing permission
 */
export async function listenFair(
  address: HostAddress,
  out: Output,
  options: Pick<ListenOptions, "label"> = {},
): Promise<BoundListener> {
  const { label } = options;
  const { hostname } = address;
  let listener: NodeListener;
  try {
    // Asked for exactly as given (port 0 again, not the one the probe got): the same permission.
    Deno.listen({ hostname, port: address.port }).close();
    listener = await NodeListener.open(hostname, address.port);
  } catch (err) {
    throw new SocketError(err, { action: "listen", address: formatAddress(address) });
  }
  const bound: Address = { ...address, port: listener.addr.port };
  announceListening(out, bound, { ...(label ? { label } : {}), transport: "tcp" });
  let closed = false;
  return {
    listener: listener as unknown as Deno.Listener,
    address: bound,
    close() {
      if (closed) return;
      closed = true;
      listener.close();
    },
  };
}

/** Prints `listening on HOST:PORT [(label)]`, or its JSON event, even with `--quiet`. */
export function announceListening(
  out: Output,
  address: Address,
  options: { label?: string; transport?: string; fingerprint?: string } = {},
) {
  const { label, transport = "tcp", fingerprint } = options;
  const suffix = label ? ` (${label})` : "";
  const event = address.transport === "unix"
    ? { event: "listening", path: address.path, transport: "unix" }
    : { event: "listening", host: address.hostname, port: address.port, transport };
  out.essential(`listening on ${formatAddress(address)}${suffix}`, {
    ...event,
    ...(fingerprint ? { tls: true, fingerprint } : {}),
    ...(label ? { service: label } : {}),
  });
}

function removeSocketFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone, or not ours to remove: nothing to clean up.
  }
}

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** Give up when the connection is not made within this many ms. */
  timeoutMs?: number | undefined;
  /** Ctrl-C: abandon the attempt. */
  signal?: AbortSignal;
}

/**
 * Connects to a TCP or Unix address.
 *
 * @throws {SocketError} refused, timed out, unresolvable, permission
 * @throws {InterruptedError} when `signal` aborts
 */
export async function connect(address: Address, options: ConnectOptions = {}): Promise<Deno.Conn> {
  const { timeoutMs, signal } = options;
  const where = formatAddress(address);
  const attempt = new AbortController();
  const onAbort = () => attempt.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeoutMs === undefined
    ? undefined
    : setTimeout(() => attempt.abort(new DOMException("timed out", "TimeoutError")), timeoutMs);
  try {
    if (address.transport === "unix") {
      return await raceAbort(Deno.connect({ transport: "unix", path: address.path }), attempt);
    }
    return await connectHost(address.hostname, address.port, attempt.signal);
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    const reason = attempt.signal.aborted ? attempt.signal.reason : err;
    throw new SocketError(reason, {
      action: "connect",
      address: where,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * `localhost` means both loopbacks: 127.0.0.1 first, then ::1 when nothing
 * answers there (whatever /etc/hosts says), so a server listening on either
 * is found. Other names go to the resolver as they are.
 */
export const LOCALHOST_ADDRESSES = ["127.0.0.1", "::1"] as const;

async function connectHost(
  hostname: string,
  port: number,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  if (hostname !== "localhost") return await Deno.connect({ hostname, port, signal });
  let first: unknown;
  for (const loopback of LOCALHOST_ADDRESSES) {
    try {
      return await Deno.connect({ hostname: loopback, port, signal });
    } catch (err) {
      if (signal.aborted || !(err instanceof Deno.errors.ConnectionRefused)) throw err;
      first ??= err;
    }
  }
  throw first;
}

/** Unix connects take no signal: race them, closing a late connection. */
function raceAbort(pending: Promise<Deno.Conn>, controller: AbortController): Promise<Deno.Conn> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(controller.signal.reason);
    controller.signal.addEventListener("abort", onAbort, { once: true });
    pending.then((conn) => {
      controller.signal.removeEventListener("abort", onAbort);
      if (controller.signal.aborted) conn.close();
      else resolve(conn);
    }, reject);
  });
}

/** `HOST:PORT` of a connection's peer (`unix:#N` for Unix peers, which have no name). */
export function peerName(conn: Deno.Conn, serial: number): string {
  const addr = conn.remoteAddr;
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return formatHostPort(addr.hostname, addr.port);
  }
  return `unix:#${serial}`;
}

/** Closes a connection, ignoring "already closed". */
export function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

/**
 * Fails now, as a connect would, when this process may not connect to
 * `address`: for a server that connects on behalf of its clients (a relay),
 * so a missing permission stops it at start with the whole plan as hint
 * rather than failing every client. `localhost` needs both loopbacks.
 *
 * @throws {Deno.errors.NotCapable} naming the first permission missing
 */
export function checkConnectPermission(address: Address): void {
  const needs: Deno.PermissionDescriptor[] = [];
  if (address.transport === "unix") {
    needs.push(
      { name: "read", path: address.path },
      { name: "write", path: address.path },
      { name: "net", host: `unix:${address.path}` },
    );
  } else {
    const hosts = address.hostname === "localhost" ? LOCALHOST_ADDRESSES : [address.hostname];
    for (const host of hosts) needs.push({ name: "net", host: formatHostPort(host, address.port) });
  }
  for (const need of needs) {
    if (Deno.permissions.querySync(need).state === "granted") continue;
    const what = need.name === "net" ? need.host : "path" in need ? need.path : undefined;
    throw new Deno.errors.NotCapable(
      `Requires ${need.name} access to "${what}", run again with the --allow-${need.name} flag`,
    );
  }
}
