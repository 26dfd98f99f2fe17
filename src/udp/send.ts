/**
 * `udp send`: datagrams from arguments or stdin lines to one target,
 * repeated `count` times, optionally waiting for and printing replies.
 *
 * Requires `--allow-net` for the bound address (by default the target's
 * loopback, or 0.0.0.0 / [::] for other targets) and for the target.
 *
 * @module
 */

import { count as quantity, formatSize } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { formatAddress, type HostAddress, isLoopbackHost } from "../inet/address.ts";
import { LineSplitter } from "../net/lines.ts";
import type { ChunkSource } from "../net/stdin.ts";
import { encodeText, type Encoding } from "../text/encoding.ts";
import { checkPayload } from "./datagram.ts";
import { openDatagram, printIncoming, udpAddr } from "./socket.ts";

/** Options for {@linkcode runUdpSend}. */
export interface UdpSendOptions {
  /** Messages from the command line; without them stdin lines are sent. */
  messages: string[];
  /** Local address to send from. @default the family's wildcard, or loopback for a loopback target */
  bind?: HostAddress | undefined;
  /** Keep receiving this many ms after the last send and print replies. */
  waitMs?: number | undefined;
  /** Send each message this many times. @default {1} */
  count?: number;
  /** Pause between sends. @default {0} */
  intervalMs?: number;
  /** @default {"utf-8"} */
  encoding?: Encoding;
  /** Opens stdin, when there are no messages. */
  stdin: () => ChunkSource;
  signal?: AbortSignal;
}

const decoder = new TextDecoder();

/** The local address `send` binds when `--bind` is not given. */
export function defaultBind(target: HostAddress): HostAddress {
  const host = target.hostname;
  const hostname = isLoopbackHost(host)
    ? (host === "::1" ? "::1" : "127.0.0.1")
    : host.includes(":")
    ? "::"
    : "0.0.0.0";
  return { transport: "udp", hostname, port: 0 };
}

/**
 * Sends the messages and returns the exit code.
 *
 * @throws {RangeError} for a message over the UDP limit (nothing of it is sent) or one the encoding cannot hold
 */
export async function runUdpSend(
  target: HostAddress,
  out: Output,
  options: UdpSendOptions,
): Promise<void> {
  const {
    messages,
    bind = defaultBind(target),
    waitMs,
    count = 1,
    intervalMs = 0,
    encoding = "utf-8",
    stdin,
    signal,
  } = options;
  // Bad input is a usage error, and nothing of that message is sent.
  const usage = <T>(make: () => T): T => {
    try {
      return make();
    } catch (err) {
      if (err instanceof RangeError || err instanceof SyntaxError) {
        throw new RangeError(`${err.message}; nothing of it was sent`);
      }
      throw err;
    }
  };
  const checked = (data: Uint8Array) =>
    usage(() => {
      checkPayload(data.length, target.hostname);
      return data;
    });
  const encode = (text: string) => checked(usage(() => encodeText(text, encoding)));
  // Every argument is checked before the first datagram leaves.
  const fromArgs = messages.map(encode);
  const socket = openDatagram(bind, out, { multicastLoopback: true });
  const where = formatAddress(target);
  const destination = udpAddr(target);
  let sent = 0;
  let bytes = 0;
  // Replies are printed as they arrive, while sending and while lines are typed (nc -u);
  // --wait only keeps listening for MS after the last send.
  const replies = printIncoming(socket.conn, out, encoding);
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  const sendOne = async (data: Uint8Array) => {
    if (sent > 0 && intervalMs > 0) await pause();
    await socket.conn.send(data, destination);
    sent++;
    bytes += data.length;
  };
  try {
    if (fromArgs.length > 0) {
      for (let round = 0; round < count && !signal?.aborted; round++) {
        for (const data of fromArgs) await sendOne(data);
      }
    } else {
      const input = stdin();
      const splitter = new LineSplitter({ maxLength: 1 << 20 });
      const handle = async (line: Uint8Array) => {
        const text = decoder.decode(line);
        if (text === "exit") return false;
        // UTF-8 lines go out as the exact bytes typed; other encodings re-encode the text.
        const data = encoding === "utf-8" ? checked(line) : encode(text);
        for (let round = 0; round < count && !signal?.aborted; round++) await sendOne(data);
        return !signal?.aborted;
      };
      let going = true;
      for (let chunk; going && (chunk = await input.next()) !== null;) {
        for (const line of splitter.push(chunk)) if (going) going = await handle(line);
      }
      const rest = splitter.flush();
      if (going && rest !== undefined) await handle(rest);
    }
    out.status(`sent ${quantity(sent, "datagram")} (${formatSize(bytes)}) to ${where}`, {
      event: "sent",
      to: where,
      datagrams: sent,
      bytesOut: bytes,
    });
    if (waitMs !== undefined && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  } finally {
    socket.close();
    await replies;
  }
}
