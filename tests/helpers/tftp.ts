/**
 * Helpers for TFTP tests: a hand-driven UDP peer that speaks raw packets
 * (for malformed input, strangers and vanishing peers), and in.tftpd.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { decodePacket, encodePacket, type Packet } from "../../src/tftp/packet.ts";
import { hasCommand, Spawned } from "./process.ts";

/** `size` random bytes (for files no compression or pattern could fake). */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/** SHA-256 in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A UDP socket on loopback that sends and receives TFTP packets by hand. */
export class RawPeer implements Disposable {
  readonly conn: Deno.DatagramConn;
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;
  #buffer = new Uint8Array(70_000);

  /** @param hostname a loopback address (127.0.0.2 is a different host as far as TFTP can tell) */
  constructor(hostname = "127.0.0.1") {
    this.conn = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
  }

  get port(): number {
    return (this.conn.addr as Deno.NetAddr).port;
  }

  async send(packet: Packet | Uint8Array, port: number): Promise<void> {
    const bytes = packet instanceof Uint8Array ? packet : encodePacket(packet);
    await this.conn.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
  }

  /** The next datagram (decoded) and its source port, or undefined after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<{ packet: Packet; port: number } | undefined> {
    this.#pending ??= this.conn.receive(this.#buffer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const result = await Promise.race([this.#pending, timeout]);
    clearTimeout(timer);
    if (!result) return undefined;
    this.#pending = undefined;
    const [bytes, from] = result;
    return { packet: decodePacket(bytes.slice()), port: (from as Deno.NetAddr).port };
  }

  [Symbol.dispose](): void {
    this.#pending?.catch(() => {});
    this.conn.close();
  }
}

/** A UDP port free a moment ago (for peers that cannot pick port 0 and say which). */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const { port } = socket.addr as Deno.NetAddr;
  socket.close();
  return port;
}

export const IN_TFTPD = "/usr/sbin/in.tftpd";

/** Whether tftp-hpa's server is installed. */
export function hasInTftpd(): boolean {
  return hasCommand(IN_TFTPD);
}

/**
 * Starts in.tftpd (tftp-hpa) in the foreground on a loopback port, serving
 * `dir` (uploads may create files), and waits until it answers.
 */
export async function startInTftpd(dir: string): Promise<{ server: Spawned; port: number }> {
  const user = new TextDecoder().decode(
    new Deno.Command("id", { args: ["-un"] }).outputSync().stdout,
  ).trim();
  const port = freeUdpPort();
  const server = new Spawned(IN_TFTPD, [
    "-L",
    "-a",
    `127.0.0.1:${port}`,
    "-u",
    user,
    "-c",
    "-s",
    dir,
  ], { stdin: "null" });
  // in.tftpd prints nothing when ready: ask it for a missing file until it answers.
  using probe = new RawPeer();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await probe.send({ op: "RRQ", filename: "no-such-probe", mode: "octet", options: {} }, port);
    if (await probe.next(200)) return { server, port };
  }
  await server[Symbol.asyncDispose]();
  throw new Error("in.tftpd did not answer within 10 s");
}
