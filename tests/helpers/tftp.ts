/**
 * Helpers for TFTP tests: a hand-driven UDP peer that speaks raw packets
 * (for malformed input, strangers and vanishing peers), random files and
 * their hashes. in.tftpd is started by the shared harness (`harness.ts`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { decodePacket, encodePacket, type Packet } from "../../src/tftp/packet.ts";

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
