/**
 * The TCP server endpoint: accepts clients (one, or many concurrently with
 * `-k`), runs the chosen mode on each, enforces `--max-conns` and `--idle`,
 * reports each connection, and stops cleanly when its signal aborts.
 *
 * Requires `--allow-net=HOST` (Unix sockets: `--allow-net=unix:PATH` plus `--allow-read` and `--allow-write` of PATH).
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { jsonText } from "../text/encoding.ts";
import { formatRate, formatSize } from "../console/format.ts";
import { AdaptiveBuffer } from "../net/buffer.ts";
import type { BoundListener } from "../net/endpoint.ts";
import type { AccessGate } from "../net/access_gate.ts";
import type { Taps } from "../net/tap.ts";
import { LineSplitter } from "../net/lines.ts";
import { QueuedWriter } from "../net/queued_writer.ts";
import {
  isDisconnect,
  joinedClosed,
  serveConnections,
  type ServerStats,
  type Session,
} from "../net/server.ts";
import { type ChunkSource, openStdin } from "../net/stdin.ts";
import { greetResponder, type LineResponder, stampResponder } from "./responder.ts";
import { describeExit, ExecStartError, type ExecStream, runExec } from "./exec.ts";

/** The server modes of `tcp listen --mode` (see docs/cli.md). */
export const TCP_MODES = ["stdio", "echo", "stamp", "greet", "sink"] as const;
/** One of {@linkcode TCP_MODES}. */
export type TcpMode = typeof TCP_MODES[number];

/**
 * The modes in which sockit answers each client itself, a loop per
 * connection: with `-k` they are served through `node:net`'s handles, fair
 * to every client under load (see `net/node_listener.ts`).
 */
export const FAIR_MODES: readonly TcpMode[] = ["echo", "stamp", "greet", "sink"];

/** Options for {@linkcode serveTcp}. */
export interface ServeTcpOptions {
  /** @default {"stdio"} */
  mode?: TcpMode;
  /** Keep accepting and serve clients concurrently (`-k`). @default {false} */
  keepOpen?: boolean;
  /** Clients over this many are told `busy` and closed. @default {1000} */
  maxConns?: number;
  /** Close a client after this many ms without traffic. */
  idleMs?: number | undefined;
  /** Greeting line of `greet` mode. */
  greeting?: string | undefined;
  /** Names the service in per-connection lines when one process runs several (`serve`). */
  label?: string | undefined;
  /** Stops the server: listener closed, clients closed. */
  signal?: AbortSignal;
  /** The `--allow`/`--deny` gate. */
  access?: AccessGate | undefined;
  /** Taps every connection's bytes (`-x`, `--log`). */
  taps?: Taps | undefined;
  /** `--exec`: each connection joined to a new process of this program (instead of `mode`). */
  exec?: ServeExecOptions | undefined;
  /** Opens the input of `stdio` mode (when the first client arrives). @default {openStdin} */
  stdin?: () => ChunkSource;
}

/** How `serveTcp` runs `--exec`. */
export interface ServeExecOptions {
  /** PROGRAM and its arguments. */
  argv: readonly string[];
  /**
   * The program cannot be run at all (not found, not permitted): called
   * once per failing connection; the caller decides whether to stop.
   */
  onStartFailure(err: unknown): void;
}

const LF = new Uint8Array([0x0a]);

/**
 * Serves clients on a bound listener in the chosen mode until done: after
 * the first client without `keepOpen`, or when `signal` aborts.
 *
 * @returns totals, for the summary line
 */
export function serveTcp(
  bound: BoundListener,
  out: Output,
  options: ServeTcpOptions = {},
): Promise<ServerStats> {
  const { mode = "stdio", keepOpen = false, greeting, stdin = openStdin, exec, ...rest } = options;
  const queues = new Map<Session, QueuedWriter>();
  let stdinPump: Promise<void> | undefined;
  const program = exec?.argv[0];
  return serveConnections(bound, out, {
    ...rest,
    keepOpen,
    // An --exec connection is reported like a relayed one: what it was joined to, and how long.
    ...(program === undefined
      ? {}
      : { closedReport: (session: Session) => joinedClosed(session, program, EXEC_ORDINARY) }),
    onOpen(session, sessions) {
      if (mode !== "stdio" || exec) return;
      if (keepOpen) queues.set(session, new QueuedWriter(session.conn));
      stdinPump ??= keepOpen
        ? broadcastStdin(stdin(), sessions, queues)
        : pipeStdin(stdin(), session);
    },
    async handle(session) {
      try {
        if (exec) await execSession(session, exec, out, rest.signal);
        else await runSession(session, { mode, greeting, out });
      } finally {
        queues.delete(session);
      }
    },
  });
}

interface SessionContext {
  mode: TcpMode;
  greeting: string | undefined;
  out: Output;
}

/** Runs one client's mode. */
function runSession(session: Session, context: SessionContext): Promise<void> {
  switch (context.mode) {
    case "echo":
      return echo(session);
    case "sink":
      return sink(session, context.out);
    case "stamp":
      return lines(session, stampResponder());
    case "greet": {
      const options = context.greeting === undefined ? {} : { greeting: context.greeting };
      return lines(session, greetResponder(options));
    }
    case "stdio":
      return toStdout(session, context.out);
  }
}

/** The close reasons an --exec connection's line leaves out. */
const EXEC_ORDINARY = new Set(["client closed"]);

/** Joins the session to a new process of the `--exec` program and reports how it ended. */
async function execSession(
  session: Session,
  exec: ServeExecOptions,
  out: Output,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stream: ExecStream = {
    read: (buffer) => session.read(buffer),
    write: (bytes) => session.send(bytes),
    closeWrite: () => session.conn.closeWrite(),
    close: () => session.close(),
  };
  const program = exec.argv[0] ?? "";
  let result;
  try {
    result = await runExec(stream, { argv: exec.argv, peer: session.peer, out, signal });
  } catch (err) {
    if (err instanceof ExecStartError || err instanceof Deno.errors.NotCapable) {
      session.closeReason ??= `cannot run ${program}`;
      exec.onStartFailure(err);
      return;
    }
    throw err;
  }
  out.status(`${describeExit(program, result)} (${session.peer})`, {
    event: "exited",
    from: session.peer,
    program,
    code: result.code,
    ...(result.signal === null ? {} : { signal: result.signal }),
    ...(result.killed === undefined ? {} : { reason: result.killed }),
  });
}

/** Reads from the session; null at end of stream. */
async function readFrom(session: Session, buffer: AdaptiveBuffer): Promise<Uint8Array | null> {
  const n = await session.read(buffer.buffer);
  return n === null ? null : buffer.filled(n);
}

async function echo(session: Session): Promise<void> {
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) await session.send(chunk);
}

async function sink(session: Session, out: Output): Promise<void> {
  const buffer = new AdaptiveBuffer();
  const started = performance.now();
  while (await readFrom(session, buffer) !== null) {
    // discard
  }
  const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
  out.status(
    `received ${formatSize(session.bytesIn)} in ${seconds.toFixed(3)} s (${
      formatRate(session.bytesIn / seconds)
    })`,
    {
      event: "sink",
      from: session.peer,
      bytesIn: session.bytesIn,
      seconds,
      bytesPerSecond: session.bytesIn / seconds,
    },
  );
}

async function lines(session: Session, responder: LineResponder): Promise<void> {
  for (const reply of responder.open()) await session.send(reply);
  const splitter = new LineSplitter();
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) {
    for (const line of splitter.push(chunk)) {
      if (await respond(session, responder, line)) return;
    }
  }
  const rest = splitter.flush();
  if (rest !== undefined) await respond(session, responder, rest);
}

/** Sends the responder's replies to a line; true when it asked to close. */
async function respond(session: Session, responder: LineResponder, line: Uint8Array) {
  const { replies, close } = responder.line(line);
  for (const reply of replies) await session.send(reply);
  if (close) session.closeReason ??= "client said exit";
  return close;
}

async function toStdout(session: Session, out: Output): Promise<void> {
  const buffer = new AdaptiveBuffer();
  for (let chunk; (chunk = await readFrom(session, buffer)) !== null;) {
    if (out.json) {
      await out.event({
        event: "data",
        from: session.peer,
        size: chunk.length,
        ...jsonText(chunk, "utf-8"),
      });
    } else {
      await out.data(chunk);
    }
  }
}

/**
 * Without `-k`: stdin goes to the one client. Stdin EOF does not shut the
 * connection down (as `nc -l` without `-N`): the client decides when it ends.
 */
async function pipeStdin(stdin: ChunkSource, session: Session): Promise<void> {
  try {
    for (let chunk; (chunk = await stdin.next()) !== null;) await session.send(chunk);
  } catch (err) {
    if (!isDisconnect(err)) throw err;
  }
}

/** With `-k`: each stdin line goes to every connected client, through its bounded queue. */
async function broadcastStdin(
  stdin: ChunkSource,
  sessions: ReadonlySet<Session>,
  queues: Map<Session, QueuedWriter>,
): Promise<void> {
  const splitter = new LineSplitter({ maxLength: 64 * 1024 });
  for (let chunk; (chunk = await stdin.next()) !== null;) {
    for (const line of splitter.push(chunk)) {
      const framed = new Uint8Array(line.length + 1);
      framed.set(line);
      framed.set(LF, line.length);
      for (const session of sessions) {
        if (!queues.get(session)?.write(framed)) session.close("not reading (send queue full)");
        else session.sent(framed);
      }
    }
  }
}
