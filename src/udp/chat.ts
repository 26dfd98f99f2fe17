/**
 * `udp chat`: one process, full duplex. Stdin lines go to PEER while every
 * datagram arriving at ADDR is printed as it comes, from PEER or anyone else
 * (each line names its sender, so a stranger is never taken for the peer).
 *
 * Requires `--allow-net` for ADDR's host and PEER.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { formatAddress, type HostAddress } from "../inet/address.ts";
import { LineSplitter } from "../net/lines.ts";
import type { ChunkSource } from "../net/stdin.ts";
import { encodeText, type Encoding } from "../text/encoding.ts";
import { checkPayload } from "./datagram.ts";
import { openDatagram, printIncoming, udpAddr } from "./socket.ts";

/** Options for {@linkcode runUdpChat}. */
export interface UdpChatOptions {
  /** Where each stdin line goes. */
  peer: HostAddress;
  /** @default {"utf-8"} */
  encoding?: Encoding;
  stdin: () => ChunkSource;
  signal?: AbortSignal;
}

const decoder = new TextDecoder();

/** Runs the chat until `exit`, stdin EOF or Ctrl-C. */
export async function runUdpChat(
  local: HostAddress,
  out: Output,
  options: UdpChatOptions,
): Promise<void> {
  const { peer, encoding = "utf-8", stdin, signal } = options;
  const socket = openDatagram(local, out, { announce: true });
  const peerName = formatAddress(peer);
  const peerAliases = new Set([peerName, formatAddress({ ...peer, hostname: loopbackOf(peer) })]);
  const destination = udpAddr(peer);
  const stop = () => socket.close();
  signal?.addEventListener("abort", stop, { once: true });
  const receiving = printIncoming(socket.conn, out, encoding, (datagram) => ({
    peer: peerAliases.has(datagram.from),
  }));
  const sending = (async () => {
    const input = stdin();
    const splitter = new LineSplitter({ maxLength: 1 << 20 });
    const send = async (line: Uint8Array) => {
      const text = decoder.decode(line);
      if (text === "exit") return false;
      let data: Uint8Array;
      try {
        data = encoding === "utf-8" ? line : encodeText(text, encoding);
        checkPayload(data.length, peer.hostname);
      } catch (err) {
        if (!(err instanceof RangeError || err instanceof SyntaxError)) throw err;
        out.warn(`${err.message}; not sent`);
        return true;
      }
      await socket.conn.send(data, destination);
      return true;
    };
    let going = true;
    for (let chunk; going && (chunk = await input.next()) !== null;) {
      for (const line of splitter.push(chunk)) if (going) going = await send(line);
    }
    const rest = splitter.flush();
    if (going && rest !== undefined) await send(rest);
  })();
  try {
    await Promise.race([sending, receiving]);
  } finally {
    signal?.removeEventListener("abort", stop);
    socket.close();
    await receiving;
  }
  out.status(`chat with ${peerName} ended`, { event: "closed", to: peerName });
}

/** `localhost` datagrams arrive from 127.0.0.1. */
function loopbackOf(peer: HostAddress): string {
  return peer.hostname === "localhost" ? "127.0.0.1" : peer.hostname;
}
