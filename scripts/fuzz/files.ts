/**
 * Fuzz targets of the file protocol (`src/files/protocol.ts`): request lines
 * as the server reads them, reply and LIST entry lines as the client reads
 * them, the line framing both ends use (`src/net/conn_reader.ts`), and the
 * HTTP face's `Range` header (`src/files/http_core.ts`).
 *
 * @module
 */

import {
  encodePath,
  formatEntry,
  formatError,
  MAX_COMPONENT_BYTES,
  MAX_COMPONENTS,
  MAX_LINE,
  MAX_PATH_BYTES,
  parseEntry,
  parseReply,
  parseRequest,
  ProtocolError,
  type Request,
} from "../../src/files/protocol.ts";
import { parseRange } from "../../src/files/http_core.ts";
import { ConnReader, LineTooLongError } from "../../src/net/conn_reader.ts";
import type { FuzzTarget, Origin } from "./engine.ts";
import {
  byteLength,
  concat,
  equalBytes,
  holds,
  refused,
  same,
  show,
  strictTextOf,
  textOf,
  type Verdict,
} from "./property.ts";
import { Rng } from "./rng.ts";

const SHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

/** A request as the client writes it (`src/files/client.ts`). */
export function formatRequest(request: Request): string {
  switch (request.verb) {
    case "HELLO":
      return `HELLO ${request.version}`;
    case "STAT":
    case "LIST":
      return `${request.verb} ${encodePath(request.path)}`;
    case "GET":
      return `GET ${encodePath(request.path)} ${request.offset}`;
    case "HASH":
      return `HASH ${encodePath(request.path)}`;
    case "PUT":
      return `PUT ${encodePath(request.path)} ${request.size} ${request.sha256}`;
    case "QUIT":
      return "QUIT";
  }
}

// deno-lint-ignore no-control-regex
const PATH_CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** The path rules every accepted path satisfies (docs/file-protocol.md, "Paths"). */
export function checkComponents(path: readonly string[], showHidden: boolean): void {
  holds(path.length <= MAX_COMPONENTS, "path has at most 64 components", `${path.length}`);
  holds(byteLength(path.join("/")) <= MAX_PATH_BYTES, "path is at most 1024 bytes");
  for (const component of path) {
    holds(
      component !== "" && component !== "." && component !== "..",
      "no empty, . or .. component",
      show(path),
    );
    holds(!/[/\\]/.test(component), "no separator in a component", show(component));
    holds(!PATH_CONTROL.test(component), "no control character in a path", show(component));
    holds(byteLength(component) <= MAX_COMPONENT_BYTES, "component is at most 255 bytes");
    holds(showHidden || !component.startsWith("."), "no hidden component", show(component));
  }
}

function checkRequest(request: Request, showHidden: boolean): void {
  const safe = (n: number) => Number.isSafeInteger(n) && n >= 0;
  switch (request.verb) {
    case "HELLO":
      holds(safe(request.version) && request.version >= 1, "HELLO version is ≥ 1");
      return;
    case "QUIT":
      return;
    case "PUT":
      holds(/^[0-9a-f]{64}$/.test(request.sha256), "PUT SHA256 is 64 lowercase hex digits");
      holds(safe(request.size), "PUT size is a safe integer", `${request.size}`);
      break;
    case "GET":
      holds(safe(request.offset), "GET offset is a safe integer", `${request.offset}`);
      break;
    case "STAT":
    case "LIST":
    case "HASH":
      break;
    default:
      holds(false, "verb is one of the protocol's", show(request));
  }
  checkComponents(request.path, showHidden);
}

function parseRequestLine(line: string, showHidden: boolean): Request | undefined {
  try {
    return parseRequest(line, { showHidden });
  } catch (err) {
    refused(err, ProtocolError);
    const code = (err as ProtocolError).code;
    holds([400, 403, 505].includes(code), "a request is refused with 400, 403 or 505", `${code}`);
    return undefined;
  }
}

/** Request lines as the server reads them: strict UTF-8, then `parseRequest`. */
export const request: FuzzTarget = {
  name: "files.request",
  about: "request line → parseRequest (hidden off/on): ProtocolError only, path rules, round trip",
  kind: "text",
  seeds: [
    "HELLO 1",
    "HELLO 2",
    "STAT ",
    "STAT a.txt",
    "LIST ",
    "LIST docs",
    "LIST docs/sub",
    "GET a.txt 0",
    "GET docs/a%20b.txt 12",
    "GET %E4%BD%A0%E5%A5%BD.txt 0",
    "GET .env 0",
    `PUT up/new.bin 5 ${SHA}`,
    "QUIT",
  ],
  tokens: ["HELLO", "STAT", "LIST", "GET", "PUT", "QUIT", SHA, "%2e", ".hidden/", "a/"],
  maxBytes: 3 * MAX_LINE,
  check(input: Uint8Array, origin: Origin): Verdict {
    const line = strictTextOf(input);
    if (line === undefined) return "rejected"; // the server answers ERR 400 itself
    const strict = parseRequestLine(line, false);
    const open = parseRequestLine(line, true);
    if (strict) same(open, strict, "showing hidden files never changes an accepted request");
    for (const [parsed, showHidden] of [[strict, false], [open, true]] as const) {
      if (!parsed) continue;
      checkRequest(parsed, showHidden);
      const again = parseRequestLine(formatRequest(parsed), showHidden);
      same(again, parsed, "parseRequest(formatRequest(r)) == r");
    }
    if (origin !== "mutated" && open) {
      same(formatRequest(open), line, "a canonical request line round-trips");
    }
    return open ? "accepted" : "rejected";
  },
};

/** The parse, or undefined when it throws the protocol's error (anything else propagates). */
function attemptParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    refused(err, ProtocolError);
    return undefined;
  }
}

/** Reply lines and LIST entries as the client reads them (lossy UTF-8, like the client). */
export const reply: FuzzTarget = {
  name: "files.reply",
  about: "reply/entry line → parseReply, parseEntry: ProtocolError only, entry rules, round trip",
  kind: "text",
  seeds: [
    "OK HELLO 1 sockit/0.1.0",
    "OK STAT f 12 1732200000000",
    "OK LIST 2",
    `OK GET 12 1732200000000 0 12 ${SHA}`,
    `OK PUT 5 ${SHA}`,
    "ERR 404 no such file",
    "ERR 414 line over 4096 bytes",
    "f 12 1732200000000 notes.txt",
    "d 0 1732200000000 docs",
    "f 3 0 a%20b%0A.txt",
    "f 0 0 %E2%80%AE",
  ],
  tokens: ["OK ", "ERR ", "f ", "d ", "LIST", "GET", "9007199254740991", "%2F", "%00"],
  maxBytes: 3 * MAX_LINE,
  check(input: Uint8Array, origin: Origin): Verdict {
    const line = textOf(input);
    const parsed = attemptParse(() => parseReply(line));
    if (parsed?.ok) {
      same(`OK ${[parsed.verb, ...parsed.fields].join(" ")}`, line, "an OK reply round-trips");
    } else if (parsed && parsed.code >= 100) {
      holds(parsed.code <= 999, "an ERR code has three digits");
      const formatted = formatError(parsed.code, parsed.reason);
      if (/^ERR [1-9]/.test(line) && !/[\r\n]/.test(parsed.reason)) {
        same(formatted, line, "an ERR reply round-trips");
      }
      same(
        attemptParse(() => parseReply(formatted)),
        { ok: false, code: parsed.code, reason: parsed.reason.replace(/[\r\n]+/g, " ") },
        "parseReply(formatError(code, reason)) gives the code and reason back",
      );
    }
    const entry = attemptParse(() => parseEntry(line));
    if (entry) {
      holds(entry.type === "f" || entry.type === "d", "an entry is f or d");
      holds(Number.isSafeInteger(entry.size) && entry.size >= 0, "entry size is a safe integer");
      holds(Number.isSafeInteger(entry.mtime) && entry.mtime >= 0, "entry mtime is a safe integer");
      holds(
        entry.name !== "" && entry.name !== "." && entry.name !== ".." &&
          !/[/\\\0]/.test(entry.name),
        "an entry name cannot leave the destination",
        show(entry.name),
      );
      holds(byteLength(entry.name) <= MAX_COMPONENT_BYTES, "an entry name is at most 255 bytes");
      same(
        attemptParse(() => parseEntry(formatEntry(entry))),
        entry,
        "parseEntry(formatEntry(e)) == e",
      );
      if (origin !== "mutated") {
        same(formatEntry(entry), line, "a canonical entry line round-trips");
      }
    }
    return parsed || entry ? "accepted" : "rejected";
  },
  generate(rng: Rng): string {
    // An ERR reply with any one-line reason the server may send: its parse must give it back.
    const pieces = [
      "no such file",
      'bad offset "',
      "\u2028",
      "\u2029",
      "\u0085",
      "é",
      "%",
      " ",
      "\t",
    ];
    let reason = "";
    for (let i = rng.int(0, 6); i > 0; i--) reason += rng.pick(pieces);
    return formatError(rng.int(100, 599), reason);
  },
};

/** A `Readable` that hands out `data` in the given chunk sizes. */
function chunkedSource(data: Uint8Array, rng: Rng) {
  let at = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (at >= data.length) return Promise.resolve(null);
      const n = Math.min(p.length, data.length - at, 1 + rng.below(rng.chance(0.5) ? 8 : 5000));
      p.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

/** The reference: lines split on LF, each checked against `max` (`ConnReader.readLine`'s contract). */
function referenceLines(data: Uint8Array, max: number): (Uint8Array | "too-long")[] {
  const out: (Uint8Array | "too-long")[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const terminated = end >= 0;
    if (!terminated) end = data.length;
    let line = data.subarray(start, end);
    // One CR before the LF is dropped; an unterminated last line comes as it is.
    if (terminated && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length > max) {
      out.push("too-long");
      return out;
    }
    out.push(line);
    start = end + 1;
  }
  return out;
}

/** The line framing of both ends: `ConnReader.readLine` over any chunking. */
export const framing: FuzzTarget = {
  name: "files.framing",
  about: "byte stream → ConnReader.readLine(max) in random chunks: lines ≤ max, same as whole",
  kind: "bytes",
  seeds: [
    "HELLO 1\nGET a.txt 0\n",
    "GET a.txt\r\nLIST\r\n",
    "no line end",
    "\n\n\r\n",
    "x".repeat(40) + "\n",
  ],
  maxBytes: 20_000,
  async check(input: Uint8Array): Promise<Verdict> {
    const rng = Rng.forBytes(input);
    const max = rng.chance(0.5) ? 16 : MAX_LINE;
    // Any buffer that holds a longest line with its CR LF (the servers use 256 KiB).
    const buffer = rng.chance(0.5) ? max + 2 + rng.below(64) : 256 * 1024;
    const reader = new ConnReader(chunkedSource(input, rng), buffer);
    const lines: (Uint8Array | "too-long")[] = [];
    for (let i = 0; i <= input.length + 1; i++) {
      let line;
      try {
        line = await reader.readLine(max);
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        lines.push("too-long");
        break;
      }
      if (line === null) break;
      holds(line.length <= max, "a line is at most max bytes", `${line.length} > ${max}`);
      lines.push(line.slice());
    }
    const expected = referenceLines(input, max);
    holds(
      lines.length === expected.length &&
        lines.every((line, i) => {
          const want = expected[i]!;
          return line === "too-long" || want === "too-long"
            ? line === want
            : equalBytes(line, want);
        }),
      "lines are the same whatever the chunking",
      () => `got ${show(lines)}, expected ${show(expected)} (max ${max})`,
    );
    return lines.includes("too-long") ? "rejected" : "accepted";
  },
};

/** The HTTP face's Range header for several representation sizes. */
export const range: FuzzTarget = {
  name: "files.range",
  about: "Range header → parseRange(h, size): never throws, range inside the file, round trip",
  kind: "text",
  seeds: ["bytes=0-99", "bytes=-100", "bytes=100-", "bytes=0-0", "bytes=5-2", "bytes=-0"],
  tokens: ["bytes=", "-", ",", "9007199254740993", "bytes=0-1,3-4"],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const header = textOf(input);
    let understood = false;
    for (const size of [0, 1, 100, 1 << 20, 2 ** 40]) {
      const result = parseRange(header, size);
      if (result !== undefined) understood = true;
      if (result === undefined || result === "unsatisfiable") continue;
      holds(
        Number.isSafeInteger(result.start) && Number.isSafeInteger(result.end) &&
          result.start >= 0 && result.start <= result.end && result.end <= size - 1,
        "a range lies inside the file",
        () => `${show(result)} of ${size}`,
      );
      same(parseRange(`bytes=${result.start}-${result.end}`, size), result, "a range round-trips");
    }
    return understood ? "accepted" : "rejected";
  },
};

/** Bytes of a few requests in a row, for the server-level fuzz tests. */
export function requestStream(lines: readonly string[]): Uint8Array {
  return concat(lines.map((line) => new TextEncoder().encode(`${line}\n`)));
}
