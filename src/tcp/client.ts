/**
 * The TCP client endpoint (netcat): stdin → socket, socket → stdout,
 * half-close on stdin EOF, idle timeout, CRLF translation.
 *
 * Requires `--allow-net=HOST:PORT` (Unix sockets: `--allow-net=unix:PATH` plus `--allow-read` and `--allow-write` of PATH).
 *
 * @module
 */

import { SocketError } from "../console/errors.ts";
import { formatInOut } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { jsonText } from "../text/encoding.ts";
import { type Address, formatAddress, formatHostPort } from "../inet/address.ts";
import { AdaptiveBuffer, writeAll } from "../net/buffer.ts";
import { dial } from "../net/dial.ts";
import { closeQuietly } from "../net/endpoint.ts";
import { formatProxy, type ProxyUrl } from "../inet/proxy_url.ts";
import { escapeText } from "../text/escape.ts";
import { describeSession, type TlsClientOptions, type TlsSession } from "../tls/client.ts";
import { CrlfEncoder } from "../net/lines.ts";
import { type ChunkSource, openStdin } from "../net/stdin.ts";
import type { ByteTap } from "../net/tap.ts";
import { describeExit, type ExecStream, runExec } from "./exec.ts";

/** Options for {@linkcode runTcpClient}. */
export interface TcpClientOptions {
  /** Bound on the connect, in ms. */
  timeoutMs?: number | undefined;
  /** End the session after this many ms without traffic (exit 0). */
  idleMs?: number | undefined;
  /** Send line ends as CRLF. @default {false} */
  crlf?: boolean;
  /** Half-close the socket at stdin EOF. @default {true} */
  shutdown?: boolean;
  /** Only send: received bytes are read and discarded. @default {false} */
  sendOnly?: boolean;
  /** Only receive: stdin is not read. @default {false} */
  recvOnly?: boolean;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Opens the input; called only when stdin is used. @default {openStdin} */
  stdin?: () => ChunkSource;
  /** Speak TLS with the peer (`--tls`), trusting it this way. */
  tls?: TlsClientOptions | undefined;
  /** Reach the peer through this proxy (`--proxy`). */
  proxy?: ProxyUrl | undefined;
  /** Sees every chunk sent and received (`-x`, `--log`). */
  tap?: ByteTap | undefined;
  /** `--exec`: join the connection to a new process of this program instead of stdin/stdout. */
  exec?: readonly string[] | undefined;
}

/**
 * Connects and relays until the peer closes, the session goes idle, or it is interrupted.
 *
 * @throws {SocketError} when the connection fails or is reset
 */
export async function runTcpClient(
  address: Address,
  out: Output,
  options: TcpClientOptions = {},
): Promise<void> {
  const {
    timeoutMs,
    idleMs,
    crlf = false,
    shutdown = true,
    sendOnly = false,
    recvOnly = false,
    signal,
    stdin = openStdin,
    tls,
    proxy,
    tap,
    exec,
  } = options;
  const where = formatAddress(address);
  let session: TlsSession | undefined;
  const conn = await dial(address, {
    timeoutMs,
    ...(signal ? { signal } : {}),
    tls,
    proxy,
    onTls: (settled) => (session = settled),
  });
  const secured = session ? describeSession(session) : undefined;
  const via = proxy ? ` via ${formatProxy(proxy)}` : "";
  out.status(`connected to ${where}${via}${secured ? ` (${secured.text})` : ""}`, {
    event: "connected",
    to: where,
    ...secured?.fields,
  });
  if (session) {
    out.detail(
      `TLS ${session.cipher}, certificate ${
        escapeText(session.subject)
      }, SHA-256 ${session.fingerprint}`,
    );
  }
  const local = conn.localAddr;
  if (local.transport === "tcp") out.detail(`from ${formatHostPort(local.hostname, local.port)}`);
  if (exec) {
    try {
      return await execClient(conn, where, out, { argv: exec, tap, signal, idleMs });
    } finally {
      tap?.close();
    }
  }
  let bytesIn = 0;
  let bytesOut = 0;
  let lastActive = Date.now();
  let ending: string | undefined;
  const end = (why: string) => {
    ending ??= why;
    closeQuietly(conn);
  };
  const onAbort = () => end("interrupted");
  signal?.addEventListener("abort", onAbort, { once: true });
  const idleTimer = idleMs === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastActive >= idleMs) end(`idle for ${idleMs} ms`);
  }, Math.max(20, Math.min(Math.floor(idleMs / 4), 1000)));

  const receive = async () => {
    const buffer = new AdaptiveBuffer();
    for (let n; (n = await conn.read(buffer.buffer)) !== null;) {
      bytesIn += n;
      lastActive = Date.now();
      const chunk = buffer.filled(n);
      tap?.received(chunk);
      if (sendOnly) continue;
      if (out.json) {
        await out.event({ event: "data", from: where, size: n, ...jsonText(chunk, "utf-8") });
      } else {
        await out.data(chunk);
      }
    }
  };
  const send = async () => {
    const input = stdin();
    const encoder = crlf ? new CrlfEncoder() : undefined;
    for (let chunk; (chunk = await input.next()) !== null;) {
      const data = encoder ? encoder.encode(chunk) : chunk;
      await writeAll(conn, data);
      tap?.sent(data);
      bytesOut += data.length;
      lastActive = Date.now();
    }
    if (shutdown) await conn.closeWrite();
  };

  let failure: unknown;
  try {
    const sending = recvOnly ? undefined : send();
    // A failed send (reset, broken pipe) ends the session like a failed receive.
    sending?.catch((err) => {
      if (ending === undefined) failure ??= err;
      closeQuietly(conn);
    });
    try {
      await receive();
      // The peer's FIN ends only its direction: piped input is still delivered
      // (a failed send is then reported). A terminal session ends here.
      if (sending && !ending && !stdinIsTerminal()) await sending;
    } catch (err) {
      failure ??= err;
    }
    if (ending !== undefined) {
      out.status(`closing: ${ending}`, {
        event: "closed",
        reason: ending,
        bytesIn,
        bytesOut,
      });
      return;
    }
    if (failure !== undefined && !(failure instanceof Deno.errors.BadResource)) {
      throw new SocketError(failure, { address: where });
    }
    out.status(`closed by ${where} (${formatInOut(bytesIn, bytesOut)})`, {
      event: "closed",
      reason: "peer closed",
      bytesIn,
      bytesOut,
    });
  } catch (err) {
    if (err instanceof SocketError) throw err;
    throw new SocketError(err, { address: where });
  } finally {
    clearInterval(idleTimer);
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    tap?.close();
  }
}

interface ExecClientOptions {
  argv: readonly string[];
  tap: ByteTap | undefined;
  signal: AbortSignal | undefined;
  idleMs: number | undefined;
}

/** `tcp connect --exec`: the connection joined to a new process until it exits. */
async function execClient(
  conn: Deno.Conn,
  where: string,
  out: Output,
  options: ExecClientOptions,
): Promise<void> {
  const { argv, tap, signal, idleMs } = options;
  let bytesIn = 0;
  let bytesOut = 0;
  let lastActive = Date.now();
  let idle = false;
  const stream: ExecStream = {
    async read(buffer) {
      const n = await conn.read(buffer);
      if (n !== null) {
        bytesIn += n;
        lastActive = Date.now();
        tap?.received(buffer.subarray(0, n));
      }
      return n;
    },
    async write(bytes) {
      await writeAll(conn, bytes);
      bytesOut += bytes.length;
      lastActive = Date.now();
      tap?.sent(bytes);
    },
    closeWrite: () => conn.closeWrite(),
    close: () => closeQuietly(conn),
  };
  const idleTimer = idleMs === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastActive < idleMs) return;
    idle = true;
    closeQuietly(conn);
  }, Math.max(20, Math.min(Math.floor(idleMs / 4), 1000)));
  const program = argv[0] ?? "";
  try {
    const result = await runExec(stream, { argv, peer: where, out, signal });
    out.status(describeExit(program, result), {
      event: "exited",
      to: where,
      program,
      code: result.code,
      ...(result.signal === null ? {} : { signal: result.signal }),
      ...(result.killed === undefined ? {} : { reason: result.killed }),
    });
    const reason = signal?.aborted ? "interrupted" : idle ? `idle for ${idleMs} ms` : "exited";
    out.status(`closed ${where} (${formatInOut(bytesIn, bytesOut)})`, {
      event: "closed",
      reason: reason === "exited" ? `${program} exited` : reason,
      bytesIn,
      bytesOut,
    });
  } finally {
    clearInterval(idleTimer);
    closeQuietly(conn);
  }
}

function stdinIsTerminal(): boolean {
  try {
    return Deno.stdin.isTerminal();
  } catch {
    return false;
  }
}
