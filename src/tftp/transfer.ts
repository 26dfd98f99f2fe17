/**
 * The I/O shell of one TFTP transfer: feeds a session the datagrams that
 * arrive on its own socket and its timer ticks, and carries out what it
 * returns. Datagrams from any other address or port are answered with
 * ERROR 5 (unknown transfer ID) and do not touch the transfer.
 *
 * Requires `--allow-net` for the socket and the peer.
 *
 * @module
 */

import {
  decodePacket,
  encodeDataInto,
  encodePacket,
  type Packet,
  TftpError,
  TftpParseError,
} from "./packet.ts";
import type { Action } from "./session.ts";
import { isDiskFull } from "./blocks.ts";
import { parseIP } from "../inet/ip.ts";

/** A session as the shell drives it. */
export interface Machine {
  start(): Action[];
  receive(packet: Packet): Action[];
  tick(): Action[];
  /** A client still waiting for the server's first answer (see `learnPeer`). */
  readonly requesting?: boolean;
}

/** Options for {@linkcode drive}. */
export interface DriveOptions {
  /** The peer's transfer ID, or for a client the server's request port. */
  peer: Deno.NetAddr;
  /**
   * A client: the server answers from a new port, which becomes the peer
   * once the session has its answer. @default {false}
   */
  learnPeer?: boolean;
  /** The largest datagram expected (a DATA of the largest blksize that may come). */
  maxPacket: number;
  /**
   * Takes received data (valid only during the call); `last` marks the final
   * block, whose ACK goes out only after this returns, so a receiver can
   * store the file first. May throw: a full disk becomes ERROR 3.
   */
  write?: (data: Uint8Array, last: boolean) => void;
  /** Called after each packet and tick, for progress. */
  onProgress?: () => void;
  /**
   * After receiving the last block, answer repeats of it for this long (the
   * final ACK may be lost); `drive` returns after it. @default {0}
   */
  dallyMs?: number;
  /** Called when everything due is sent and the transfer waits for the peer. */
  beforeWait?: () => void;
  /** Called once when the session is done, before any dally. */
  onDone?: () => void;
  /** Cancels the transfer: ERROR 0 to the peer, then {@linkcode TransferError}. */
  signal?: AbortSignal;
}

/** A transfer that failed; `message` says why in one line. */
export class TransferError extends Error {
  /** The transfer was cancelled through its signal. */
  readonly cancelled: boolean;
  constructor(message: string, cancelled = false) {
    super(message);
    this.name = "TransferError";
    this.cancelled = cancelled;
  }
}

/**
 * What the transfer waits for: a datagram, the retransmission timer, or
 * cancellation. One waiter at a time; events that happen while the loop is
 * busy are kept as flags, so nothing piles up per packet (a `Promise.race`
 * per packet would leave a reaction on the long-lived promises each time).
 */
class Events {
  #wake: (() => void) | undefined;
  #deadline = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #receiving = false;
  /** The timer expired and has not been re-armed since. */
  fired = false;
  cancelled = false;
  /** A datagram received and not yet taken. */
  datagram: [Uint8Array, Deno.Addr] | undefined;
  /** A receive that failed with something other than an ICMP report. */
  error: unknown;

  #post(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Starts receiving into `buffer`, unless a receive is under way or one is waiting to be taken. */
  receive(conn: Deno.DatagramConn, buffer: Uint8Array): void {
    if (this.#receiving || this.datagram) return;
    this.#receiving = true;
    conn.receive(buffer).then(
      (datagram) => {
        this.#receiving = false;
        this.datagram = datagram;
        this.#post();
      },
      (err) => {
        this.#receiving = false;
        // An ICMP error reported on the socket (the peer's port closed): not ours to stop on.
        const icmp = err instanceof Deno.errors.ConnectionRefused ||
          err instanceof Deno.errors.ConnectionReset;
        if (!icmp) this.error = err;
        this.#post();
      },
    );
  }

  /** Waits until something happened. */
  wait(): Promise<void> {
    if (this.fired || this.cancelled || this.datagram || this.error !== undefined) {
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#wake = resolve));
  }

  /** Arms the timer `ms` from now (replacing the previous deadline). */
  arm(ms: number): void {
    this.#deadline = performance.now() + ms;
    this.fired = false;
    if (this.#timer === undefined) this.#schedule(ms);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, ms));
  }

  #expire(): void {
    this.#timer = undefined;
    const left = this.#deadline - performance.now();
    if (left > 1) {
      this.#schedule(left);
      return;
    }
    this.#deadline = Infinity;
    this.fired = true;
    this.#post();
  }

  cancel(): void {
    this.cancelled = true;
    this.#post();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** An address literal as one comparable string (`::1` and `0:0::1` alike), else undefined. */
function ipOf(hostname: string): string | undefined {
  try {
    const ip = parseIP(hostname);
    return `${ip.version}/${ip.value}`;
  } catch {
    return undefined; // a name: any source is accepted until the server has answered
  }
}

function samePeer(a: Deno.NetAddr, b: Deno.NetAddr): boolean {
  return a.port === b.port && a.hostname === b.hostname;
}

async function sendTo(conn: Deno.DatagramConn, packet: Packet, to: Deno.NetAddr): Promise<void> {
  await conn.send(encodePacket(packet), to);
}

/** Sends ERROR 5 to a stranger, ignoring failures: it must not disturb the transfer. */
async function unknownTid(conn: Deno.DatagramConn, to: Deno.NetAddr): Promise<void> {
  const packet: Packet = {
    op: "ERROR",
    code: TftpError.unknownTid,
    message: "unknown transfer ID",
  };
  await sendTo(conn, packet, to).catch(() => {});
}

/**
 * Runs one transfer on `conn` until the session is done.
 *
 * @returns the peer's transfer ID
 * @throws {TransferError} when the session fails, the file cannot be written, or it is cancelled
 */
export async function drive(
  conn: Deno.DatagramConn,
  machine: Machine,
  options: DriveOptions,
): Promise<Deno.NetAddr> {
  const {
    learnPeer = false,
    maxPacket,
    write,
    onProgress,
    dallyMs = 0,
    beforeWait,
    onDone,
    signal,
  } = options;
  let peer = options.peer;
  let locked = !learnPeer;
  // Before the server's first answer its port is unknown, but when it was
  // named by address, the answer must at least come from that address.
  const serverIp = ipOf(options.peer.hostname);
  const buffer = new Uint8Array(maxPacket + 1);
  let scratch: Uint8Array | undefined; // sized by the first DATA, the largest a sender has
  const events = new Events();
  let done = false;
  let failure: string | undefined;
  const onAbort = () => events.cancel();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });

  /** Sends an ERROR to the peer and ends the transfer with `message`. */
  const abort = async (code: number, text: string, message: string) => {
    await sendTo(conn, { op: "ERROR", code, message: text }, peer).catch(() => {});
    failure ??= message;
  };

  // The last send is awaited only before the next one (so datagrams leave in
  // order) or before waiting: its completion is one loop turn this saves per block.
  let sending: Promise<unknown> | undefined;
  const run = async (actions: Action[]) => {
    for (const action of actions) {
      switch (action.type) {
        case "send": {
          if (sending) await sending;
          // The previous send is complete, so one scratch buffer serves every DATA.
          const { packet } = action;
          if (packet.op === "DATA") scratch ??= new Uint8Array(4 + packet.data.length);
          const bytes = packet.op === "DATA" && packet.data.length + 4 <= scratch!.length
            ? encodeDataInto(scratch!, packet.block, packet.data)
            : encodePacket(packet);
          sending = conn.send(bytes, peer);
          break;
        }
        case "write":
          try {
            write?.(action.data, action.last);
          } catch (err) {
            const full = isDiskFull(err);
            await abort(
              full ? TftpError.diskFull : TftpError.notDefined,
              full ? "disk full" : "cannot write the file",
              `cannot write the file: ${err instanceof Error ? err.message : String(err)}`,
            );
            return;
          }
          break;
        case "timer":
          events.arm(action.ms);
          break;
        case "done":
          done = true;
          break;
        case "fail":
          failure ??= action.message;
          break;
      }
    }
  };

  /** Feeds the session, turning a read error (a file that changed) into an ERROR 0. */
  const feed = async (step: () => Action[]) => {
    let actions: Action[];
    try {
      actions = step();
    } catch (err) {
      if (err instanceof RangeError || !(err instanceof Error)) throw err;
      await abort(TftpError.notDefined, "cannot read the file", err.message);
      return;
    }
    await run(actions);
  };

  try {
    await feed(() => machine.start());
    let dallying = false;
    while (failure === undefined) {
      if (done && !dallying) {
        onDone?.();
        if (dallyMs <= 0) break;
        dallying = true;
        events.arm(dallyMs);
      }
      events.receive(conn, buffer);
      if (sending) {
        const sent = sending;
        sending = undefined;
        await sent;
      }
      beforeWait?.();
      await events.wait();
      if (events.cancelled) {
        await abort(TftpError.notDefined, "transfer cancelled", "cancelled");
        throw new TransferError("cancelled", true);
      }
      if (events.error !== undefined) throw events.error;
      const datagram = events.datagram;
      if (!datagram) {
        if (!events.fired) continue; // an ICMP report was skipped
        if (dallying) break; // the dally is over
        await feed(() => machine.tick());
        if (events.fired && failure === undefined && !done) {
          throw new Error("a TFTP session stalled: its tick armed no timer");
        }
        onProgress?.();
        continue;
      }
      events.datagram = undefined;
      const [bytes, addr] = datagram;
      const from = addr as Deno.NetAddr;
      const stranger = locked
        ? !samePeer(from, peer)
        : (serverIp !== undefined && ipOf(from.hostname) !== serverIp);
      if (stranger) {
        await unknownTid(conn, from);
        continue;
      }
      let packet: Packet;
      try {
        packet = decodePacket(bytes);
      } catch (err) {
        if (!(err instanceof TftpParseError)) throw err;
        if (!locked) peer = from;
        await abort(err.code, err.message, `a malformed packet from the peer: ${err.message}`);
        break;
      }
      if (!locked) {
        // A client's first answer: its source port is the server's transfer ID.
        const reply = peer;
        peer = from;
        await feed(() => machine.receive(packet));
        if (machine.requesting) peer = reply; // refused options: the request goes out again
        else locked = true;
      } else {
        await feed(() => machine.receive(packet));
      }
      onProgress?.();
    }
  } catch (err) {
    if (err instanceof TransferError) throw err;
    if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
      throw new TransferError("the socket was closed");
    }
    const permission = err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied;
    if (
      err instanceof Error && !permission && !(err instanceof TypeError) &&
      !(err instanceof RangeError)
    ) {
      throw new TransferError(err.message);
    }
    throw err;
  } finally {
    await sending?.catch(() => {});
    events.stop();
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw new TransferError(failure);
  return peer;
}
