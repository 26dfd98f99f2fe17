/**
 * The byte tap of `-x/--hexdump` and `--log FILE`: every chunk a connection
 * sends or receives, shown as a hex dump on stderr (direction `>` sent, `<`
 * received, an offset per direction, the peer when a process serves
 * several) and appended raw to the session log. A server opens one tap per
 * connection from one {@linkcode Taps}; a client opens one.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { escapeText } from "../text/escape.ts";
import { hexdumpLines } from "../text/hexdump.ts";
import type { SessionLog } from "./session_log.ts";

/** What one connection's bytes pass through; chunks are used during the call only. */
export interface ByteTap {
  /** Bytes sockit sent to the peer. */
  sent(bytes: Uint8Array): void;
  /** Bytes sockit received from the peer. */
  received(bytes: Uint8Array): void;
  /** The connection ended. */
  close(): void;
}

/** Options for {@linkcode Taps}. */
export interface TapsOptions {
  /** Hex dumps on stderr (`-x`). @default {false} */
  hexdump?: boolean;
  /** The session log (`--log FILE`). */
  log?: SessionLog | undefined;
  /** Name the peer on every dump row (servers, which have several). @default {false} */
  showPeer?: boolean;
}

/** Opens a tap per connection; {@linkcode Taps.of} gives none when nothing is tapped. */
export class Taps {
  readonly #out: Output;
  readonly #hexdump: boolean;
  readonly #log: SessionLog | undefined;
  readonly #showPeer: boolean;
  #warned = false;

  constructor(out: Output, options: TapsOptions = {}) {
    const { hexdump = false, log, showPeer = false } = options;
    this.#out = out;
    this.#hexdump = hexdump;
    this.#log = log;
    this.#showPeer = showPeer;
  }

  /** Taps for these options, or undefined when neither a dump nor a log is asked for. */
  static of(out: Output, options: TapsOptions): Taps | undefined {
    return options.hexdump || options.log ? new Taps(out, options) : undefined;
  }

  /** A tap for one connection, `peer` naming it (`HOST:PORT`, or any label). */
  open(peer: string): ByteTap {
    const out = this.#out;
    const log = this.#log;
    const hexdump = this.#hexdump;
    const name = this.#showPeer ? `${escapeText(peer)} ` : "";
    const offsets = { ">": 0, "<": 0 };
    log?.open(peer);
    const pass = (direction: ">" | "<", bytes: Uint8Array) => {
      if (bytes.length === 0) return;
      if (hexdump) {
        const lines = hexdumpLines(bytes, {
          offset: offsets[direction],
          prefix: `${name}${direction} `,
        });
        out.trace(lines.join("\n"));
      }
      offsets[direction] += bytes.length;
      if (log) {
        log.data(peer, direction, bytes);
        if (log.failure !== undefined && !this.#warned) {
          this.#warned = true;
          const why = log.failure instanceof Error ? log.failure.message : String(log.failure);
          out.warn(`cannot write to ${escapeText(log.path)}: ${escapeText(why)}; logging stopped`);
        }
      }
    };
    let closed = false;
    return {
      sent: (bytes) => pass(">", bytes),
      received: (bytes) => pass("<", bytes),
      close() {
        if (closed) return;
        closed = true;
        log?.close(peer);
      },
    };
  }
}
