/**
 * The two ends of iperf3's control connection as sans-I/O state machines:
 * fed the bytes that arrive, they return what to send and what the endpoint
 * should do next (open streams, start, stop, exchange results). Neither
 * reads a socket or a clock.
 *
 * @module
 */

import {
  BenchProtocolError,
  COOKIE_LENGTH,
  cookieText,
  encodeJsonFrame,
  IperfError,
  MAX_JSON_FRAME,
  parseJsonObject,
  parseParams,
  parseResults,
  type Results,
  signedState,
  State,
  stateByte,
  stateName,
  type TestParams,
} from "./protocol.ts";

/** Bytes that arrived and are not consumed yet. */
class ByteQueue {
  #bytes = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const next = new Uint8Array(this.#bytes.length + chunk.length);
    next.set(this.#bytes);
    next.set(chunk, this.#bytes.length);
    this.#bytes = next;
  }

  get length(): number {
    return this.#bytes.length;
  }

  peekUint32(): number {
    return new DataView(this.#bytes.buffer, this.#bytes.byteOffset).getUint32(0);
  }

  take(n: number): Uint8Array {
    const out = this.#bytes.slice(0, n);
    this.#bytes = this.#bytes.subarray(n);
    return out;
  }
}

/** What the server's control machine asks of its endpoint. */
export type ServerEffect =
  | { type: "send"; bytes: Uint8Array }
  /** The client's cookie: call {@linkcode ServerControl.accept} or {@linkcode ServerControl.deny}. */
  | { type: "cookie"; cookie: string }
  /** Checked parameters: get ready for the streams, then call `createStreams()`. */
  | { type: "params"; params: TestParams }
  /** TEST_END: stop the streams, then wait for the client's results. */
  | { type: "stop" }
  /** The client's results arrived: reply with `sendResults()`. */
  | { type: "peer-results"; results: Results }
  /** IPERF_DONE: the test is over; close. */
  | { type: "done" }
  /** The test failed; whatever the peer should hear has been sent; close. */
  | { type: "fail"; reason: string };

type ServerPhase =
  | "cookie"
  | "decide"
  | "params"
  | "streams"
  | "running"
  | "results"
  | "reply"
  | "done-wait"
  | "closed";

/**
 * The server's side of one test's control connection.
 *
 * @example A client that sends garbage instead of parameters
 * ```ts
 * import { ServerControl } from "./control.ts";
 * const control = new ServerControl();
 * const cookie = new TextEncoder().encode("a".repeat(36) + "\0");
 * control.feed(cookie); // [{ type: "cookie", cookie: "aaa…" }]
 * control.accept(); // [{ type: "send", bytes: [9] }]
 * control.feed(new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b])).at(-1)?.type; // "fail"
 * ```
 */
export class ServerControl {
  #queue = new ByteQueue();
  #phase: ServerPhase = "cookie";

  /** Where the conversation stands (for logs and tests). */
  get phase(): ServerPhase {
    return this.#phase;
  }

  /** Feeds bytes from the control connection. */
  feed(chunk: Uint8Array): ServerEffect[] {
    this.#queue.push(chunk);
    const effects: ServerEffect[] = [];
    try {
      while (this.#step(effects));
    } catch (err) {
      if (!(err instanceof BenchProtocolError)) throw err;
      effects.push(...this.fail(err.message, err.code));
    }
    return effects;
  }

  /** The cookie was fine and there is room: ask for the parameters. */
  accept(): ServerEffect[] {
    if (this.#phase !== "decide") return [];
    this.#phase = "params";
    return [
      { type: "send", bytes: stateByte(State.PARAM_EXCHANGE) },
      ...this.feed(new Uint8Array()),
    ];
  }

  /** No room for this test: iperf3's ACCESS_DENIED, after which the client says "busy". */
  deny(): ServerEffect[] {
    this.#phase = "closed";
    return [
      { type: "send", bytes: stateByte(State.ACCESS_DENIED) },
      { type: "fail", reason: "busy" },
    ];
  }

  /** Ready for the data streams: tell the client to open them. */
  createStreams(): ServerEffect[] {
    if (this.#phase !== "streams") return [];
    return [{ type: "send", bytes: stateByte(State.CREATE_STREAMS) }];
  }

  /** Every stream is connected: the test starts. */
  streamsReady(): ServerEffect[] {
    if (this.#phase !== "streams") return [];
    this.#phase = "running";
    const bytes = Uint8Array.of(State.TEST_START, State.TEST_RUNNING);
    return [{ type: "send", bytes }, ...this.feed(new Uint8Array())];
  }

  /** The server's results for the client, after `peer-results`. */
  sendResults(results: Results): ServerEffect[] {
    if (this.#phase !== "reply") return [];
    this.#phase = "done-wait";
    const frame = encodeJsonFrame(results);
    const bytes = new Uint8Array(frame.length + 1);
    bytes.set(frame);
    bytes[frame.length] = State.DISPLAY_RESULTS;
    return [{ type: "send", bytes }, ...this.feed(new Uint8Array())];
  }

  /**
   * The client closed the control connection (or went quiet for good): the
   * test is done when the results were already exchanged, else it failed.
   */
  peerClosed(reason: string): ServerEffect[] {
    if (this.#phase === "done-wait") {
      this.#phase = "closed";
      return [{ type: "done" }];
    }
    return this.fail(reason, 0);
  }

  /**
   * Ends the test with an error: after the cookie, SERVER_ERROR and iperf3's
   * error number (the stock client prints its text for it); before, nothing.
   */
  fail(reason: string, code: number = IperfError.RECV_MESSAGE): ServerEffect[] {
    if (this.#phase === "closed") return [];
    const answer = this.#phase !== "cookie";
    this.#phase = "closed";
    const effects: ServerEffect[] = [];
    if (answer) {
      const bytes = new Uint8Array(9);
      bytes[0] = stateByte(State.SERVER_ERROR)[0]!;
      new DataView(bytes.buffer).setInt32(1, code);
      effects.push({ type: "send", bytes });
    }
    effects.push({ type: "fail", reason });
    return effects;
  }

  #step(effects: ServerEffect[]): boolean {
    const queue = this.#queue;
    switch (this.#phase) {
      case "cookie": {
        if (queue.length < COOKIE_LENGTH) return false;
        const cookie = cookieText(queue.take(COOKIE_LENGTH));
        if (cookie === undefined) {
          this.#phase = "closed";
          effects.push({ type: "fail", reason: "not an iperf3 client (bad cookie)" });
          return false;
        }
        this.#phase = "decide";
        effects.push({ type: "cookie", cookie });
        return false;
      }
      case "params":
      case "results": {
        const json = this.#frame(this.#phase === "params" ? "parameters" : "results");
        if (json === undefined) return false;
        if (this.#phase === "params") {
          const params = parseParams(json);
          this.#phase = "streams";
          effects.push({ type: "params", params });
        } else {
          this.#phase = "reply";
          effects.push({ type: "peer-results", results: parseResults(json) });
        }
        return true;
      }
      case "streams":
      case "running":
      case "done-wait": {
        if (queue.length < 1) return false;
        const state = signedState(queue.take(1)[0]!);
        if (state === State.CLIENT_TERMINATE) {
          this.#phase = "closed";
          effects.push({ type: "fail", reason: "client terminated the test" });
          return false;
        }
        if (this.#phase === "running" && state === State.TEST_END) {
          this.#phase = "results";
          effects.push({ type: "stop" });
          effects.push({ type: "send", bytes: stateByte(State.EXCHANGE_RESULTS) });
          return true;
        }
        if (this.#phase === "done-wait" && state === State.IPERF_DONE) {
          this.#phase = "closed";
          effects.push({ type: "done" });
          return false;
        }
        throw new BenchProtocolError(
          `unexpected ${stateName(state)} from the client`,
          IperfError.MESSAGE,
        );
      }
      default:
        return false;
    }
  }

  #frame(what: string): Record<string, unknown> | undefined {
    const queue = this.#queue;
    if (queue.length < 4) return undefined;
    const length = queue.peekUint32();
    if (length === 0 || length > MAX_JSON_FRAME) {
      throw new BenchProtocolError(
        `Cannot read ${what}: length ${length} out of range`,
        IperfError.RECV_PARAMS,
      );
    }
    if (queue.length < 4 + length) return undefined;
    queue.take(4);
    return parseJsonObject(queue.take(length), what);
  }
}

/** What the client's control machine asks of its endpoint. */
export type ClientEffect =
  | { type: "send"; bytes: Uint8Array }
  /** CREATE_STREAMS: open the data streams. */
  | { type: "create-streams" }
  /** TEST_RUNNING: start sending/receiving. */
  | { type: "running" }
  /** EXCHANGE_RESULTS: stop and reply with `sendResults()`. */
  | { type: "exchange" }
  /** The server's results. */
  | { type: "peer-results"; results: Results }
  /** DISPLAY_RESULTS answered with IPERF_DONE: the test is over. */
  | { type: "done" }
  /** The server refused or ended the test; `busy` for ACCESS_DENIED. */
  | { type: "fail"; reason: string; busy?: boolean };

type ClientPhase = "state" | "results" | "server-error" | "closed";

/** iperf3's words for the error numbers a server sends most often. */
const SERVER_ERRORS: Record<number, string> = {
  [IperfError.DURATION]: "test duration too long",
  [IperfError.NUM_STREAMS]: "number of parallel streams too large",
  [IperfError.BLOCK_SIZE]: "block size too large",
  [IperfError.UDP_BLOCK_SIZE]: "block size invalid",
  [IperfError.REVERSE_BIDIR]: "cannot be both reverse and bidirectional",
  [IperfError.RECV_PARAMS]: "unable to receive parameters from client",
  [IperfError.MESSAGE]: "received an unknown control message",
  [IperfError.RECV_MESSAGE]: "unable to receive control message",
  [IperfError.STREAM_CONNECT]: "unable to accept stream connection",
};

/**
 * The client's side of the control connection.
 *
 * @example The server is busy
 * ```ts
 * import { ClientControl } from "./control.ts";
 * const control = new ClientControl({ params: {}, cookie: new Uint8Array(37) });
 * control.feed(Uint8Array.of(0xff)); // [{ type: "fail", reason: "the server is busy…", busy: true }]
 * ```
 */
export class ClientControl {
  #queue = new ByteQueue();
  #phase: ClientPhase = "state";
  #params: Record<string, unknown>;
  #cookie: Uint8Array;

  constructor(options: { params: Record<string, unknown>; cookie: Uint8Array }) {
    this.#params = options.params;
    this.#cookie = options.cookie;
  }

  /** The first bytes on a new control connection: the cookie. */
  open(): ClientEffect[] {
    return [{ type: "send", bytes: this.#cookie }];
  }

  /** The test is over on this side (time or bytes reached): TEST_END. */
  end(): ClientEffect[] {
    if (this.#phase === "closed") return [];
    return [{ type: "send", bytes: stateByte(State.TEST_END) }];
  }

  /** Interrupted: CLIENT_TERMINATE, so the server ends the test at once. */
  terminate(): ClientEffect[] {
    if (this.#phase === "closed") return [];
    this.#phase = "closed";
    return [{ type: "send", bytes: stateByte(State.CLIENT_TERMINATE) }];
  }

  /** This side's results, after `exchange`. */
  sendResults(results: Results): ClientEffect[] {
    if (this.#phase !== "state") return [];
    this.#phase = "results";
    return [{ type: "send", bytes: encodeJsonFrame(results) }, ...this.feed(new Uint8Array())];
  }

  /** Feeds bytes from the control connection. */
  feed(chunk: Uint8Array): ClientEffect[] {
    this.#queue.push(chunk);
    const effects: ClientEffect[] = [];
    try {
      while (this.#step(effects));
    } catch (err) {
      if (!(err instanceof BenchProtocolError)) throw err;
      this.#phase = "closed";
      effects.push({ type: "fail", reason: err.message });
    }
    return effects;
  }

  #awaitingResults = false;

  #step(effects: ClientEffect[]): boolean {
    const queue = this.#queue;
    switch (this.#phase) {
      case "state":
        return this.#state(effects);
      case "server-error": {
        if (queue.length < 8) return false;
        const view = new DataView(queue.take(8).buffer);
        const code = view.getInt32(0);
        this.#phase = "closed";
        const text = SERVER_ERRORS[code] ?? `error ${code}`;
        effects.push({ type: "fail", reason: `server error: ${text}` });
        return false;
      }
      case "results": {
        if (queue.length < 4) return false;
        const length = queue.peekUint32();
        if (length === 0 || length > MAX_JSON_FRAME) {
          throw new BenchProtocolError(`Cannot read results: length ${length} out of range`);
        }
        if (queue.length < 4 + length) return false;
        queue.take(4);
        const results = parseResults(parseJsonObject(queue.take(length), "results"));
        this.#phase = "state";
        this.#awaitingResults = false;
        effects.push({ type: "peer-results", results });
        return true;
      }
      default:
        return false;
    }
  }

  #state(effects: ClientEffect[]): boolean {
    const queue = this.#queue;
    if (this.#awaitingResults || queue.length < 1) return false;
    const state = signedState(queue.take(1)[0]!);
    switch (state) {
      case State.PARAM_EXCHANGE:
        effects.push({ type: "send", bytes: encodeJsonFrame(this.#params) });
        return true;
      case State.CREATE_STREAMS:
        effects.push({ type: "create-streams" });
        return true;
      case State.TEST_START:
      case State.IPERF_START:
        return true;
      case State.TEST_RUNNING:
        effects.push({ type: "running" });
        return true;
      case State.EXCHANGE_RESULTS:
        this.#awaitingResults = true;
        effects.push({ type: "exchange" });
        return false;
      case State.DISPLAY_RESULTS:
        this.#phase = "closed";
        effects.push({ type: "send", bytes: stateByte(State.IPERF_DONE) });
        effects.push({ type: "done" });
        return false;
      case State.ACCESS_DENIED:
        this.#phase = "closed";
        effects.push({
          type: "fail",
          reason: "the server is busy running a test; try again later",
          busy: true,
        });
        return false;
      case State.SERVER_ERROR:
        this.#phase = "server-error";
        return true;
      case State.SERVER_TERMINATE:
        this.#phase = "closed";
        effects.push({ type: "fail", reason: "the server has terminated" });
        return false;
      default:
        throw new BenchProtocolError(`unexpected ${stateName(state)} from the server`);
    }
  }
}
