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
import { framedData, isDiskFull } from "./blocks.ts";
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
  /**
   * The server's access list: a datagram from a sender it turns away is
   * dropped unanswered (not even ERROR 5). @default every sender admitted
   */
  admits?: (from: Deno.NetAddr) => boolean;
}

/** A transfer that failed; `message` says why in one line. */
export class TransferError extends Error {
  /** The transfer was cancelled through its signal. */
  readonly cancelled: boolean;
  constructor(message: string, options: { cancelled?: boolean; cause?: unknown } = {}) {
    const { cancelled = false, cause } = options;
    super(message, cause === undefined ? undefined : { cause });
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
 * Carries out what a session returns: sends to the peer, writes, timers,
 * and the outcome (done or failed).
 */
class Executor {
  /** Where sends go: the peer's transfer ID (or, for a client, the server's request port). */
  peer: Deno.NetAddr;
  /** The session is done. */
  done = false;
  /** Why the transfer failed, once it has. */
  failure: string | undefined;
  /** The error behind `failure`, when one was thrown here (a write the disk or a permission refused). */
  failureCause: unknown;
  readonly #conn: Deno.DatagramConn;
  readonly #events: Events;
  readonly #write: ((data: Uint8Array, last: boolean) => void) | undefined;
  /** Sized by the first DATA, the largest a sender has. */
  #scratch: Uint8Array | undefined;
  /**
   * The last send, awaited only before the next one (so datagrams leave in
   * order) or before waiting: its completion is one loop turn this saves per block.
   */
  #sending: Promise<unknown> | undefined;

  constructor(conn: Deno.DatagramConn, events: Events, options: DriveOptions) {
    this.#conn = conn;
    this.#events = events;
    this.#write = options.write;
    this.peer = options.peer;
  }

  /**
   * Feeds the session one step and carries out its actions; a read error
   * (a file that changed) becomes an ERROR 0.
   */
  async feed(step: () => Action[]): Promise<void> {
    let actions: Action[];
    try {
      actions = step();
    } catch (err) {
      if (err instanceof RangeError || !(err instanceof Error)) throw err;
      await this.abort(TftpError.notDefined, "cannot read the file", err.message);
      return;
    }
    for (const action of actions) {
      if (!(await this.#perform(action))) return;
    }
  }

  /** Carries out one action; false when the rest is dropped (the data could not be written). */
  async #perform(action: Action): Promise<boolean> {
    switch (action.type) {
      case "send":
        await this.#send(action.packet);
        return true;
      case "write":
        try {
          this.#write?.(action.data, action.last);
        } catch (err) {
          const full = isDiskFull(err);
          await this.abort(
            full ? TftpError.diskFull : TftpError.notDefined,
            full ? "disk full" : "cannot write the file",
            `cannot write the file: ${err instanceof Error ? err.message : String(err)}`,
          );
          this.failureCause ??= err;
          return false;
        }
        return true;
      case "timer":
        this.#events.arm(action.ms);
        return true;
      case "done":
        this.done = true;
        return true;
      case "fail":
        this.failure ??= action.message;
        return true;
    }
  }

  async #send(packet: Packet): Promise<void> {
    if (this.#sending) await this.#sending;
    let bytes: Uint8Array;
    if (packet.op !== "DATA") {
      bytes = encodePacket(packet);
    } else {
      // The reader left room for the header before the block: sent as it lies, no copy.
      // Otherwise the previous send is complete, so one scratch buffer serves every DATA.
      const framed = framedData(packet.block, packet.data);
      this.#scratch ??= framed ? undefined : new Uint8Array(4 + packet.data.length);
      bytes = framed ??
        (this.#scratch && packet.data.length + 4 <= this.#scratch.length
          ? encodeDataInto(this.#scratch, packet)
          : encodePacket(packet));
    }
    this.#sending = this.#conn.send(bytes, this.peer);
  }

  /** Sends an ERROR to the peer and ends the transfer with `message`. */
  async abort(code: number, text: string, message: string): Promise<void> {
    await sendTo(this.#conn, { op: "ERROR", code, message: text }, this.peer).catch(() => {});
    this.failure ??= message;
  }

  /** Waits until the last send has left (before the transfer waits for the peer). */
  async flush(): Promise<void> {
    const sent = this.#sending;
    if (!sent) return;
    this.#sending = undefined;
    await sent;
  }

  /** Lets the last send finish, whatever its outcome: the transfer is over. */
  async settle(): Promise<void> {
    await this.#sending?.catch(() => {});
  }
}

/**
 * What stopped a transfer, as a {@linkcode TransferError}; programming and
 * permission errors stay as they are.
 */
function transferError(err: unknown): unknown {
  if (err instanceof TransferError) return err;
  if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
    return new TransferError("the socket was closed");
  }
  const permission = err instanceof Deno.errors.NotCapable ||
    err instanceof Deno.errors.PermissionDenied;
  if (
    err instanceof Error && !permission && !(err instanceof TypeError) &&
    !(err instanceof RangeError)
  ) {
    return new TransferError(err.message);
  }
  return err;
}

/**
 * Runs one transfer on `conn` until the session is done: waits for a
 * datagram, the timer or cancellation, feeds the session, and has the
 * {@linkcode Executor} carry out what it returns.
 *
 * @returns the peer's transfer ID
 * @throws {TransferError} when the session fails, the file cannot be written, or it is cancelled
 */
export async function drive(
  conn: Deno.DatagramConn,
  machine: Machine,
  options: DriveOptions,
): Promise<Deno.NetAddr> {
  const { signal } = options;
  const events = new Events();
  const executor = new Executor(conn, events, options);
  const onAbort = () => events.cancel();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await new Loop(conn, machine, { events, executor, options }).run();
  } catch (err) {
    throw transferError(err);
  } finally {
    await executor.settle();
    events.stop();
    signal?.removeEventListener("abort", onAbort);
  }
  if (executor.failure !== undefined) {
    throw new TransferError(executor.failure, { cause: executor.failureCause });
  }
  return executor.peer;
}

/** The event loop of {@linkcode drive}. */
class Loop {
  readonly #conn: Deno.DatagramConn;
  readonly #machine: Machine;
  readonly #events: Events;
  readonly #executor: Executor;
  readonly #options: DriveOptions;
  readonly #buffer: Uint8Array;
  /** The peer's transfer ID is known: datagrams from elsewhere are strangers'. */
  #locked: boolean;
  /**
   * Before the server's first answer its port is unknown, but when it was
   * named by address, the answer must at least come from that address.
   */
  readonly #serverIp: string | undefined;

  constructor(
    conn: Deno.DatagramConn,
    machine: Machine,
    parts: { events: Events; executor: Executor; options: DriveOptions },
  ) {
    const { events, executor, options } = parts;
    this.#conn = conn;
    this.#machine = machine;
    this.#events = events;
    this.#executor = executor;
    this.#options = options;
    this.#buffer = new Uint8Array(options.maxPacket + 1);
    this.#locked = !(options.learnPeer ?? false);
    this.#serverIp = ipOf(options.peer.hostname);
  }

  /** Feeds the session until it is done (and has dallied) or has failed. */
  async run(): Promise<void> {
    const { dallyMs = 0, beforeWait, onDone, onProgress } = this.#options;
    const events = this.#events;
    const executor = this.#executor;
    await executor.feed(() => this.#machine.start());
    let dallying = false;
    while (executor.failure === undefined) {
      if (executor.done && !dallying) {
        onDone?.();
        if (dallyMs <= 0) return;
        dallying = true;
        events.arm(dallyMs);
      }
      events.receive(this.#conn, this.#buffer);
      await executor.flush();
      beforeWait?.();
      await events.wait();
      if (events.cancelled) {
        await executor.abort(TftpError.notDefined, "transfer cancelled", "cancelled");
        throw new TransferError("cancelled", { cancelled: true });
      }
      if (events.error !== undefined) throw events.error;
      const datagram = events.datagram;
      if (datagram) {
        events.datagram = undefined;
        const [bytes, from] = datagram;
        const taken = await this.#receive(bytes, from as Deno.NetAddr);
        if (taken === "malformed") return;
        if (taken === "stranger") continue;
      } else if (events.fired) {
        if (dallying) return; // the dally is over
        await this.#tick();
      } else {
        continue; // an ICMP report was skipped
      }
      onProgress?.();
    }
  }

  /** A datagram: a stranger's is answered with ERROR 5, a malformed one ends the transfer. */
  async #receive(
    bytes: Uint8Array,
    from: Deno.NetAddr,
  ): Promise<"taken" | "stranger" | "malformed"> {
    const executor = this.#executor;
    const stranger = this.#locked
      ? !samePeer(from, executor.peer)
      : (this.#serverIp !== undefined && ipOf(from.hostname) !== this.#serverIp);
    if (stranger) {
      if (this.#options.admits?.(from) === false) return "stranger";
      await unknownTid(this.#conn, from);
      return "stranger";
    }
    let packet: Packet;
    try {
      packet = decodePacket(bytes);
    } catch (err) {
      if (!(err instanceof TftpParseError)) throw err;
      if (!this.#locked) executor.peer = from;
      await executor.abort(
        err.code,
        err.message,
        `a malformed packet from the peer: ${err.message}`,
      );
      return "malformed";
    }
    if (this.#locked) {
      await executor.feed(() => this.#machine.receive(packet));
      return "taken";
    }
    // A client's first answer: its source port is the server's transfer ID.
    const request = executor.peer;
    executor.peer = from;
    await executor.feed(() => this.#machine.receive(packet));
    // Refused options: the request goes out again, to the request port.
    if (this.#machine.requesting) executor.peer = request;
    else this.#locked = true;
    return "taken";
  }

  /** The timer fired: the session retransmits or gives up. */
  async #tick(): Promise<void> {
    const executor = this.#executor;
    await executor.feed(() => this.#machine.tick());
    if (this.#events.fired && executor.failure === undefined && !executor.done) {
      throw new Error("a TFTP session stalled: its tick armed no timer");
    }
  }
}
