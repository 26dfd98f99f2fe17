/**
 * `chat join`: a line client for the relay. Stdin lines go to the server;
 * server lines are printed with control characters escaped.
 *
 * Requires `--allow-net=HOST:PORT`.
 *
 * @module
 */

import { OperationError, SocketError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { type Address, formatAddress } from "../inet/address.ts";
import { writeAll } from "../net/buffer.ts";
import { dial } from "../net/dial.ts";
import { closeQuietly } from "../net/endpoint.ts";
import { describeSession, type TlsClientOptions, type TlsSession } from "../tls/client.ts";
import { LineSplitter } from "../net/lines.ts";
import { type ChunkSource, openStdin } from "../net/stdin.ts";
import { escapeText } from "../text/escape.ts";

/** Options for {@linkcode runChatClient}. */
export interface ChatClientOptions {
  /** Sent as `/nick NAME` right after connecting. */
  nick?: string | undefined;
  /** Speak TLS with the server (`--tls`), trusting it this way. */
  tls?: TlsClientOptions | undefined;
  signal?: AbortSignal;
  /** @default {openStdin} */
  stdin?: () => ChunkSource;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Talks to the relay until the server closes, or Ctrl-C. */
export async function runChatClient(
  address: Address,
  out: Output,
  options: ChatClientOptions = {},
): Promise<void> {
  const { nick, signal, stdin = openStdin, tls } = options;
  const where = formatAddress(address);
  let session: TlsSession | undefined;
  const conn = await dial(address, {
    ...(signal ? { signal } : {}),
    tls,
    onTls: (settled) => (session = settled),
  });
  const secured = session ? describeSession(session) : undefined;
  out.status(`connected to ${where}${secured ? ` (${secured.text})` : ""}`, {
    event: "connected",
    to: where,
    ...secured?.fields,
  });
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  const sending = (async () => {
    if (nick !== undefined) await writeAll(conn, encoder.encode(`/nick ${nick}\n`));
    const input = stdin();
    for (let chunk; (chunk = await input.next()) !== null;) await writeAll(conn, chunk);
    await conn.closeWrite();
  })();
  sending.catch(() => closeQuietly(conn));
  let refused = false;
  try {
    const splitter = new LineSplitter({ maxLength: 64 * 1024 });
    const buffer = new Uint8Array(64 * 1024);
    // A sockit server over --max-conns says `busy` as its first line and closes: a refusal.
    let first = true;
    const print = async (line: Uint8Array) => {
      const isFirst = first;
      first = false;
      if (isFirst && decoder.decode(line) === "busy") {
        refused = true;
        return;
      }
      if (refused) {
        refused = false; // more followed: not a refusal after all, so the line is shown
        await show(encoder.encode("busy"));
      }
      await show(line);
    };
    const show = async (line: Uint8Array) => {
      const text = escapeText(decoder.decode(line));
      await (out.json ? out.event({ event: "line", text }) : out.data(encoder.encode(text + "\n")));
    };
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (const line of splitter.push(buffer.subarray(0, n))) await print(line);
    }
    const rest = splitter.flush();
    if (rest !== undefined) await print(rest);
  } catch (err) {
    if (!signal?.aborted && !(err instanceof Deno.errors.BadResource)) {
      throw new SocketError(err, { address: where });
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
  }
  if (signal?.aborted) return;
  if (refused) throw new OperationError(`${where} is busy: it turned the connection away`);
  out.status(`closed by ${where}`, { event: "closed", reason: "server closed" });
}
