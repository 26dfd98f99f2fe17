/**
 * A sans-I/O HTTP/1.1 response parser: fed bytes, it returns events
 * (status, headers, body chunks, trailers, end) and throws
 * {@linkcode HttpParseError} on anything malformed. It handles
 * Content-Length, chunked transfer coding (extensions, trailers),
 * close-delimited bodies, responses without a body (HEAD, 1xx, 204, 304),
 * interim 1xx responses, obsolete header folding and duplicate headers, and
 * bounds the header size. No sockets; tested byte by byte.
 *
 * @module
 */

/** A malformed or truncated response. */
export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HttpParseError";
  }
}

/** A header field as received (name in its original case). */
export type HeaderField = [name: string, value: string];

/** What the parser saw. */
export type ResponseEvent =
  | { type: "head"; version: string; status: number; reason: string; headers: HeaderField[] }
  /** A view, valid until the next `push`. */
  | { type: "body"; data: Uint8Array }
  | { type: "trailers"; headers: HeaderField[] }
  | { type: "end" };

/** Options for {@linkcode ResponseParser}. */
export interface ResponseParserOptions {
  /** The request method: a HEAD response has no body. @default {"GET"} */
  method?: string;
  /** Most bytes in a status line plus headers (and in trailers). @default {65536} */
  maxHeaderBytes?: number;
  /** Most header fields. @default {200} */
  maxHeaders?: number;
}

type State =
  | { kind: "head" }
  | { kind: "length"; left: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; left: number }
  | { kind: "chunk-end" }
  | { kind: "trailers" }
  | { kind: "close" }
  | { kind: "done" };

const CRLF_CRLF = [0x0d, 0x0a, 0x0d, 0x0a];
const latin1 = new TextDecoder("latin1");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses one HTTP/1.x response.
 *
 * @example Parsing
 * ```ts
 * import { ResponseParser } from "./response_parser.ts";
 * const parser = new ResponseParser();
 * parser.push(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
 * // [{ type: "head", status: 200, … }, { type: "body", data: "hi" }, { type: "end" }]
 * ```
 */
export class ResponseParser {
  #method: string;
  #maxHeaderBytes: number;
  #maxHeaders: number;
  #state: State = { kind: "head" };
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(options: ResponseParserOptions = {}) {
    const { method = "GET", maxHeaderBytes = 65536, maxHeaders = 200 } = options;
    this.#method = method.toUpperCase();
    this.#maxHeaderBytes = maxHeaderBytes;
    this.#maxHeaders = maxHeaders;
  }

  /** True once the response is complete. */
  get done(): boolean {
    return this.#state.kind === "done";
  }

  /**
   * Feeds bytes; returns the events they complete. Body events are views
   * into `chunk` (no copy): use or copy them before the next `push`.
   */
  push(chunk: Uint8Array): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (this.#state.kind === "done") return events;
    let data = chunk;
    if (this.#buffer.length > 0) {
      data = new Uint8Array(this.#buffer.length + chunk.length);
      data.set(this.#buffer);
      data.set(chunk, this.#buffer.length);
      this.#buffer = new Uint8Array(0);
    }
    let offset = 0;
    while (offset < data.length && !this.done) {
      const used = this.#step(data.subarray(offset), events);
      if (used === 0) break; // need more bytes
      offset += used;
    }
    if (offset < data.length && !this.done) this.#buffer = data.slice(offset);
    return events;
  }

  /** The connection closed: completes a close-delimited body, or throws if truncated. */
  end(): ResponseEvent[] {
    switch (this.#state.kind) {
      case "done":
        return [];
      case "close":
        this.#state = { kind: "done" };
        return [{ type: "end" }];
      case "head":
        throw new HttpParseError(
          this.#buffer.length === 0
            ? "the server closed without a response"
            : "the server closed before the header ended",
        );
      case "length":
        throw new HttpParseError(`the body was cut short: ${this.#state.left} bytes missing`);
      default:
        throw new HttpParseError("the chunked body was cut short");
    }
  }

  /** Consumes a prefix of `data`; returns its length (0: more bytes needed). */
  #step(data: Uint8Array, events: ResponseEvent[]): number {
    const state = this.#state;
    switch (state.kind) {
      case "head":
        return this.#head(data, events);
      case "length": {
        const take = Math.min(state.left, data.length);
        events.push({ type: "body", data: data.subarray(0, take) });
        state.left -= take;
        if (state.left === 0) this.#finish(events);
        return take;
      }
      case "close":
        events.push({ type: "body", data });
        return data.length;
      case "chunk-size": {
        const line = this.#line(data, 4096, "chunk size line");
        if (!line) return 0;
        const size = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(line.text);
        if (!size) throw new HttpParseError(`malformed chunk size "${line.text.slice(0, 40)}"`);
        const n = Number.parseInt(size[1]!, 16);
        this.#state = n === 0 ? { kind: "trailers" } : { kind: "chunk-data", left: n };
        return line.used;
      }
      case "chunk-data": {
        const take = Math.min(state.left, data.length);
        events.push({ type: "body", data: data.subarray(0, take) });
        state.left -= take;
        if (state.left === 0) this.#state = { kind: "chunk-end" };
        return take;
      }
      case "chunk-end": {
        if (data.length < 2) return 0;
        if (data[0] !== 0x0d || data[1] !== 0x0a) {
          throw new HttpParseError("a chunk is not followed by CRLF");
        }
        this.#state = { kind: "chunk-size" };
        return 2;
      }
      case "trailers": {
        const end = findHeaderEnd(data, this.#maxHeaderBytes, "trailers");
        if (end < 0) return 0;
        const text = latin1.decode(data.subarray(0, end));
        const headers = text === "" ? [] : this.#fields(text.split("\r\n"));
        if (headers.length > 0) events.push({ type: "trailers", headers });
        this.#finish(events);
        return text === "" ? 2 : end + 4;
      }
      case "done":
        return data.length;
    }
  }

  #line(data: Uint8Array, max: number, what: string): { text: string; used: number } | undefined {
    const lf = data.indexOf(0x0a);
    if (lf < 0) {
      if (data.length > max) throw new HttpParseError(`${what} over ${max} bytes`);
      return undefined;
    }
    const end = lf > 0 && data[lf - 1] === 0x0d ? lf - 1 : lf;
    return { text: latin1.decode(data.subarray(0, end)), used: lf + 1 };
  }

  #head(data: Uint8Array, events: ResponseEvent[]): number {
    const end = findHeaderEnd(data, this.#maxHeaderBytes, "response header");
    if (end < 0) return 0;
    const lines = latin1.decode(data.subarray(0, end)).split("\r\n");
    const statusLine = lines.shift() ?? "";
    const match = /^HTTP\/(1\.[01]) ([1-9]\d\d)(?: (.*))?$/.exec(statusLine);
    if (!match) throw new HttpParseError(`invalid status line "${statusLine.slice(0, 60)}"`);
    const [, version = "", code = "", reason = ""] = match;
    const status = Number(code);
    const headers = this.#fields(lines);
    if (status < 200) return end + 4; // interim response (100 Continue…): the real one follows
    events.push({ type: "head", version, status, reason, headers });
    this.#state = this.#bodyMode(status, headers);
    if (this.#state.kind === "done") events.push({ type: "end" });
    return end + 4;
  }

  /** Parses header lines, joining obsolete folded continuations. */
  #fields(lines: string[]): HeaderField[] {
    const fields: HeaderField[] = [];
    for (const line of lines) {
      if (/^[ \t]/.test(line)) {
        const last = fields.at(-1);
        if (!last) throw new HttpParseError("a folded header line with no header before it");
        last[1] = `${last[1]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(":");
      const name = colon < 0 ? "" : line.slice(0, colon);
      if (!TOKEN.test(name)) {
        throw new HttpParseError(`malformed header line "${line.slice(0, 60)}"`);
      }
      fields.push([name, line.slice(colon + 1).trim()]);
      if (fields.length > this.#maxHeaders) {
        throw new HttpParseError(`more than ${this.#maxHeaders} header fields`);
      }
    }
    return fields;
  }

  #bodyMode(status: number, headers: HeaderField[]): State {
    if (this.#method === "HEAD" || status === 204 || status === 304) return { kind: "done" };
    const get = (name: string) =>
      headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    const encodings = get("transfer-encoding").join(",").split(",").map((s) =>
      s.trim().toLowerCase()
    )
      .filter((s) => s !== "");
    if (encodings.length > 0) {
      // Chunked must be the last coding; otherwise the body runs to the close (RFC 9112 §6.3).
      return encodings.at(-1) === "chunked" ? { kind: "chunk-size" } : { kind: "close" };
    }
    const lengths = [
      ...new Set(get("content-length").flatMap((v) => v.split(",").map((s) => s.trim()))),
    ];
    if (lengths.length > 1) {
      throw new HttpParseError(`conflicting Content-Length values ${lengths.join(", ")}`);
    }
    if (lengths.length === 1) {
      if (!/^\d{1,15}$/.test(lengths[0]!)) {
        throw new HttpParseError(`invalid Content-Length "${lengths[0]!.slice(0, 20)}"`);
      }
      const left = Number(lengths[0]);
      return left === 0 ? { kind: "done" } : { kind: "length", left };
    }
    return { kind: "close" };
  }

  #finish(events: ResponseEvent[]): void {
    this.#state = { kind: "done" };
    events.push({ type: "end" });
  }
}

/** Index of the CRLFCRLF that ends a header block (or -1), bounded by `max`. */
function findHeaderEnd(data: Uint8Array, max: number, what: string): number {
  // Trailers may be empty: a lone CRLF ends them.
  if (what === "trailers" && data[0] === 0x0d && data[1] === 0x0a) return 0;
  let from = 0;
  for (;;) {
    const at = data.indexOf(0x0d, from);
    if (at < 0 || at + 3 >= data.length) break;
    if (CRLF_CRLF.every((b, i) => data[at + i] === b)) {
      if (at > max) throw new HttpParseError(`${what} over ${max} bytes`);
      return at;
    }
    from = at + 1;
  }
  if (data.length > max) throw new HttpParseError(`${what} over ${max} bytes`);
  return -1;
}
