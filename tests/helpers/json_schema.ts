/**
 * The `--json` vocabulary as data, and a small validator for it: every event
 * sockit prints, by name, with the fields each of its shapes requires and
 * allows. docs/json.md describes the same events in prose; the e2e harness
 * checks every `--json` stream a test produces against this file.
 *
 * @module
 */

/**
 * What a field holds:
 * - `string`: any string;
 * - `address`: `HOST:PORT` (`[IPv6]:PORT` for IPv6), `unix:PATH`, or `unix:#N`
 *   for a Unix-socket peer;
 * - `count`: an integer ≥ 0 (bytes, datagrams, connections, a port);
 * - `number`: a finite number;
 * - `seconds`: a number ≥ 0 (like every number, rounded to the millisecond);
 * - `boolean`, `null`, `object` (a plain object), `array`;
 * - `headers`: an array of `[name, value]` string pairs.
 */
export type FieldType =
  | "string"
  | "address"
  | "count"
  | "number"
  | "seconds"
  | "boolean"
  | "null"
  | "object"
  | "array"
  | "headers";

/** One shape of an event: the fields it must have and those it may have. */
export interface EventShape {
  /** What prints it (for messages and docs). */
  by: string;
  required: Record<string, FieldType | FieldType[]>;
  optional?: Record<string, FieldType | FieldType[]>;
  /** Further fields of any name are allowed (`ip` results). @default {false} */
  open?: boolean;
}

const service = { service: "string" } as const;
const tftpOptions = {
  blksize: "count",
  timeout: "count",
  windowsize: "count",
  tsize: "count",
} as const;

/** Every event, by its `event` name; a line is valid when it matches one shape. */
export const EVENTS: Record<string, EventShape[]> = {
  error: [{
    by: "any command that fails",
    required: { message: "string", exitCode: "count" },
    optional: { hint: "string" },
  }],
  listening: [
    {
      by: "every server",
      required: { host: "string", port: "count", transport: "string" },
      optional: { ...service, tls: "boolean", fingerprint: "string" },
    },
    { by: "a server on a Unix socket", required: { path: "string", transport: "string" } },
  ],
  connection: [
    { by: "stream servers", required: { from: "address" }, optional: service },
    { by: "relay udp (a new session)", required: { from: "address", to: "address" } },
  ],
  refused: [
    {
      by: "stream servers (busy)",
      required: { from: "address", reason: "string" },
      optional: service,
    },
    {
      by: "tftp serve",
      required: { from: "address", code: "count", reason: "string" },
      optional: { op: "string", file: "string", ...service },
    },
  ],
  closed: [
    {
      by: "stream servers",
      required: { from: "address", bytesIn: "count", bytesOut: "count" },
      optional: { reason: "string", ...service },
    },
    {
      by: "relay tcp, relay udp",
      required: {
        from: "address",
        to: "address",
        bytesIn: "count",
        bytesOut: "count",
        seconds: "seconds",
        reason: "string",
      },
      optional: service,
    },
    {
      by: "tcp listen --exec (to: the program)",
      required: {
        from: "address",
        to: "string",
        bytesIn: "count",
        bytesOut: "count",
        seconds: "seconds",
        reason: "string",
      },
    },
    { by: "tcp connect", required: { reason: "string", bytesIn: "count", bytesOut: "count" } },
    { by: "chat connect", required: { reason: "string" } },
    { by: "udp chat", required: { to: "address" } },
  ],
  summary: [
    {
      by: "stream servers and serve",
      required: { connections: "count", refused: "count", bytesIn: "count", bytesOut: "count" },
      optional: { datagrams: "count", tftp: "object", denied: "count" },
    },
    {
      by: "udp listen",
      required: { datagrams: "count", bytesIn: "count", peers: "count", truncated: "count" },
      optional: { denied: "count" },
    },
    {
      by: "relay udp",
      required: {
        sessions: "count",
        bytesIn: "count",
        bytesOut: "count",
        datagrams: "count",
        dropped: "count",
      },
      optional: { denied: "count" },
    },
    {
      by: "tftp serve",
      required: {
        sent: "count",
        received: "count",
        refused: "count",
        failed: "count",
        bytesIn: "count",
        bytesOut: "count",
      },
      optional: { denied: "count" },
    },
    {
      by: "port scan",
      required: {
        host: "string",
        ports: "count",
        open: "count",
        closed: "count",
        filtered: "count",
        seconds: "seconds",
      },
      optional: { untried: "count" },
    },
  ],
  connected: [{
    by: "tcp connect, chat join (with TLS: protocol, cipher, how the certificate was trusted)",
    required: { to: "address" },
    optional: { tls: "string", cipher: "string", trust: "string", fingerprint: "string" },
  }],
  denied: [{
    by: "every server (--allow/--deny)",
    required: { from: "address", transport: "string" },
    optional: service,
  }],
  exited: [
    {
      by: "tcp listen --exec",
      required: { from: "address", program: "string", code: "count" },
      optional: { signal: "string", reason: "string" },
    },
    {
      by: "tcp connect --exec",
      required: { to: "address", program: "string", code: "count" },
      optional: { signal: "string", reason: "string" },
    },
  ],
  data: [{
    by: "tcp connect, tcp listen",
    required: { from: "address", size: "count", text: "string" },
    optional: { base64: "string" },
  }],
  sink: [{
    by: "tcp listen --mode sink",
    required: { from: "address", bytesIn: "count", seconds: "seconds", bytesPerSecond: "number" },
  }],
  line: [{ by: "chat connect", required: { text: "string" } }],
  datagram: [
    {
      by: "udp listen, udp send, udp chat",
      required: { from: "address", size: "count", text: "string" },
      optional: { base64: "string", truncated: "boolean", peer: "boolean" },
    },
    { by: "serve (udp services)", required: { from: "address", size: "count" }, optional: service },
  ],
  sent: [
    {
      by: "udp send",
      required: { to: "address", datagrams: "count", bytesOut: "count" },
    },
    {
      by: "tftp serve",
      required: { file: "string", to: "address", size: "count" },
      optional: service,
    },
    {
      by: "tftp put",
      required: { path: "string", remote: "string", size: "count", seconds: "seconds" },
      optional: tftpOptions,
    },
  ],
  received: [{
    by: "tftp serve",
    required: { file: "string", from: "address", size: "count" },
    optional: service,
  }],
  failed: [{
    by: "tftp serve",
    required: { op: "string", file: "string", from: "address", reason: "string" },
    optional: service,
  }],
  saved: [
    {
      by: "files get",
      required: { path: "string", size: "count", sha256: "string", seconds: "seconds" },
    },
    {
      by: "tftp get",
      required: { path: "string", size: "count", seconds: "seconds" },
      optional: tftpOptions,
    },
  ],
  url: [{ by: "files serve --qr", required: { url: "string" } }],
  found: [{
    by: "files find",
    required: {
      name: "string",
      host: "string",
      files: "count",
      http: ["count", "null"],
      tls: "boolean",
    },
    optional: { fingerprint: "string" },
  }],
  fetched: [{
    by: "files get -r",
    required: { path: "string", files: "count" },
    optional: { fetched: "count", present: "count", resumed: "count", differ: "count" },
  }],
  uploaded: [
    {
      by: "files put",
      required: { path: "string", remote: "string", size: "count", sha256: "string" },
    },
    {
      by: "files serve (both faces)",
      required: { path: "string", size: "count", from: "address" },
      optional: { sha256: "string", ...service },
    },
  ],
  entry: [{
    by: "files ls",
    required: { type: "string", size: "count", mtime: "string", name: "string" },
  }],
  redirect: [{ by: "http get", required: { status: "count", url: "string" } }],
  response: [{
    by: "http get",
    required: {
      url: "string",
      status: "count",
      reason: "string",
      headers: "headers",
      size: "count",
      seconds: "seconds",
    },
    optional: { path: "string" },
  }],
  result: [{ by: "ip info, ip calc, ip same, port info, port free", required: {}, open: true }],
  interface: [{
    by: "ip interfaces",
    required: { name: "string", family: "string", address: "string" },
    optional: {
      netmask: "string",
      scopeid: ["count", "null"],
      cidr: "string",
      mac: "string",
    },
  }],
  test: [{
    by: "bench serve (a finished test)",
    required: {
      from: "address",
      protocol: "string",
      direction: "string",
      streams: "count",
      bytesIn: "count",
      bytesOut: "count",
      seconds: "seconds",
    },
    optional: { jitterMs: "number", lostPackets: "count", packets: "count", outOfOrder: "count" },
  }],
  start: [{
    by: "bench client",
    required: {
      to: "address",
      protocol: "string",
      num_streams: "count",
      blksize: "count",
      duration: "count",
      bytes: "count",
      reverse: "count",
      bidir: "count",
    },
    optional: { target_bitrate: "count", rtt_idle_ms: "object" },
  }],
  interval: [{
    by: "bench client",
    required: { streams: "array", sum: "object" },
    optional: { sum_bidir_reverse: "object", rtt_ms: "object" },
  }],
  end: [{
    by: "bench client",
    required: { streams: "array", sum_sent: "object", sum_received: "object" },
    optional: {
      sum_sent_bidir_reverse: "object",
      sum_received_bidir_reverse: "object",
      rtt_ms: "object",
    },
  }],
  port: [{
    by: "port scan",
    required: { port: "count", state: "string" },
    optional: service,
  }],
};

const ADDRESS = /^(?:\[[0-9A-Za-z:.%_-]+\]|[^\s:[\]]+):\d{1,5}$|^unix:\S/;

/** Why `value` is not a `type`, or undefined when it is. */
function typeProblem(value: unknown, type: FieldType): string | undefined {
  switch (type) {
    case "string":
      return typeof value === "string" ? undefined : "a string";
    case "address":
      return typeof value === "string" && ADDRESS.test(value) ? undefined : "a HOST:PORT string";
    case "count":
      return Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : "an integer ≥ 0";
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "a number";
    case "seconds":
      return typeof value === "number" && Number.isFinite(value) && value >= 0
        ? undefined
        : "a number of seconds ≥ 0";
    case "boolean":
      return typeof value === "boolean" ? undefined : "true or false";
    case "null":
      return value === null ? undefined : "null";
    case "object":
      return isPlainObject(value) ? undefined : "an object";
    case "array":
      return Array.isArray(value) ? undefined : "an array";
    case "headers":
      return Array.isArray(value) &&
          value.every((pair) =>
            Array.isArray(pair) && pair.length === 2 &&
            pair.every((part) => typeof part === "string")
          )
        ? undefined
        : "an array of [name, value] strings";
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first number (at any depth) with more than three decimals: float noise. */
function floatNoise(value: unknown, path: string): string | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) || Math.round(value * 1000) / 1000 === value
      ? undefined
      : `"${path}" is ${value}: more than three decimals`;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = floatNoise(item, `${path}[${i}]`);
      if (problem) return problem;
    }
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const problem = floatNoise(item, path ? `${path}.${key}` : key);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Why `event` does not fit `shape`, or undefined when it does. */
function shapeProblem(event: Record<string, unknown>, shape: EventShape): string | undefined {
  const { required, optional = {}, open = false } = shape;
  for (const field of Object.keys(required)) {
    if (!(field in event)) return `lacks "${field}"`;
  }
  for (const [field, value] of Object.entries(event)) {
    if (field === "event") continue;
    const type = required[field] ?? optional[field];
    if (type === undefined) {
      if (open) continue;
      return `has an unknown field "${field}"`;
    }
    const types = Array.isArray(type) ? type : [type];
    const problems = types.map((t) => typeProblem(value, t));
    if (problems.every((p) => p !== undefined)) {
      return `"${field}" is ${JSON.stringify(value)}, not ${problems.join(" or ")}`;
    }
  }
  return undefined;
}

/**
 * Checks one parsed JSON value against the vocabulary.
 *
 * @returns the shape it fits, or why it fits none
 */
export function checkEvent(value: unknown): { shape: EventShape } | { problem: string } {
  if (!isPlainObject(value)) return { problem: "not a JSON object" };
  const name = value.event;
  if (typeof name !== "string") return { problem: 'no "event" name' };
  const shapes = Object.hasOwn(EVENTS, name) ? EVENTS[name]! : undefined;
  if (!shapes) return { problem: `unknown event "${name}"` };
  const noise = floatNoise(value, "");
  if (noise) return { problem: noise };
  const problems: string[] = [];
  for (const shape of shapes) {
    const problem = shapeProblem(value, shape);
    if (problem === undefined) return { shape };
    problems.push(`as from ${shape.by}: ${problem}`);
  }
  return { problem: `"${name}" event fits no shape (${problems.join("; ")})` };
}

/** Why `value` is not a valid event, or undefined when it is one. */
export function eventProblem(value: unknown): string | undefined {
  const result = checkEvent(value);
  return "problem" in result ? result.problem : undefined;
}

/** A stdout line that is not a valid event, and why. */
export interface Violation {
  line: string;
  reason: string;
}

/**
 * Checks a `--json` stdout: every line (the last one only when it ends with
 * a newline, unless `complete`) must be a JSON object naming a known event
 * with that event's fields.
 *
 * @returns the lines that are not, in order
 */
export function jsonLinesViolations(stdout: string, options: { complete?: boolean } = {}) {
  const { complete = true } = options;
  const lines = stdout.split("\n");
  const last = lines.pop() ?? "";
  if (complete && last !== "") lines.push(last);
  const violations: Violation[] = [];
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      violations.push({ line, reason: "not JSON" });
      continue;
    }
    const reason = eventProblem(value);
    if (reason !== undefined) violations.push({ line, reason });
  }
  return violations;
}
