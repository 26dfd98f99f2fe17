/**
 * The request side of HTTP/1.1 for the HTTP face, sans-I/O (RFC 9112):
 * where a request head ends, the head parsed strictly and within limits,
 * how its body is framed, and a decoder for chunked bodies. It is fed bytes
 * and answers with values or an {@linkcode HttpRequestError} carrying the
 * status to answer; the endpoint (`http_server.ts`) owns the socket.
 *
 * @module
 */

/** A request the server refuses to read further: answer `status`, then close. */
export class HttpRequestError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpRequestError";
    this.status = status;
  }
}

/** Longest request head (request line and header fields), in bytes. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Longest request line, in bytes. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** Most header fields in one request. */
export const MAX_FIELDS = 100;
/** Longest line of a chunked body's framing (a chunk size with its extensions, a trailer). */
export const MAX_CHUNK_LINE_BYTES = 4096;

/** A parsed request head. */
export interface RequestHead {
  /** The method, as sent (a token). */
  method: string;
  /** The request target, as sent (visible ASCII). */
  target: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x). */
  minor: 0 | 1;
  /** The header fields in order: names in lower case, values without surrounding whitespace. */
  fields: [string, string][];
}

/** How a request's body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e]+$/;
// Field values: visible characters, obs-text, space and tab; no other controls.
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * How many bytes at the start of `bytes` are empty lines (CRLF or LF), which
 * a server ignores before a request line (RFC 9112 §2.2); -1 when `bytes`
 * ends in a CR that may be the start of one.
 */
export function emptyLinesLength(bytes: Uint8Array): number {
  let i = 0;
  for (;;) {
    if (bytes[i] === LF) i += 1;
    else if (bytes[i] === CR && bytes[i + 1] === LF) i += 2;
    else if (bytes[i] === CR && i + 1 === bytes.length) return -1;
    else return i;
  }
}

/**
 * The length of the request head at the start of `bytes`, through the empty
 * line that ends it, or -1 while it is incomplete.
 *
 * @param from bytes already scanned by an earlier call on the same head, so
 * that a head arriving a byte at a time is scanned once, not once per byte
 * @example Finding the end of a head
 * ```ts
 * import { headLength } from "./http_request.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody");
 * headLength(bytes); // 27
 * ```
 */
export function headLength(bytes: Uint8Array, from = 0): number {
  let i = Math.max(0, from - 2);
  for (;;) {
    const lf = bytes.indexOf(LF, i);
    if (lf < 0) return -1;
    if (bytes[lf + 1] === LF) return lf + 2;
    if (bytes[lf + 1] === CR && bytes[lf + 2] === LF) return lf + 3;
    i = lf + 1;
  }
}

/**
 * Checks that an incomplete head is still within the limits.
 *
 * @throws {HttpRequestError} 414 for a request line, 431 for a head, over its limit
 */
export function checkIncompleteHead(bytes: Uint8Array): void {
  const lineEnd = bytes.indexOf(LF);
  if ((lineEnd < 0 ? bytes.length : lineEnd) > MAX_REQUEST_LINE_BYTES) {
    throw new HttpRequestError(414, `request line over ${MAX_REQUEST_LINE_BYTES} bytes`);
  }
  if (bytes.length > MAX_HEAD_BYTES) {
    throw new HttpRequestError(431, `request head over ${MAX_HEAD_BYTES} bytes`);
  }
}

/** Bytes as Latin-1 text, one character per byte (never windows-1252). */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * Parses a complete request head (as {@linkcode headLength} delimits it).
 * Strict where leniency is a risk: a bare CR, a folded line, whitespace
 * before a colon, a control character in a value, a missing or repeated
 * Host in HTTP/1.1 are refused.
 *
 * @throws {HttpRequestError} 400 malformed, 414 request line too long, 431
 * too many fields or too large, 505 not HTTP/1.x
 * @example Parsing a head
 * ```ts
 * import { parseRequestHead } from "./http_request.ts";
 * const head = parseRequestHead(new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
 * head.fields; // [["host", "x"]]
 * ```
 */
export function parseRequestHead(bytes: Uint8Array): RequestHead {
  if (bytes.length > MAX_HEAD_BYTES) {
    throw new HttpRequestError(431, `request head over ${MAX_HEAD_BYTES} bytes`);
  }
  const text = latin1(bytes);
  if (/\r(?!\n)/.test(text)) throw new HttpRequestError(400, "bare CR in the request head");
  const lines = text.split(/\r?\n/);
  // The head ends with an empty line: drop it and the empty string after it.
  lines.splice(-2, 2);
  const [requestLine = "", ...fieldLines] = lines;
  if (requestLine.length > MAX_REQUEST_LINE_BYTES) {
    throw new HttpRequestError(414, `request line over ${MAX_REQUEST_LINE_BYTES} bytes`);
  }
  const parts = requestLine.split(" ");
  if (parts.length !== 3) throw new HttpRequestError(400, "malformed request line");
  const [method = "", target = "", version = ""] = parts;
  if (!TOKEN.test(method)) throw new HttpRequestError(400, "malformed method");
  if (!TARGET.test(target)) throw new HttpRequestError(400, "malformed request target");
  const match = /^HTTP\/(\d)\.(\d)$/.exec(version);
  if (!match) throw new HttpRequestError(400, "malformed HTTP version");
  if (match[1] !== "1") throw new HttpRequestError(505, "only HTTP/1.0 and HTTP/1.1 are served");
  const minor = match[2] === "0" ? 0 : 1;
  if (fieldLines.length > MAX_FIELDS) {
    throw new HttpRequestError(431, `more than ${MAX_FIELDS} header fields`);
  }
  const fields: [string, string][] = fieldLines.map((line) => {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new HttpRequestError(400, "folded header line");
    }
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    if (colon < 0 || !TOKEN.test(name)) throw new HttpRequestError(400, "malformed header field");
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (BAD_VALUE.test(value)) {
      throw new HttpRequestError(400, "control character in a header field");
    }
    return [name.toLowerCase(), value];
  });
  const hosts = fields.filter(([name]) => name === "host").length;
  if (minor === 1 && hosts !== 1) {
    throw new HttpRequestError(400, "an HTTP/1.1 request needs exactly one Host");
  }
  return { method, target, minor, fields };
}

/** Every value of a field, comma-separated lists split, trimmed, empty ones dropped. */
export function fieldValues(head: RequestHead, name: string): string[] {
  return head.fields
    .filter(([n]) => n === name)
    .flatMap(([, value]) => value.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/**
 * How the request's body is delimited (RFC 9112 §6.3): by
 * `Transfer-Encoding: chunked`, by `Content-Length`, or absent.
 *
 * @throws {HttpRequestError} 400 for a bad or conflicting length (both fields,
 * differing values: the ambiguity request smuggling lives on), 501 for a
 * transfer coding other than chunked
 */
export function bodyFraming(head: RequestHead): BodyFraming {
  const codings = fieldValues(head, "transfer-encoding").map((c) => c.toLowerCase());
  const lengths = head.fields.filter(([n]) => n === "content-length");
  if (head.fields.some(([n]) => n === "transfer-encoding")) {
    if (lengths.length > 0) {
      throw new HttpRequestError(400, "both Transfer-Encoding and Content-Length");
    }
    if (head.minor === 0) throw new HttpRequestError(400, "Transfer-Encoding in HTTP/1.0");
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HttpRequestError(501, "only the chunked transfer coding is supported");
    }
    return { kind: "chunked" };
  }
  if (lengths.length === 0) return { kind: "none" };
  const values = new Set(fieldValues(head, "content-length"));
  const [value = ""] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(value)) {
    throw new HttpRequestError(400, "bad Content-Length");
  }
  const length = Number(value);
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** Whether the connection may carry another request after this one. */
export function keepsAlive(head: RequestHead): boolean {
  if (head.minor === 0) return false;
  return !fieldValues(head, "connection").some((token) => token.toLowerCase() === "close");
}

/** Whether the client waits for `100 Continue` before it sends the body. */
export function expectsContinue(head: RequestHead): boolean {
  return head.minor === 1 &&
    fieldValues(head, "expect").some((v) => v.toLowerCase() === "100-continue");
}

/**
 * The path and query of a request target in origin form (`/a?b`) or
 * absolute form (`http://host/a?b`); the host is never taken from it.
 *
 * @throws {HttpRequestError} 400 for any other form (`*`, authority form)
 */
export function targetPath(target: string): string {
  if (target.startsWith("/")) return target;
  if (/^https?:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new HttpRequestError(400, "malformed request target");
    }
    return url.pathname + url.search;
  }
  throw new HttpRequestError(400, "malformed request target");
}

/** What one call of {@linkcode ChunkedDecoder.decode} found. */
export interface Decoded {
  /** Body data, views into the input (valid until the input is reused). */
  data: Uint8Array[];
  /** Input bytes consumed; the rest belongs to what follows (the next request). */
  used: number;
  /** The body and its trailer section are complete. */
  done: boolean;
}

type ChunkState = "size" | "data" | "data-end" | "trailer" | "done";

/**
 * Decodes a chunked body (RFC 9112 §7.1) from bytes fed in any slicing:
 * chunk sizes in hex (at most 15 digits and a safe integer), extensions
 * read and ignored, line ends CRLF or LF (never a bare CR), trailer fields
 * read and ignored.
 *
 * @example Decoding
 * ```ts
 * import { ChunkedDecoder } from "./http_request.ts";
 * const decoder = new ChunkedDecoder();
 * const { data, done } = decoder.decode(new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\n"));
 * // data: [abc], done: true
 * ```
 */
export class ChunkedDecoder {
  #state: ChunkState = "size";
  #line: number[] = [];
  #left = 0;
  #trailerBytes = 0;

  /** True once the body is complete. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Takes what it can from `input`.
   *
   * @throws {HttpRequestError} 400 for malformed framing or a line over {@linkcode MAX_CHUNK_LINE_BYTES}
   */
  decode(input: Uint8Array): Decoded {
    const data: Uint8Array[] = [];
    let i = 0;
    while (i < input.length && this.#state !== "done") {
      if (this.#state === "data") {
        const take = Math.min(this.#left, input.length - i);
        data.push(input.subarray(i, i + take));
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = "data-end";
        continue;
      }
      // A framing line: collect it up to its LF.
      const byte = input[i++]!;
      if (byte !== LF) {
        this.#line.push(byte);
        if (this.#line.length > MAX_CHUNK_LINE_BYTES) {
          throw new HttpRequestError(400, "chunk framing line too long");
        }
        continue;
      }
      const line = this.#takeLine();
      if (this.#state === "size") this.#sizeLine(line);
      else if (this.#state === "data-end") {
        if (line !== "") throw new HttpRequestError(400, "chunk data longer than its size");
        this.#state = "size";
      } else this.#trailerLine(line);
    }
    return { data, used: i, done: this.#state === "done" };
  }

  #takeLine(): string {
    let bytes = this.#line;
    this.#line = [];
    if (bytes[bytes.length - 1] === CR) bytes = bytes.slice(0, -1);
    if (bytes.includes(CR)) throw new HttpRequestError(400, "bare CR in chunk framing");
    return String.fromCharCode(...bytes);
  }

  #sizeLine(line: string): void {
    const match = /^([0-9A-Fa-f]{1,15})(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+.*)?$/.exec(
      line,
    );
    // deno-lint-ignore no-control-regex
    if (!match || /[\x00-\x08\x0a-\x1f\x7f]/.test(line)) {
      throw new HttpRequestError(400, "malformed chunk size");
    }
    const size = parseInt(match[1]!, 16);
    if (!Number.isSafeInteger(size)) throw new HttpRequestError(400, "chunk size too large");
    if (size === 0) {
      this.#state = "trailer";
    } else {
      this.#left = size;
      this.#state = "data";
    }
  }

  #trailerLine(line: string): void {
    if (line === "") {
      this.#state = "done";
      return;
    }
    this.#trailerBytes += line.length + 2;
    if (this.#trailerBytes > MAX_HEAD_BYTES) {
      throw new HttpRequestError(431, `trailer section over ${MAX_HEAD_BYTES} bytes`);
    }
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) {
      throw new HttpRequestError(400, "malformed trailer field");
    }
  }
}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  416: "Range Not Satisfiable",
  422: "Unprocessable Content",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/**
 * A response head: status line, the fields as given, and the empty line.
 *
 * @param fields names and values; values must not hold CR or LF (`Headers` guarantees it)
 */
export function formatResponseHead(status: number, fields: Iterable<[string, string]>): string {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}`];
  for (const [name, value] of fields) lines.push(`${name}: ${value}`);
  return lines.join("\r\n") + "\r\n\r\n";
}

/** A complete plain-text response that closes the connection (refusals before a handler runs). */
export function plainResponse(status: number, message: string): string {
  const body = `${status} ${message}\n`;
  return formatResponseHead(status, [
    ["content-type", "text/plain; charset=utf-8"],
    ["x-content-type-options", "nosniff"],
    ["content-length", String(new TextEncoder().encode(body).length)],
    ["connection", "close"],
  ]) + body;
}
