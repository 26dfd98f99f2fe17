/**
 * The client side of a TFTP transfer as sans-I/O state machines: the request
 * (RRQ or WRQ) retransmitted until the server answers, the answer's options
 * checked (RFC 2347: an OACK may only narrow what was asked), a fallback to
 * a plain request when the server refuses options (ERROR 8), and then the
 * transfer itself as a {@linkcode ReceiveSession} or {@linkcode SendSession}.
 *
 * @module
 */

import {
  errorText,
  maxWindow,
  type Mode,
  type Negotiated,
  OPTION_BOUNDS,
  type Options,
  type Packet,
  TftpError,
  TftpParseError,
} from "./packet.ts";
import {
  abort,
  type Action,
  MAX_TIMEOUT_MS,
  ReceiveSession,
  SendSession,
  type SessionOptions,
} from "./session.ts";

/** What a client asks for. */
export interface RequestOptions {
  /** The transfer mode. @default {"octet"} */
  mode?: Mode;
  /** Block size to ask for; 512 asks for none. @default {512} */
  blksize?: number;
  /** Window size to ask for; 1 asks for none. @default {1} */
  windowsize?: number;
  /** Retransmission timeout in seconds, also asked of the server when not 1. @default {1} */
  timeout?: number;
  /** The size to announce (`tsize`) on a put, or `0` to ask for it on a get. */
  tsize?: number;
  /** Retransmissions before giving up. @default {5} */
  maxRetries?: number;
}

/**
 * The options a request carries for `options`; `windowsize` is capped at
 * {@linkcode maxWindow} for the block size.
 */
export function requestOptions(options: RequestOptions): Options {
  const { blksize = 512, timeout = 1, tsize } = options;
  const windowsize = Math.min(options.windowsize ?? 1, maxWindow(blksize));
  const result: Options = {};
  if (blksize !== 512) result.blksize = String(blksize);
  if (windowsize !== 1) result.windowsize = String(windowsize);
  if (timeout !== 1) result.timeout = String(timeout);
  if (tsize !== undefined) result.tsize = String(tsize);
  return result;
}

/** Options for {@linkcode acceptOack}. */
export interface AcceptOackOptions {
  /** The retransmission timeout in seconds when the OACK names none. @default {1} */
  timeout?: number;
}

/**
 * Checks a server's OACK against what was asked: only requested options,
 * decimal values in range, and `blksize`/`windowsize` no larger than asked.
 *
 * @returns the parameters of the transfer
 * @throws {TftpParseError} code 8 when the OACK is not acceptable
 */
export function acceptOack(
  requested: Options,
  oack: Options,
  options: AcceptOackOptions = {},
): Negotiated {
  const { timeout = 1 } = options;
  const params: Negotiated = { blksize: 512, timeout, windowsize: 1 };
  for (const [name, value] of Object.entries(oack)) {
    const refuse = (why: string) =>
      new TftpParseError(TftpError.optionNegotiation, `option ${name}=${value} ${why}`);
    // Own properties only: "constructor" or "__proto__" were never asked for.
    const asked = Object.hasOwn(requested, name) ? requested[name] : undefined;
    if (asked === undefined) throw refuse("was not requested");
    const bounds = Object.hasOwn(OPTION_BOUNDS, name) ? OPTION_BOUNDS[name] : undefined;
    if (!bounds || !/^\d{1,16}$/.test(value)) throw refuse("is not understood");
    const n = Number(value);
    if (n < bounds[0] || n > bounds[1]) throw refuse("is out of range");
    if ((name === "blksize" || name === "windowsize") && n > Number(asked)) {
      throw refuse(`is larger than the ${asked} requested`);
    }
    if (name === "tsize") params.tsize = n;
    else params[name as "blksize" | "timeout" | "windowsize"] = n;
  }
  return params;
}

/** The server answered against the protocol: ERROR 4 to it, and failure. */
function brokeProtocol(message: string): Action[] {
  return abort(TftpError.illegalOperation, message, `the server broke the protocol: ${message}`);
}

/** The opening phase shared by get and put. */
abstract class Request<Inner extends ReceiveSession | SendSession> {
  readonly #filename: string;
  readonly #mode: Mode;
  #options: Options;
  readonly #maxRetries: number;
  readonly #timeout: number;
  #retries = 0;
  #answered = false;
  #fellBack = false;
  #failed = false;
  protected inner: Inner | undefined;
  /** The transfer's parameters, once the server answered. */
  params: Negotiated | undefined;

  constructor(filename: string, options: RequestOptions) {
    const { mode = "octet", timeout = 1, maxRetries = 5 } = options;
    this.#filename = filename;
    this.#mode = mode;
    this.#options = requestOptions(options);
    this.#timeout = timeout;
    this.#maxRetries = maxRetries;
  }

  protected abstract get op(): "RRQ" | "WRQ";

  /** Starts the transfer from the server's answer (OACK, first DATA, or ACK 0). */
  protected abstract begin(params: Negotiated, answer: Packet, oack: boolean): Action[];

  /** True until the server has answered: sends go to its request port, not a transfer ID. */
  get requesting(): boolean {
    return !this.#answered;
  }

  /** True when the server refused options and the plain request was sent instead. */
  get fellBack(): boolean {
    return this.#fellBack;
  }

  protected sessionOptions(params: Negotiated): SessionOptions {
    return { params, maxRetries: this.#maxRetries };
  }

  #request(): Action[] {
    const packet: Packet = {
      op: this.op,
      filename: this.#filename,
      mode: this.#mode,
      options: this.#options,
    };
    const ms = Math.min(MAX_TIMEOUT_MS, this.#timeout * 1000 * 2 ** this.#retries);
    return [{ type: "send", packet }, { type: "timer", ms }];
  }

  /** Sends the request. */
  start(): Action[] {
    return this.#request();
  }

  /** A packet from the server (its request port or the transfer's ID). */
  receive(packet: Packet): Action[] {
    if (this.#failed) return [];
    if (this.inner) return this.inner.receive(packet);
    if (packet.op === "ERROR") {
      if (packet.code === TftpError.optionNegotiation && Object.keys(this.#options).length > 0) {
        // Refused options: ask again without them, from the same port.
        this.#options = {};
        this.#fellBack = true;
        this.#retries = 0;
        return this.#request();
      }
      this.#answered = true;
      this.#failed = true;
      return [{ type: "fail", message: errorText(packet.code, packet.message) }];
    }
    this.#answered = true;
    if (packet.op === "OACK") {
      try {
        this.params = acceptOack(this.#options, packet.options, { timeout: this.#timeout });
      } catch (err) {
        if (!(err instanceof TftpParseError)) throw err;
        this.#failed = true;
        return abort(err.code, err.message, `the server's OACK was refused: ${err.message}`);
      }
      return this.begin(this.params, packet, true);
    }
    this.params = { blksize: 512, timeout: this.#timeout, windowsize: 1 };
    return this.begin(this.params, packet, false);
  }

  /** The timer fired: resend the request, or give up. */
  tick(): Action[] {
    if (this.#failed) return [];
    if (this.inner) return this.inner.tick();
    this.#retries++;
    if (this.#retries > this.#maxRetries) {
      this.#failed = true;
      return [{ type: "fail", message: "no answer from the server: gave up after retries" }];
    }
    return this.#request();
  }
}

/** A download: RRQ, then DATA in. */
export class GetSession extends Request<ReceiveSession> {
  constructor(filename: string, options: RequestOptions = {}) {
    super(filename, options);
  }

  protected get op(): "RRQ" {
    return "RRQ";
  }

  /** Bytes received so far. */
  get written(): number {
    return this.inner?.written ?? 0;
  }

  protected begin(params: Negotiated, answer: Packet, oack: boolean): Action[] {
    if (oack) {
      // ACK 0 acknowledges the OACK; it is what the receiver repeats until DATA 1 comes.
      this.inner = new ReceiveSession({
        ...this.sessionOptions(params),
        opening: { op: "ACK", block: 0 },
      });
      return this.inner.start();
    }
    if (answer.op !== "DATA") return brokeProtocol(`expected DATA or OACK, got ${answer.op}`);
    this.inner = new ReceiveSession(this.sessionOptions(params));
    return this.inner.receive(answer);
  }

  override receive(packet: Packet): Action[] {
    // Our ACK 0 was lost and the OACK comes again: acknowledge it again.
    if (packet.op === "OACK" && this.inner && this.inner.blocks === 0) {
      return [{ type: "send", packet: { op: "ACK", block: 0 } }];
    }
    return super.receive(packet);
  }
}

/** An upload: WRQ, then DATA out. */
export class PutSession extends Request<SendSession> {
  readonly #block: (index: number) => Uint8Array;

  /** @param block reads block `index` of the file (see {@linkcode SendSession}) */
  constructor(
    filename: string,
    block: (index: number) => Uint8Array,
    options: RequestOptions = {},
  ) {
    super(filename, options);
    this.#block = block;
  }

  protected get op(): "WRQ" {
    return "WRQ";
  }

  /** Blocks the server acknowledged so far. */
  get acknowledged(): number {
    return this.inner?.acknowledged ?? 0;
  }

  /** The first block after the window in flight (see {@linkcode SendSession.upcoming}). */
  get upcoming(): number {
    return this.inner?.upcoming ?? 0;
  }

  protected begin(params: Negotiated, answer: Packet, oack: boolean): Action[] {
    if (!oack && !(answer.op === "ACK" && answer.block === 0)) {
      return brokeProtocol(`expected ACK 0 or OACK, got ${answer.op}`);
    }
    this.inner = new SendSession(this.#block, this.sessionOptions(params));
    return this.inner.start();
  }

  override receive(packet: Packet): Action[] {
    // A repeated OACK or ACK 0 (our first DATA was lost): the send timer covers it.
    if (this.inner && this.inner.acknowledged === 0) {
      if (packet.op === "OACK" || (packet.op === "ACK" && packet.block === 0)) return [];
    }
    return super.receive(packet);
  }
}
