/**
 * The HTTP face's own HTTP/1.1 server: connections accepted by
 * `net/server.ts` (so `--max-conns`, the limit per client address, `--idle`
 * and the per-connection log lines are those of every sockit server), each
 * request head read within its deadline and parsed by the sans-I/O
 * `http_request.ts`, handed to a handler as a `Request`, and the `Response`
 * written back. `Deno.serve` cannot do this: it offers no bound on how long a
 * request head may take, no connection limit and no view of the client
 * before the request, so a client sending a byte at a time held a
 * connection for ever, and thousands of them were all held.
 *
 * Keep-alive and pipelining (one request at a time) for HTTP/1.1; HTTP/1.0
 * and `Connection: close` end after one response. Request bodies are framed
 * by Content-Length or chunked and stream to the handler (`Expect:
 * 100-continue` answered when the handler reads); a body the handler leaves
 * unread ends the connection after the response. Response bodies with a
 * Content-Length stream; others are buffered to learn their length.
 *
 * Requires `--allow-net=HOST`.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import type { BoundListener } from "../net/endpoint.ts";
import type { AccessGate } from "../net/access_gate.ts";
import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_PER_ADDRESS,
  isDisconnect,
  RequestTimer,
  serveConnections,
  type ServerStats,
  type Session,
} from "../net/server.ts";
import { DEFAULT_MAX_CONNS } from "../command/options.ts";
import { escapeText } from "../text/escape.ts";
import {
  type BodyFraming,
  bodyFraming,
  checkIncompleteHead,
  ChunkedDecoder,
  emptyLinesLength,
  expectsContinue,
  formatResponseHead,
  headLength,
  HttpRequestError,
  keepsAlive,
  parseRequestHead,
  plainResponse,
  type RequestHead,
  targetPath,
} from "./http_request.ts";

/** Answers one request; `peer` is the client's `HOST:PORT`. */
export type HttpHandler = (request: Request, peer: string) => Promise<Response>;

/** Options for {@linkcode serveHttpConnections}. */
export interface ServeHttpConnectionsOptions {
  /** Connections at once; more are answered 503 and closed. @default {1000} */
  maxConns?: number;
  /** Connections from one address at once; more are answered 503. @default {64} */
  maxPerAddress?: number;
  /** Close a connection silent this long (between requests, or stalled in a body). @default {60000} */
  idleMs?: number;
  /** How long a request head may take once begun. @default {10000} */
  headerMs?: number;
  /** Names the service in the log lines. */
  label?: string | undefined;
  /** Stops the server. */
  signal?: AbortSignal | undefined;
  /** The `--allow`/`--deny` gate. */
  access?: AccessGate | undefined;
}

const encoder = new TextEncoder();
const BUSY = encoder.encode(
  formatResponseHead(503, [
    ["content-type", "text/plain; charset=utf-8"],
    ["content-length", "9"],
    ["retry-after", "1"],
    ["connection", "close"],
  ]) + "503 busy\n",
);
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
/** Fields the server sets itself, whatever a handler's Response says. */
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "date"];
const CRLF = new Uint8Array([13, 10]);

/**
 * A handler marks a body of unknown length that must stream (not be
 * gathered to learn its length) with `Transfer-Encoding: chunked`.
 */
function isStreamed(response: Response): boolean {
  return response.headers.get("transfer-encoding") === "chunked";
}

/**
 * Serves HTTP/1.1 on a bound listener until `signal` aborts.
 *
 * @returns totals, for a summary line
 */
export function serveHttpConnections(
  bound: BoundListener,
  out: Output,
  handler: HttpHandler,
  options: ServeHttpConnectionsOptions = {},
): Promise<ServerStats> {
  const {
    maxConns = DEFAULT_MAX_CONNS,
    maxPerAddress = DEFAULT_MAX_PER_ADDRESS,
    idleMs = 60_000,
    headerMs = DEFAULT_HEADER_TIMEOUT_MS,
    label,
    signal,
    access,
  } = options;
  const tag = label ? ` (${label})` : "";
  return serveConnections(bound, out, {
    keepOpen: true,
    maxConns,
    maxPerAddress,
    busy: BUSY,
    idleMs,
    label,
    signal,
    access,
    handle: (session) =>
      new HttpConnection(session, handler, {
        idleMs,
        headerMs,
        warn: (text) => out.warn(text + tag),
      })
        .serve(),
  });
}

/** Buffered bytes from a session. */
class Input {
  readonly #session: Session;
  readonly #onBytes: () => void;
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  constructor(session: Session, onBytes: () => void) {
    this.#session = session;
    this.#onBytes = onBytes;
  }

  /** The bytes received and not taken yet. */
  get view(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** Reads more; false at end of stream. */
  async fill(): Promise<boolean> {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      const bigger = new Uint8Array(this.#buffer.length * 2);
      bigger.set(this.#buffer);
      this.#buffer = bigger;
    }
    const n = await this.#session.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    this.#onBytes();
    return true;
  }

  /** Drops `n` bytes. */
  skip(n: number): void {
    this.#start += n;
  }

  /** Takes `n` bytes (a copy). */
  take(n: number): Uint8Array {
    const bytes = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }
}

/** A request body on its way in: a stream for the handler, and whether it was read to its end. */
interface Body {
  stream: ReadableStream<Uint8Array> | null;
  done: () => boolean;
}

interface ConnectionOptions {
  idleMs: number;
  headerMs: number;
  warn: (text: string) => void;
}

/** One client connection: requests one after another. */
class HttpConnection {
  readonly #session: Session;
  readonly #handler: HttpHandler;
  readonly #options: ConnectionOptions;
  readonly #input: Input;
  #timer: RequestTimer | undefined;

  constructor(session: Session, handler: HttpHandler, options: ConnectionOptions) {
    this.#session = session;
    this.#handler = handler;
    this.#options = options;
    this.#input = new Input(session, () => this.#timer?.begin());
  }

  async serve(): Promise<void> {
    for (;;) {
      let head: RequestHead | null;
      try {
        head = await this.#readHead();
      } catch (err) {
        if (!(err instanceof HttpRequestError)) throw err;
        await this.#refuse(err);
        return;
      }
      if (head === null) return; // the client closed between requests
      const keepGoing = await this.#exchange(head);
      if (!keepGoing) return;
    }
  }

  /** The next request head, within its deadline; null at a clean end of stream. */
  async #readHead(): Promise<RequestHead | null> {
    const { idleMs, headerMs } = this.#options;
    this.#timer = new RequestTimer(this.#session, {
      idleMs,
      headerMs,
      begun: this.#input.view.length > 0,
    });
    try {
      let scanned = 0;
      for (;;) {
        const empty = emptyLinesLength(this.#input.view);
        if (empty > 0) {
          this.#input.skip(empty);
          scanned = 0;
        }
        const view = this.#input.view;
        const length = empty < 0 ? -1 : headLength(view, scanned);
        if (length >= 0) return parseRequestHead(this.#input.take(length));
        checkIncompleteHead(view);
        scanned = view.length;
        if (!(await this.#input.fill())) {
          if (this.#input.view.length === 0) return null;
          throw new HttpRequestError(400, "the request ended within its head");
        }
      }
    } finally {
      this.#timer[Symbol.dispose]();
      this.#timer = undefined;
    }
  }

  /** Answers a request the server cannot read, and ends the connection. */
  async #refuse(err: HttpRequestError): Promise<void> {
    await this.#session.send(encoder.encode(plainResponse(err.status, err.message)));
    await this.#linger();
  }

  /** One request and its response; false when the connection ends. */
  async #exchange(head: RequestHead): Promise<boolean> {
    let framing: BodyFraming;
    let path: string;
    try {
      framing = bodyFraming(head);
      path = targetPath(head.target);
    } catch (err) {
      if (!(err instanceof HttpRequestError)) throw err;
      await this.#refuse(err);
      return false;
    }
    let url: URL;
    try {
      // The host is fixed: only the path and query come from the client.
      url = new URL(`http://localhost${path}`);
    } catch {
      await this.#refuse(new HttpRequestError(400, "malformed request target"));
      return false;
    }
    const body = this.#body(framing, expectsContinue(head));
    let request: Request;
    try {
      request = new Request(url, {
        method: head.method,
        headers: head.fields,
        ...(body.stream && head.method !== "GET" && head.method !== "HEAD"
          ? { body: body.stream, duplex: "half" }
          : {}),
      });
    } catch (err) {
      // A method fetch cannot carry (CONNECT, TRACE, TRACK).
      if (!(err instanceof TypeError)) throw err;
      await this.#refuse(new HttpRequestError(501, "method not implemented"));
      return false;
    }
    let response: Response;
    try {
      response = await this.#handler(request, this.#session.peer);
    } catch (err) {
      if (isDisconnect(err) || this.#session.closed) throw err;
      this.#warn(err);
      response = new Response("500 the server failed to read or write\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    // A body left unread cannot be skipped safely in general: the connection ends.
    // A body of unknown length goes to an HTTP/1.0 client unframed: the close ends it.
    const unframed = isStreamed(response) && head.minor === 0;
    const close = !keepsAlive(head) || !body.done() || unframed;
    const completed = await this.#respond(head, response, close);
    if (close || !completed) {
      if (completed) await this.#linger();
      return false;
    }
    return true;
  }

  /** The request body as a stream the handler may read, or none. */
  #body(framing: BodyFraming, expects: boolean): Body {
    if (framing.kind === "none") return { stream: null, done: () => true };
    const input = this.#input;
    const session = this.#session;
    let continued = !expects;
    let left = framing.kind === "length" ? framing.length : 0;
    const decoder = framing.kind === "chunked" ? new ChunkedDecoder() : undefined;
    let finished = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!continued) {
          continued = true;
          await session.send(CONTINUE);
        }
        for (;;) {
          if (input.view.length > 0) {
            if (decoder) {
              const { data, used, done } = decoder.decode(input.view);
              for (const chunk of data) controller.enqueue(chunk.slice());
              input.skip(used);
              if (done) {
                finished = true;
                controller.close();
                return;
              }
              if (data.length > 0) return;
            } else {
              const take = Math.min(left, input.view.length);
              controller.enqueue(input.take(take));
              left -= take;
              if (left === 0) {
                finished = true;
                controller.close();
              }
              return;
            }
          }
          if (!(await input.fill())) {
            controller.error(new HttpRequestError(400, "the request body was cut short"));
            return;
          }
        }
      },
    });
    return { stream, done: () => finished };
  }

  /**
   * Writes the response; false when it could not be completed (its body
   * failed: a file that changed while being sent), the connection then closed.
   */
  async #respond(head: RequestHead, response: Response, close: boolean): Promise<boolean> {
    const status = response.status;
    const headless = head.method === "HEAD" || status === 204 || status === 304 || status < 200;
    const fields = new Headers(response.headers);
    for (const name of HOP_BY_HOP) fields.delete(name);
    const streamed = isStreamed(response) && response.body !== null;
    if (streamed && !headless && head.minor === 1) fields.set("transfer-encoding", "chunked");
    let buffered: Uint8Array | undefined;
    if (streamed) {
      // Its length is not known: sent as it comes (chunked, or to the close for HTTP/1.0).
    } else if (!fields.has("content-length") && response.body) {
      buffered = new Uint8Array(await response.arrayBuffer());
      if (head.method === "HEAD" || !headless) {
        fields.set("content-length", String(buffered.length));
      }
    } else if (!fields.has("content-length") && !headless) {
      fields.set("content-length", "0");
    }
    fields.set("date", new Date().toUTCString());
    if (close) fields.set("connection", "close");
    const top = encoder.encode(formatResponseHead(status, fields));
    if (headless || !response.body) {
      if (!buffered) await response.body?.cancel();
      await this.#session.send(top);
      return true;
    }
    if (buffered) {
      const all = new Uint8Array(top.length + buffered.length);
      all.set(top);
      all.set(buffered, top.length);
      await this.#session.send(all);
      return true;
    }
    await this.#session.send(top);
    if (streamed) return await this.#stream(response.body, Infinity, head.minor === 1);
    return await this.#stream(response.body, Number(fields.get("content-length")));
  }

  /**
   * Streams a body of `length` bytes (Infinity: unknown, then `chunked`
   * frames it); false (and the connection cut) when it fails or differs.
   */
  async #stream(
    body: ReadableStream<Uint8Array>,
    length: number,
    chunked = false,
  ): Promise<boolean> {
    const reader = body.getReader();
    let sent = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sent += value.length;
        if (sent > length) throw new Error("the response body is longer than its Content-Length");
        if (value.length === 0) continue;
        if (chunked) await this.#session.send(encoder.encode(`${value.length.toString(16)}\r\n`));
        await this.#session.send(value);
        if (chunked) await this.#session.send(CRLF);
      }
      if (chunked) await this.#session.send(encoder.encode("0\r\n\r\n"));
      else if (sent < length) {
        throw new Error("the response body is shorter than its Content-Length");
      }
      return true;
    } catch (err) {
      if (isDisconnect(err) || this.#session.closed) throw err;
      reader.cancel().catch(() => {});
      // Never complete or pad a body: cut the connection, so the client sees it short.
      this.#warn(err);
      this.#session.close(err instanceof Error ? err.message : String(err));
      return false;
    }
  }

  /**
   * Ends the connection gently: no more sending, then what the client still
   * sends is read and dropped for a moment, so that closing with unread
   * bytes does not reset the connection before the client has the response.
   */
  async #linger(): Promise<void> {
    const session = this.#session;
    try {
      await session.conn.closeWrite();
    } catch (err) {
      if (isDisconnect(err)) return;
      throw err;
    }
    const timer = setTimeout(() => session.close(), 2000);
    try {
      const scratch = new Uint8Array(64 * 1024);
      let dropped = 0;
      while (dropped < 1024 * 1024) {
        const n = await session.read(scratch);
        if (n === null) break;
        dropped += n;
      }
    } catch (err) {
      if (!isDisconnect(err)) throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #warn(err: unknown): void {
    const message = escapeText(err instanceof Error ? err.message : String(err));
    this.#options.warn(`${this.#session.peer}: ${message}`);
  }
}
