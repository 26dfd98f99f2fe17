/**
 * `--exec "PROGRAM [ARGS…]"` (ncat `-e`): one connection joined to a new
 * process, without a shell. The socket's bytes go to the program's stdin
 * (the peer's half-close becomes stdin EOF), its stdout goes to the socket
 * (its EOF half-closes the socket), and its stderr goes to sockit's stderr a
 * line at a time, escaped and prefixed with the peer. The program is
 * killed when the peer goes away (a reset, a failed send, the server
 * stopping); the connection is closed when the program has exited and its
 * output is sent. Its exit status is reported.
 *
 * Requires `--allow-run=PROGRAM`.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import { escapeText } from "../text/escape.ts";
import { AdaptiveBuffer } from "../net/buffer.ts";

/** The connection a program is joined to. */
export interface ExecStream {
  /** Reads into `buffer`; null at the peer's end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Sends all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Shuts down the sending side (the program's stdout ended). */
  closeWrite(): Promise<void>;
  /** Closes the connection (a pending read then fails). */
  close(): void;
}

/** How the program ended. */
export interface ExecResult {
  /** The exit code (128 + N when killed by signal N). */
  code: number;
  /** The signal that ended it, if any. */
  signal: Deno.Signal | null;
  /** Why sockit killed it, if it did (`peer gone`, `stopped`). */
  killed: string | undefined;
}

/** The program could not be started (not found, not executable). */
export class ExecStartError extends Error {
  readonly program: string;

  constructor(program: string, cause: unknown) {
    const why = cause instanceof Deno.errors.NotFound
      ? "not found"
      : cause instanceof Deno.errors.PermissionDenied
      ? "permission denied (is it executable?)"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    super(`Cannot run "${program}": ${why}`, { cause });
    this.name = "ExecStartError";
    this.program = program;
  }
}

/** Options for {@linkcode runExec}. */
export interface RunExecOptions {
  /** PROGRAM and its arguments. */
  argv: readonly string[];
  /** Names the connection in the program's stderr lines (`[HOST:PORT] …`). */
  peer: string;
  out: Output;
  /** Stops the session: the program is killed and the connection closed. */
  signal?: AbortSignal | undefined;
  /** How long a killed program has to exit after SIGTERM before SIGKILL. @default {2000} */
  graceMs?: number;
}

/** The buffer the program's stdout is read into (bulk transfer size). */
const STDOUT_BUFFER = 256 * 1024;

/** Longest stderr line shown whole; a longer one is shown in pieces of this size. */
const MAX_STDERR_LINE = 4096;

/**
 * Starts the program and joins it to `stream` until it has exited and its
 * output is sent (or the peer went away and it was killed).
 *
 * @throws {ExecStartError} when the program cannot be started
 * @throws Deno's permission error when `--allow-run` lacks PROGRAM
 */
export async function runExec(stream: ExecStream, options: RunExecOptions): Promise<ExecResult> {
  const { argv, peer, out, signal, graceMs = 2000 } = options;
  const program = argv[0];
  if (program === undefined) throw new TypeError("runExec() needs a program");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    throw new ExecStartError(program, err);
  }

  let killed: string | undefined;
  let exited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const kill = (why: string) => {
    if (exited || killed !== undefined) return;
    killed = why;
    signalChild(child, "SIGTERM");
    killTimer = setTimeout(() => signalChild(child, "SIGKILL"), graceMs);
  };
  const onAbort = () => {
    kill("stopped");
    stream.close();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const status = child.status.then((s) => {
    exited = true;
    clearTimeout(killTimer);
    return s;
  });

  const gone = () => kill(signal?.aborted ? "stopped" : "peer gone");

  // socket → stdin; the peer's EOF closes stdin, its disappearance kills the program.
  const toStdin = (async () => {
    const writer = child.stdin.getWriter();
    const buffer = new AdaptiveBuffer();
    let open = true;
    for (;;) {
      let n: number | null;
      try {
        n = await stream.read(buffer.buffer);
      } catch {
        gone();
        break;
      }
      if (n === null) break;
      // Once the program stops reading (it exited or closed stdin), the rest is dropped.
      if (!open) continue;
      try {
        await writer.write(buffer.filled(n));
      } catch {
        open = false;
      }
    }
    if (open) await writer.close().catch(() => {});
    writer.releaseLock();
  })();

  // stdout → socket, read into one reused buffer; a failed send means the peer went away.
  const fromStdout = (async () => {
    const reader = child.stdout.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(STDOUT_BUFFER);
    try {
      for (;;) {
        const read = await reader.read(new Uint8Array(buffer));
        if (read.done || read.value === undefined) break;
        try {
          await stream.write(read.value);
        } catch {
          gone();
          await reader.cancel().catch(() => {});
          return;
        }
        buffer = read.value.buffer as ArrayBuffer;
      }
      await stream.closeWrite().catch(() => {});
    } finally {
      reader.releaseLock();
    }
  })();

  const fromStderr = pipeStderr(child.stderr, (line) => out.trace(`[${peer}] ${line}`));

  try {
    const [result] = await Promise.all([status, fromStdout, fromStderr]);
    return { code: result.code, signal: result.signal, killed };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // The program is done and its output sent (with a FIN). A peer still sending
    // gets a moment to finish, its bytes dropped: closing with them unread would
    // reset the connection, and a reset can destroy the answer before it is read.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([toStdin, new Promise((resolve) => timer = setTimeout(resolve, LINGER_MS))]);
    clearTimeout(timer);
    stream.close();
    await toStdin;
    await child.stdin.close().catch(() => {});
  }
}

/** How long a connection stays open for a peer still sending after the program's end. */
const LINGER_MS = 500;

function signalChild(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    child.kill(sig);
  } catch {
    // already exited
  }
}

/** Calls `line` for each stderr line (escaped; long lines in pieces), the last one even without LF. */
async function pipeStderr(
  stream: ReadableStream<Uint8Array>,
  line: (text: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  const emit = (text: string) => line(escapeText(text.replace(/\r$/, "")));
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      emit(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
    while (pending.length > MAX_STDERR_LINE) {
      emit(pending.slice(0, MAX_STDERR_LINE));
      pending = pending.slice(MAX_STDERR_LINE);
    }
  }
  pending += decoder.decode();
  if (pending !== "") emit(pending);
}

/** The status line of a program's end: `cat exited with code 0`, `cat killed by SIGTERM (peer gone)`. */
export function describeExit(program: string, result: ExecResult): string {
  const name = escapeText(program);
  if (result.signal !== null) {
    return `${name} killed by ${result.signal}${result.killed ? ` (${result.killed})` : ""}`;
  }
  return `${name} exited with code ${result.code}${result.killed ? ` (${result.killed})` : ""}`;
}
