/**
 * Which TFTP requests a server takes on, so that one host cannot starve the
 * others. A transfer is *pending* until the peer answers its first packet
 * (DATA 1, OACK or ACK 0): a request costs a few bytes and any host, or a
 * forged address, can send thousands, while a real client answers within a
 * round trip. So pending transfers give way first:
 *
 * - a repeated request from a client port whose transfer is still pending is
 *   a retransmission (that transfer resends its own first packet): ignored;
 * - one address runs at most `maxPerAddress` transfers: past that, its oldest
 *   pending transfer gives way to the new request, and when none of its
 *   transfers is pending the request is refused (busy);
 * - the server runs at most `maxTransfers`: past that, the oldest pending
 *   transfer of any address gives way, else the request is refused.
 *
 * How long a transfer may stay pending is the server's to enforce (a short
 * deadline). Pure: no sockets, no clock.
 *
 * @module
 */

/** A transfer the server admitted; `host` is the client's address, `client` its `HOST:PORT`. */
export interface Ticket {
  readonly host: string;
  readonly client: string;
  /** The peer has answered the first packet. */
  readonly answered: boolean;
}

/** What to do with a request. */
export type Admitted =
  /** Start the transfer; first cancel `evicted` (a pending transfer that gives way), if any. */
  | { decision: "start"; ticket: Ticket; evicted: Ticket | undefined }
  /** A repeat of a pending request from the same client port: drop it. */
  | { decision: "duplicate" }
  /** Refuse: no room that a pending transfer could give up. */
  | { decision: "busy" };

/** Options for {@linkcode Admission}. */
export interface AdmissionOptions {
  /** Transfers at once, all addresses together. @default {256} */
  maxTransfers?: number;
  /** Transfers at once from one address. @default {32} */
  maxPerAddress?: number;
}

interface Entry extends Ticket {
  answered: boolean;
}

/**
 * The bookkeeping of running transfers: one {@linkcode Ticket} per transfer,
 * from {@linkcode Admission.request} to {@linkcode Admission.release}.
 *
 * @example One address at its limit
 * ```ts
 * import { Admission } from "./admission.ts";
 * const admission = new Admission({ maxPerAddress: 1 });
 * const first = admission.request("10.0.0.7", "10.0.0.7:5000");
 * const second = admission.request("10.0.0.7", "10.0.0.7:5001");
 * // second: the first, still pending, gives way
 * second.decision === "start" && second.evicted === (first as { ticket: unknown }).ticket; // true
 * ```
 */
export class Admission {
  readonly #maxTransfers: number;
  readonly #maxPerAddress: number;
  /** Every admitted transfer, oldest first. */
  readonly #all = new Set<Entry>();
  readonly #perAddress = new Map<string, number>();

  constructor(options: AdmissionOptions = {}) {
    const { maxTransfers = 256, maxPerAddress = 32 } = options;
    this.#maxTransfers = maxTransfers;
    this.#maxPerAddress = maxPerAddress;
  }

  /** Transfers running now. */
  get size(): number {
    return this.#all.size;
  }

  /** Transfers running now whose first packet is unanswered. */
  get pending(): number {
    let count = 0;
    for (const entry of this.#all) if (!entry.answered) count++;
    return count;
  }

  /** Decides on a request from `client` (`HOST:PORT`) at address `host`. */
  request(host: string, client: string): Admitted {
    let oldestOfHost: Entry | undefined;
    let oldest: Entry | undefined;
    for (const entry of this.#all) {
      if (entry.answered) continue;
      if (entry.client === client) return { decision: "duplicate" };
      oldest ??= entry;
      if (entry.host === host) oldestOfHost ??= entry;
    }
    let evicted: Entry | undefined;
    if ((this.#perAddress.get(host) ?? 0) >= this.#maxPerAddress) {
      if (!oldestOfHost) return { decision: "busy" };
      evicted = oldestOfHost;
    } else if (this.#all.size >= this.#maxTransfers) {
      if (!oldest) return { decision: "busy" };
      evicted = oldest;
    }
    if (evicted) this.release(evicted);
    const ticket: Entry = { host, client, answered: false };
    this.#all.add(ticket);
    this.#perAddress.set(host, (this.#perAddress.get(host) ?? 0) + 1);
    return { decision: "start", ticket, evicted };
  }

  /** The peer answered the transfer's first packet: it no longer gives way. */
  answered(ticket: Ticket): void {
    const entry = ticket as Entry;
    if (this.#all.has(entry)) entry.answered = true;
  }

  /** The transfer is over (or was evicted); releasing twice is harmless. */
  release(ticket: Ticket): void {
    const entry = ticket as Entry;
    if (!this.#all.delete(entry)) return;
    const left = (this.#perAddress.get(entry.host) ?? 1) - 1;
    if (left === 0) this.#perAddress.delete(entry.host);
    else this.#perAddress.set(entry.host, left);
  }
}
