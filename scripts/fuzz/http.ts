/**
 * Fuzz targets of the HTTP client: the response parser
 * (`src/http/response_parser.ts`) fed hostile servers' bytes in any
 * chunking, and the URL and `-H` parsers with the request head they build
 * (`src/http/request.ts`), including a redirect's `Location` resolved
 * against the page.
 *
 * @module
 */

import {
  buildRequest,
  type HttpTarget,
  parseHeaderOption,
  parseHttpUrl,
} from "../../src/http/request.ts";
import {
  type HeaderField,
  HttpParseError,
  type ResponseEvent,
  ResponseParser,
} from "../../src/http/response_parser.ts";
import { isIPv4 } from "../../src/inet/ipv4.ts";
import type { FuzzTarget, Origin } from "./engine.ts";
import {
  concat,
  equalBytes,
  holds,
  refused,
  same,
  show,
  textOf,
  type Verdict,
} from "./property.ts";
import { Rng } from "./rng.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_HEADERS = 200;

/** What a parse ended in: the events with bodies joined, or the error. */
type Outcome =
  | { ok: true; events: ResponseEvent[]; raw: ResponseEvent[] }
  | { ok: false; error: HttpParseError };

/** Strips spaces and tabs at both ends, in linear time (a `[ \t]+$` regex is quadratic). */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === " " || value[start] === "\t")) start++;
  while (end > start && (value[end - 1] === " " || value[end - 1] === "\t")) end--;
  return value.slice(start, end);
}

/**
 * Events with consecutive body events joined and header values trimmed: what
 * a chunking cannot change and a canonical rewrite keeps. (An obsolete fold
 * after an empty value leaves a leading space, `a:\r\n b` → `" b"`: harmless,
 * so not compared.)
 */
function normalize(events: ResponseEvent[]): ResponseEvent[] {
  const out: ResponseEvent[] = [];
  const trim = (fields: HeaderField[]): HeaderField[] =>
    fields.map(([name, value]) => [name, trimOws(value)]);
  for (const event of events) {
    const last = out.at(-1);
    if (event.type === "body" && last?.type === "body") {
      last.data = concat([last.data, event.data]);
    } else if (event.type === "head") {
      out.push({ ...event, headers: trim(event.headers) });
    } else if (event.type === "trailers") {
      out.push({ ...event, headers: trim(event.headers) });
    } else {
      out.push(event.type === "body" ? { type: "body", data: event.data.slice() } : event);
    }
  }
  return out.filter((event) => event.type !== "body" || event.data.length > 0);
}

/** Parses `input` as a client does: pushes (split at `cuts`), then `end()` at the close. */
function parse(input: Uint8Array, method: string, cuts: readonly number[]): Outcome {
  const parser = new ResponseParser({ method });
  const events: ResponseEvent[] = [];
  try {
    let from = 0;
    for (const cut of [...cuts, input.length]) {
      if (parser.done) break;
      for (const event of parser.push(input.subarray(from, cut))) {
        events.push(event.type === "body" ? { type: "body", data: event.data.slice() } : event);
      }
      from = cut;
    }
    if (!parser.done) events.push(...parser.end());
    return { ok: true, events: normalize(events), raw: events };
  } catch (err) {
    refused(err, HttpParseError);
    return { ok: false, error: err as HttpParseError };
  }
}

const FORBIDDEN_IN_FIELD = /[\r\n\0]/;

/** The parser's bound on interim responses (`maxInterim`, RFC 9110 §15.2). */
const MAX_INTERIM = 100;

function checkFields(fields: HeaderField[], what: string): void {
  holds(fields.length <= MAX_HEADERS, `at most ${MAX_HEADERS} ${what} fields`, `${fields.length}`);
  for (const [name, value] of fields) {
    holds(TOKEN.test(name), `a ${what} name is a token`, show(name));
    holds(
      !FORBIDDEN_IN_FIELD.test(value),
      `a ${what} value holds no CR, LF or NUL (RFC 9110 §5.5)`,
      () => `${show(name)}: ${show(value)}`,
    );
  }
}

/** The properties of one successful parse. */
function checkEvents(events: ResponseEvent[], input: Uint8Array, method: string): void {
  holds(
    events.at(-1)?.type === "end",
    "a complete parse ends with end",
    show(events.map((e) => e.type)),
  );
  holds(events.filter((e) => e.type === "end").length === 1, "exactly one end");
  // Interim (1xx) responses come first, at most MAX_INTERIM of them, then the head.
  const interim = events.findIndex((e) => e.type !== "interim");
  holds(interim <= MAX_INTERIM, `at most ${MAX_INTERIM} interim responses`, `${interim}`);
  for (const event of events.slice(0, interim)) {
    if (event.type !== "interim") continue;
    holds(
      event.status >= 100 && event.status <= 199 && event.status !== 101,
      "an interim status is 1xx (not 101)",
      `${event.status}`,
    );
  }
  const head = events[interim];
  holds(
    head?.type === "head",
    "the first event after interim responses is the head",
    show(events.map((e) => e.type)),
  );
  holds(events.filter((e) => e.type === "head").length === 1, "exactly one head");
  holds(head.version === "1.0" || head.version === "1.1", "version is 1.0 or 1.1");
  holds(
    Number.isInteger(head.status) && head.status >= 200 && head.status <= 999,
    "a final status is 200-999 (interim responses are skipped)",
    `${head.status}`,
  );
  holds(!/[\r\n]/.test(head.reason), "the reason holds no CR or LF", show(head.reason));
  checkFields(head.headers, "header");
  let body = 0;
  for (const event of events) {
    if (event.type === "body") body += event.data.length;
    if (event.type === "trailers") checkFields(event.headers, "trailer");
  }
  holds(body <= input.length, "the body is no larger than the input");
  if (method === "HEAD" || head.status === 204 || head.status === 304) {
    holds(body === 0, "HEAD, 204 and 304 responses have no body");
  }
}

/** The canonical bytes of a parsed response (whole-input parse: one body event per chunk). */
function serialize(events: ResponseEvent[], method: string): Uint8Array {
  const head = events.find((e) => e.type === "head") as Extract<ResponseEvent, { type: "head" }>;
  let text = "";
  // Interim responses first, as they came, then the final head.
  for (const event of events) {
    if (event.type !== "interim" && event.type !== "head") continue;
    text += `HTTP/${event.version} ${event.status}${
      event.reason === "" ? "" : ` ${event.reason}`
    }\r\n`;
    for (const [name, value] of event.headers) text += `${name}: ${value}\r\n`;
    text += "\r\n";
  }
  const parts = [latin1(text)];
  const lower = (name: string) =>
    head.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v).join(",");
  const codings = lower("transfer-encoding").split(",").map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  const bodies = events.filter((e) => e.type === "body").map((e) => e.data);
  const noBody = method === "HEAD" || head.status === 204 || head.status === 304;
  if (!noBody && codings.at(-1) === "chunked") {
    for (const data of bodies) {
      parts.push(latin1(`${data.length.toString(16)}\r\n`), data, latin1("\r\n"));
    }
    parts.push(latin1("0\r\n"));
    const trailers = events.find((e) => e.type === "trailers");
    let tail = "";
    for (const [name, value] of trailers?.headers ?? []) tail += `${name}: ${value}\r\n`;
    parts.push(latin1(`${tail}\r\n`));
  } else if (!noBody) {
    parts.push(...bodies);
  }
  return concat(parts);
}

// The parser reads header bytes with TextDecoder("latin1"), which is windows-1252: one
// character per byte, but 0x80-0x9f are not all U+0080-U+009F. Writing back needs its inverse.
const BYTE_OF = new Map<string, number>();
const CHAR_OF: string[] = [];
{
  const decoder = new TextDecoder("latin1");
  for (let b = 0; b < 256; b++) {
    CHAR_OF[b] = decoder.decode(new Uint8Array([b]));
    BYTE_OF.set(CHAR_OF[b]!, b);
  }
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = BYTE_OF.get(text[i]!) ?? 0x3f;
  return out;
}

/** Random cut points in [1, length), sorted; sometimes every byte. */
function cutsFor(input: Uint8Array, rng: Rng): number[] {
  if (input.length < 2) return [];
  if (input.length <= 256 && rng.chance(0.2)) {
    return Array.from({ length: input.length - 1 }, (_, i) => i + 1);
  }
  const cuts = new Set<number>();
  for (let n = rng.int(1, 6); n > 0; n--) cuts.add(1 + rng.below(input.length - 1));
  return [...cuts].sort((a, b) => a - b);
}

const REASONS = ["OK", "Not Found", "Moved Permanently", "", "Reason With  Spaces", "caf\u00e9"];
const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";

function randomToken(rng: Rng): string {
  let name = "";
  for (let n = rng.int(1, 12); n > 0; n--) name += NAME_CHARS[rng.below(NAME_CHARS.length)];
  return name;
}

function randomValue(rng: Rng): string {
  let value = "";
  for (let n = rng.size(0, 40); n > 0; n--) {
    // Visible ASCII and space, or obs-text as the parser reads it.
    value += rng.chance(0.9)
      ? String.fromCharCode(rng.int(0x20, 0x7e))
      : CHAR_OF[rng.int(0x80, 0xff)]!;
  }
  // Not starting or ending in what the parser trims (its trim() also takes NBSP, VT and FF).
  return value.trim();
}

function randomFields(rng: Rng, count: number): HeaderField[] {
  const fields: HeaderField[] = [];
  for (let i = 0; i < count; i++) {
    const name = randomToken(rng);
    if (/^(?:content-length|transfer-encoding)$/i.test(name)) continue;
    fields.push([name, randomValue(rng)]);
  }
  return fields;
}

/** A random well-formed response in canonical form (what {@linkcode serialize} writes). */
export function generateResponse(rng: Rng): Uint8Array {
  const status = rng.pick([200, 201, 204, 206, 299, 301, 304, 404, 500, 599]);
  const version = rng.chance(0.8) ? "1.1" : "1.0";
  const reason = rng.pick(REASONS);
  const headers = randomFields(rng, rng.size(0, 12));
  const body = rng.bytes(rng.size(0, 3000));
  const framing = status === 204 || status === 304
    ? "none"
    : rng.pick(["length", "chunked", "close"]);
  const events: ResponseEvent[] = [];
  if (framing === "length") {
    headers.splice(rng.below(headers.length + 1), 0, ["Content-Length", String(body.length)]);
  }
  if (framing === "chunked") {
    headers.splice(rng.below(headers.length + 1), 0, [
      "Transfer-Encoding",
      rng.chance(0.8) ? "chunked" : "gzip, chunked",
    ]);
  }
  events.push({ type: "head", version, status, reason, headers });
  if (framing === "chunked") {
    for (let at = 0; at < body.length;) {
      const size = Math.min(body.length - at, 1 + rng.size(0, 1500));
      events.push({ type: "body", data: body.subarray(at, at + size) });
      at += size;
    }
    const trailers = randomFields(rng, rng.chance(0.3) ? rng.int(1, 3) : 0);
    if (trailers.length > 0) events.push({ type: "trailers", headers: trailers });
  } else if (framing !== "none" && body.length > 0) {
    events.push({ type: "body", data: body });
  }
  events.push({ type: "end" });
  return serialize(events, "GET");
}

/** Responses from a hostile server, in any chunking, for GET and HEAD. */
export const response: FuzzTarget = {
  name: "http.response",
  about: "response bytes → ResponseParser (GET, HEAD; random chunking): HttpParseError only, " +
    "fields clean, same whatever the chunking, round trip",
  kind: "bytes",
  seeds: [
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
    "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nclose-delimited body",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    'HTTP/1.1 304 Not Modified\r\nETag: "1-2"\r\n\r\n',
    "HTTP/1.1 301 Moved\r\nLocation: /docs/\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 1\r\n\r\nz",
    "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw",
  ],
  tokens: [
    "HTTP/1.1 ",
    "HTTP/1.0 ",
    "HTTP/2 ",
    "100 Continue\r\n\r\n",
    "101 Switching Protocols\r\n",
    "Content-Length: ",
    "Transfer-Encoding: chunked\r\n",
    "Transfer-Encoding: ",
    "chunked",
    "identity",
    "Location: ",
    ";",
    "\r\n0\r\n\r\n",
    "\r\n ",
    "\r\n\t",
    "ffffffffffffffff\r\n",
    "\rBar: 2",
  ],
  maxBytes: 70_000,
  generate: generateResponse,
  check(input: Uint8Array, origin: Origin): Verdict {
    const rng = Rng.forBytes(input);
    let accepted = false;
    for (const method of ["GET", "HEAD"]) {
      const whole = parse(input, method, []);
      const split = parse(input, method, cutsFor(input, rng));
      holds(
        whole.ok === split.ok,
        "the outcome does not depend on the chunking",
        () =>
          `${method}: whole ${whole.ok ? "parses" : `fails (${whole.error.message})`}, ` +
          `chunked ${split.ok ? "parses" : `fails (${split.error.message})`}`,
      );
      if (!whole.ok || !split.ok) continue;
      same(split.events, whole.events, "the events do not depend on the chunking");
      checkEvents(whole.events, input, method);
      if (method === "GET") {
        accepted = true;
        const written = serialize(whole.raw, method);
        const again = parse(written, method, []);
        holds(again.ok, "a parsed response, written canonically, parses");
        same(again.events, whole.events, "parse(serialize(events)) == events");
        if (origin === "generated") {
          holds(
            equalBytes(written, input),
            "a canonical response round-trips",
            () => show(written),
          );
        }
      }
    }
    return accepted ? "accepted" : "rejected";
  },
};

const PAGE = new URL("http://127.0.0.1:8080/dir/page?q=1");

function checkTarget(target: HttpTarget, text: string): void {
  holds(
    target.port >= 1 && target.port <= 65535 && Number.isInteger(target.port),
    "port is 1-65535",
  );
  holds(target.hostname !== "" && !/[[\]]/.test(target.hostname), "hostname is bare and not empty");
  if (/^[\d.]+$/.test(target.hostname)) {
    holds(isIPv4(target.hostname), "a numeric host is strict IPv4");
  }
  holds(target.url.username === "" && target.url.password === "", "no credentials");
  holds(target.tls === (target.url.protocol === "https:"), "tls follows the scheme");
  // What goes into the request line and Host header: printable ASCII, no space.
  holds(
    /^\/[!-~]*$/.test(target.target),
    "the request target is printable ASCII",
    show(target.target),
  );
  holds(/^[!-~]+$/.test(target.host), "the Host value is printable ASCII", show(target.host));
  const head = buildRequest(target, { version: "0.0.0" });
  const lines = head.split("\r\n");
  holds(
    lines.length === 7 && lines.at(-1) === "" && lines.at(-2) === "" &&
      lines[0]!.split(" ").length === 3 && !/[\r\n]/.test(lines.slice(0, -2).join("")),
    "the request head is a request line, four fields and a blank line",
    () => `${show(text)} → ${show(head)}`,
  );
}

function parseUrl(text: string, base?: URL): HttpTarget | undefined {
  try {
    return parseHttpUrl(text, base);
  } catch (err) {
    refused(err, SyntaxError, RangeError);
    return undefined;
  }
}

/** URLs from the command line, and `Location` headers resolved against the page. */
export const url: FuzzTarget = {
  name: "http.url",
  about: "URL (alone, and as a Location against a page) → parseHttpUrl, buildRequest: " +
    "SyntaxError/RangeError only, clean request head, round trip",
  kind: "text",
  seeds: [
    "http://127.0.0.1:8080/",
    "http://localhost/a%20b?q=1&r=2",
    "https://example.com/",
    "http://[::1]:9000/x",
    "http://example.com:65535/a/b/../c",
    "/docs/",
    "//other.example/",
    "../up?x#frag",
    "http://xn--nxasmq6b.example/",
    "http://\u00e9xample.com/\u00e9",
  ],
  tokens: [
    "http://",
    "https://",
    "ftp://",
    "@",
    "user:pass@",
    "#",
    "?",
    "[::1]",
    ":0",
    ":65536",
    "%2F",
    "%0d%0a",
  ],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    let accepted = false;
    for (const base of [undefined, PAGE]) {
      const target = parseUrl(text, base);
      if (!target) continue;
      accepted = true;
      checkTarget(target, text);
      const again = parseUrl(target.url.href);
      holds(again, "the resolved URL parses again", target.url.href);
      same(
        [again.tls, again.hostname, again.port, again.host, again.target],
        [target.tls, target.hostname, target.port, target.host, target.target],
        "parseHttpUrl(target.url.href) == target",
      );
    }
    return accepted ? "accepted" : "rejected";
  },
};

/** `-H "Name: value"` options and the head they go into. */
export const header: FuzzTarget = {
  name: "http.header",
  about: "-H text → parseHeaderOption, buildRequest: SyntaxError only, no CR/LF/NUL, round trip",
  kind: "text",
  seeds: [
    "Accept: text/plain",
    "X-Empty:",
    "Authorization: Bearer abc.def",
    "Host: example.com:8080",
  ],
  tokens: [": ", ":", "\r\nX-Injected: 1", "Host", "User-Agent"],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    let field: [string, string];
    try {
      field = parseHeaderOption(text);
    } catch (err) {
      return refused(err, SyntaxError);
    }
    const [name, value] = field;
    holds(TOKEN.test(name), "the name is a token", show(name));
    holds(!/[\r\n\0]/.test(value), "the value holds no CR, LF or NUL", show(value));
    holds(value === value.trim(), "the value is trimmed", show(value));
    same(
      parseHeaderOption(`${name}: ${value}`),
      field,
      "parseHeaderOption(`${n}: ${v}`) == [n, v]",
    );
    const head = buildRequest(parseHttpUrl("http://127.0.0.1/"), {
      version: "0",
      headers: [field],
    });
    holds(
      head.endsWith("\r\n\r\n") &&
        head.split("\r\n").length === (/^(host|user-agent|accept|connection)$/i.test(name) ? 7 : 8),
      "one -H adds or replaces exactly one header line",
      show(head),
    );
    return "accepted";
  },
};
