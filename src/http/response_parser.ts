/**
 * A sans-I/O HTTP/1.1 response parser: fed bytes, it returns events
 * (status, headers, body chunks, trailers, end) and throws
 * {@linkcode HttpParseError} on anything malformed. It handles
 * Content-Length, chunked transfer coding (extensions, trailers),
 * close-delimited bodies, responses without a body (HEAD, 1xx, 204, 304),
 * interim 1xx responses (a bounded number), obsolete header folding and
 * duplicate headers, and bounds the header size. Lines end in CRLF or a
 * bare LF, empty lines before a status line are skipped, and a bare CR is
 * refused (RFC 9112 §2.2). No sockets; tested byte by byte.
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
  /** An interim (1xx) response; the final one follows. */
  | { type: "interim"; version: string; status: number; reason: string; headers: HeaderField[] }
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
  /**
   * Most interim (1xx) responses before the final one. A server sends one
   * or two (100 Continue, 103 Early Hints); a hundred is far beyond that
   * and still bounds what an endless stream of them costs.
   *
   * @default {100}
   */
  maxInterim?: number;
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

const LF = 0x0a;
const CR = 0x0d;
const latin1 = new TextDecoder("latin1");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// chunk = chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
// (RFC 9112 §7.1.1): no whitespace after the size unless an extension follows, no empty names.
const EXT_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const EXT_QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
const CHUNK_LINE = new RegExp(
  `^([0-9a-fA-F]{1,15})(?:[ \\t]*;[ \\t]*${EXT_TOKEN}(?:[ \\t]*=[ \\t]*(?:${EXT_TOKEN}|${EXT_QUOTED}))?)*$`,
);

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
  #maxInterim: number;
  #state: State = { kind: "head" };
  /** Bytes kept for the next push (an unfinished line or header block), at its start. */
  #pending: Uint8Array = new Uint8Array(0);
  #pendingLength = 0;
  /** In an unfinished header block: where its unfinished line starts, and how far it was searched. */
  #lineStart = 0;
  #scanned = 0;
  /** Empty lines skipped before the current status line, in bytes. */
  #skipped = 0;
  #interim = 0;

  constructor(options: ResponseParserOptions = {}) {
    const { method = "GET", maxHeaderBytes = 65536, maxHeaders = 200, maxInterim = 100 } = options;
    this.#method = method.toUpperCase();
    this.#maxHeaderBytes = maxHeaderBytes;
    this.#maxHeaders = maxHeaders;
    this.#maxInterim = maxInterim;
  }

  /** True once the response is complete. */
  get done(): boolean {
    return this.#state.kind === "done";
  }

  /**
   * Feeds bytes; returns the events they complete. Body events are views
   * into `chunk` or the parser's own buffer (no copy): use or copy them
   * before the next `push`.
   */
  push(chunk: Uint8Array): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (this.#state.kind === "done") return events;
    // Bytes kept from the last push are appended to, in a buffer that doubles: a header
    // that arrives a byte at a time costs linear time, not quadratic.
    const buffered = this.#pendingLength > 0;
    let data = chunk;
    if (buffered) {
      const length = this.#pendingLength + chunk.length;
      if (length > this.#pending.length) {
        const grown = new Uint8Array(Math.max(length, this.#pending.length * 2));
        grown.set(this.#pending.subarray(0, this.#pendingLength));
        this.#pending = grown;
      }
      this.#pending.set(chunk, this.#pendingLength);
      this.#pendingLength = length;
      data = this.#pending.subarray(0, length);
    }
    let offset = 0;
    while (offset < data.length && !this.done) {
      const used = this.#step(data.subarray(offset), events);
      if (used === 0) break; // need more bytes
      offset += used;
    }
    const left = this.done ? 0 : data.length - offset;
    if (left === 0) {
      this.#pendingLength = 0;
    } else if (!buffered || offset > 0) {
      // A fresh buffer: the caller owns `chunk`, and events may be views of the old one.
      this.#pending = new Uint8Array(Math.max(left * 2, 1024));
      this.#pending.set(data.subarray(offset));
      this.#pendingLength = left;
    } // else nothing was used: the bytes stay where they are
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
          this.#pendingLength === 0
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
        const size = CHUNK_LINE.exec(line.text);
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
        // CRLF, or a bare LF (RFC 9112 §2.2).
        const used = data[0] === LF ? 1 : data[0] === CR ? (data.length < 2 ? 0 : 2) : -1;
        if (used === 0) return 0;
        if (used < 0 || (used === 2 && data[1] !== LF)) {
          throw new HttpParseError("a chunk is not followed by CRLF");
        }
        this.#state = { kind: "chunk-size" };
        return used;
      }
      case "trailers": {
        const block = this.#block(data, "trailers");
        if (!block) return 0;
        const headers = this.#fields(block.lines);
        if (headers.length > 0) events.push({ type: "trailers", headers });
        this.#finish(events);
        return block.used;
      }
      case "done":
        return data.length;
    }
  }

  #line(data: Uint8Array, max: number, what: string): { text: string; used: number } | undefined {
    const lf = data.indexOf(LF);
    if (lf < 0) {
      if (data.length > max) throw new HttpParseError(`${what} over ${max} bytes`);
      return undefined;
    }
    // The same limit whether the line came whole or a byte at a time.
    if (lf > max) throw new HttpParseError(`${what} over ${max} bytes`);
    const end = lf > 0 && data[lf - 1] === CR ? lf - 1 : lf;
    return { text: latin1.decode(data.subarray(0, end)), used: lf + 1 };
  }

  /**
   * A header block (status line and fields, or trailers) up to the empty
   * line that ends it, as lines without their line ends; undefined while
   * it is unfinished. The search resumes where the last one stopped.
   */
  #block(data: Uint8Array, what: string): { lines: string[]; used: number } | undefined {
    const max = this.#maxHeaderBytes;
    let start = this.#lineStart;
    for (let lf; (lf = data.indexOf(LF, Math.max(start, this.#scanned))) >= 0;) {
      if (lf === start || (lf === start + 1 && data[start] === CR)) {
        this.#lineStart = this.#scanned = 0;
        return { lines: splitLines(data.subarray(0, start), what), used: lf + 1 };
      }
      start = lf + 1;
      if (start > max) throw new HttpParseError(`${what} over ${max} bytes`);
    }
    if (data.length > max) throw new HttpParseError(`${what} over ${max} bytes`);
    this.#lineStart = start;
    this.#scanned = data.length;
    return undefined;
  }

  #head(data: Uint8Array, events: ResponseEvent[]): number {
    if (this.#scanned === 0) {
      // Empty lines before a status line are skipped (RFC 9112 §2.2), within the header bound.
      const empty = data[0] === LF ? 1 : data[0] === CR && data[1] === LF ? 2 : 0;
      if (data[0] === CR && data.length < 2) return 0;
      if (empty > 0) {
        this.#skipped += empty;
        if (this.#skipped > this.#maxHeaderBytes) {
          throw new HttpParseError(`response header over ${this.#maxHeaderBytes} bytes`);
        }
        return empty;
      }
    }
    const block = this.#block(data, "response header");
    if (!block) return 0;
    const { lines, used } = block;
    const statusLine = lines.shift() ?? "";
    const match = /^HTTP\/(1\.[01]) ([1-9]\d\d)(?: (.*))?$/.exec(statusLine);
    if (!match) throw new HttpParseError(`invalid status line "${statusLine.slice(0, 60)}"`);
    const [, version = "", code = "", reason = ""] = match;
    const status = Number(code);
    const headers = this.#fields(lines);
    this.#skipped = 0;
    if (status === 101) {
      // Only an answer to an Upgrade request, and this client never sends one (RFC 9110 §7.8).
      throw new HttpParseError("101 Switching Protocols without an upgrade request");
    }
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints…): the final one follows.
      if (++this.#interim > this.#maxInterim) {
        throw new HttpParseError(`more than ${this.#maxInterim} interim (1xx) responses`);
      }
      events.push({ type: "interim", version, status, reason, headers });
      return used;
    }
    events.push({ type: "head", version, status, reason, headers });
    this.#state = this.#bodyMode(status, headers);
    if (this.#state.kind === "done") events.push({ type: "end" });
    return used;
  }

  /** Parses header lines, joining obsolete folded continuations. */
  #fields(lines: string[]): HeaderField[] {
    const fields: HeaderField[] = [];
    for (const line of lines) {
      if (line.includes("\0")) {
        throw new HttpParseError(`a NUL in the header line "${line.slice(0, 60)}"`);
      }
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

/**
 * The lines of a header block (each ended by LF, with or without CR);
 * a CR anywhere else is refused (RFC 9112 §2.2, RFC 9110 §5.5).
 */
function splitLines(block: Uint8Array, what: string): string[] {
  const text = latin1.decode(block);
  if (text === "") return [];
  const lines = text.slice(0, -1).split("\n");
  return lines.map((line) => {
    const bare = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (bare.includes("\r")) {
      throw new HttpParseError(`a bare CR in the ${what} line "${bare.slice(0, 60)}"`);
    }
    return bare;
  });
}
