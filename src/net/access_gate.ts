/**
 * The door of every server: the `--allow`/`--deny` access list applied to
 * each peer as it arrives (an accepted connection, a received datagram),
 * with the `denied HOST:PORT` line, its JSON event and the count the stop
 * summary shows. One gate serves every listener of a process (`serve`,
 * `files serve --http`), so the count is the process's.
 *
 * @module
 */

import type { Planner } from "../command/plan.ts";
import type { Args } from "../command/values.ts";
import type { Output } from "../console/output.ts";
import { type AccessList, admits, isOpen, parseAccessList } from "../inet/access.ts";

/**
 * The access list of a command's `--allow` and `--deny` options
 * (`ACCESS_OPTIONS`).
 *
 * @throws {SyntaxError|RangeError} for a malformed rule (the edge makes it exit 2)
 */
export function accessListOf(args: Args): AccessList {
  return parseAccessList({ allow: args.texts("allow"), deny: args.texts("deny") });
}

/**
 * The plan's part of `--allow`/`--deny`: no permission, but a malformed
 * rule is the same usage error in a plan as in a run (not checked for the
 * placeholders of `--help`).
 *
 * @throws {SyntaxError|RangeError} for a malformed rule
 */
export function planAccess(args: Args, planner: Planner): void {
  if (!planner.describe) accessListOf(args);
}

/** Options for {@linkcode AccessGate.admits}. */
export interface AdmitOptions {
  /** `tcp` or `udp`, for the JSON event. @default {"tcp"} */
  transport?: "tcp" | "udp";
  /** The service, when one process runs several (`serve`). */
  label?: string | undefined;
}

/** Distinct denied senders remembered, so a UDP flood is logged once per sender, in bounded memory. */
const LOGGED_LIMIT = 4096;

/** Applies an access list to peers, logging and counting those it turns away. */
export class AccessGate {
  readonly list: AccessList;
  /** Connections and datagrams turned away so far. */
  denied = 0;
  readonly #out: Output;
  readonly #logged = new Set<string>();

  constructor(list: AccessList, out: Output) {
    this.list = list;
    this.#out = out;
  }

  /**
   * The gate of a command's `--allow`/`--deny` options, or undefined when
   * it has none (every peer is admitted and nothing is counted).
   *
   * @throws {SyntaxError|RangeError} for a malformed rule
   */
  static of(args: Args, out: Output): AccessGate | undefined {
    const list = accessListOf(args);
    return isOpen(list) ? undefined : new AccessGate(list, out);
  }

  /**
   * Decides on one peer: true to admit it; otherwise counts it and reports
   * `denied HOST:PORT` (a datagram sender once per address and port).
   *
   * @param hostname the peer's address as the socket reports it
   * @param peer `HOST:PORT`, for the report
   */
  admits(hostname: string, peer: string, options: AdmitOptions = {}): boolean {
    if (admits(this.list, hostname)) return true;
    const { transport = "tcp", label } = options;
    this.denied++;
    if (transport === "udp") {
      if (this.#logged.has(peer)) return false;
      if (this.#logged.size >= LOGGED_LIMIT) this.#logged.clear();
      this.#logged.add(peer);
    }
    this.#out.status(`denied ${peer}${label ? ` (${label})` : ""}`, {
      event: "denied",
      from: peer,
      transport,
      ...(label ? { service: label } : {}),
    });
    return false;
  }
}
