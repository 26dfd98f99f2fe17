/**
 * Errors that carry an exit code, and the translation of runtime errors
 * (Deno's error classes, aborted timers) into one-line messages with hints.
 *
 * @module
 */

/** Exit codes of every sockit command (see docs/cli.md). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15), as shells report it. */
  terminated: 143,
} as const;

/** An expected failure: `main.ts` prints the message (and hint) and exits with `exitCode`. */
export class CliError extends Error {
  /** The process exit code for this failure. */
  readonly exitCode: number;
  /** A second line telling the user how to fix it, when a fix is known. */
  readonly hint: string | undefined;

  /**
   * @param message one line, without the `sockit: error:` prefix
   * @param options exit code (default 1), optional hint and cause
   */
  constructor(message: string, options: CliErrorOptions = {}) {
    const { exitCode = ExitCode.failed, hint, cause } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CliError";
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Options for {@linkcode CliError}. */
export interface CliErrorOptions {
  /** @default {1} */
  exitCode?: number;
  /** The fix, printed as `hint: …`. */
  hint?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/** A usage error: exit code 2, with the command's usage line as hint. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
    this.name = "UsageError";
  }
}

/**
 * An expected failure of an operation (refused, cut off, not found, a peer
 * that broke its protocol), thrown by any layer with a one-line message. The
 * edge reports it with exit 1; a command adds a hint where it knows the fix.
 * Areas subclass it with a `reason` their command can map.
 */
export class OperationError extends Error {
  /** What would fix it, when the layer that failed knows (shown as `hint:`). */
  readonly hint: string | undefined;

  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OperationError";
    this.hint = options.hint;
  }
}

/**
 * A runtime error (Deno's `ConnectionRefused`, `AddrInUse`, a timeout …) with
 * what sockit was doing and where: thrown by endpoints, described at the edge
 * by {@linkcode describeError} ("connection refused by 127.0.0.1:9").
 */
export class SocketError extends Error {
  readonly context: ErrorContext;

  constructor(cause: unknown, context: ErrorContext) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "SocketError";
    this.context = context;
  }
}

/** True for the errors sockit expects to report in one line (no stack trace, even with -v). */
export function isExpectedError(err: unknown): boolean {
  return err instanceof CliError || err instanceof OperationError ||
    err instanceof SocketError || err instanceof InterruptedError ||
    (err instanceof Error && Object.values(Deno.errors).some((cls) => err instanceof cls));
}

/**
 * The run was interrupted (Ctrl-C, SIGTERM): thrown by any layer that notices
 * its abort signal; the edge turns it into exit 130. `detail` says what was
 * kept, e.g. "the .part file is kept for resuming".
 */
export class InterruptedError extends Error {
  constructor(detail?: string) {
    super(detail ? `interrupted; ${detail}` : "interrupted");
    this.name = "InterruptedError";
  }
}

/** The exit code of a command that ran to its end: 130 when it ended because of an interrupt, else 0. */
export function exitCodeOf(signal: AbortSignal | undefined): number {
  if (!signal?.aborted) return ExitCode.ok;
  return stoppedBy(signal);
}

/** 143 when `signal` was aborted by SIGTERM, otherwise 130 (Ctrl-C). */
export function stoppedBy(signal: AbortSignal): number {
  const reason = signal.reason;
  return reason instanceof DOMException && reason.message === "terminated"
    ? ExitCode.terminated
    : ExitCode.interrupted;
}

/**
 * Runs a parser over user input; its `SyntaxError`/`RangeError`/`TypeError`
 * becomes a {@linkcode UsageError} (exit 2). Other errors pass through.
 *
 * @example Turning a parse failure into exit 2
 * ```ts
 * import { input } from "./errors.ts";
 * const n = input(() => Number.parseInt("42", 10));
 * ```
 */
export function input<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof RangeError || err instanceof TypeError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

/** {@linkcode input} for an asynchronous parser (e.g. one that looks at the disk). */
export async function inputAsync<T>(parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof RangeError || err instanceof TypeError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

const PERMISSION_FLAGS: Record<string, string> = {
  net: "--allow-net",
  read: "--allow-read",
  write: "--allow-write",
  sys: "--allow-sys",
  env: "--allow-env",
  run: "--allow-run",
  ffi: "--allow-ffi",
  import: "--allow-import",
};

/**
 * Builds the `hint:` text for a Deno permission error, naming the exact flag.
 *
 * @param message the message of a `Deno.errors.NotCapable` or `PermissionDenied`
 * @returns `run with --allow-net=127.0.0.1:80`, or undefined when the message is not a permission message
 */
export function permissionHint(message: string): string | undefined {
  const match = /Requires (\w+) access(?: to "([^"]*)")?/.exec(message);
  if (!match) return undefined;
  const kind = match[1] ?? "";
  const flag = PERMISSION_FLAGS[kind] ?? `--allow-${kind}`;
  const what = match[2];
  return what ? `run with ${flag}=${what}` : `run with ${flag}`;
}

/** Context for {@linkcode describeError}: what sockit was doing. */
export interface ErrorContext {
  /** `HOST:PORT` or `unix:/path` being used, for messages like "connection refused by …". */
  address?: string;
  /** What was being done, e.g. "connect", "listen". */
  action?: "connect" | "listen" | "io";
  /** The timeout that applied, for "timed out" messages. */
  timeoutMs?: number;
}

/**
 * Turns any thrown value into a {@linkcode CliError} with a user-facing message.
 * Known runtime failures (refused, reset, in use, permission, timeout) get exit 1
 * and a hint where a fix is known; CliErrors pass through unchanged.
 */
export function describeError(err: unknown, context: ErrorContext = {}): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof InterruptedError) {
    return new CliError(err.message, { exitCode: ExitCode.interrupted, cause: err });
  }
  if (err instanceof SocketError) return describeError(err.cause, { ...context, ...err.context });
  if (err instanceof OperationError) {
    return new CliError(err.message, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
  }
  const { address = "", action = "io", timeoutMs } = context;
  const message = err instanceof Error ? err.message : String(err);
  const at = address ? ` ${address}` : "";
  if (err instanceof Deno.errors.NotCapable || isPermissionMessage(err)) {
    const hint = permissionHint(message);
    const what = /Requires (\w+ access(?: to "[^"]*")?)/.exec(message)?.[1] ?? message;
    return new CliError(`permission denied: ${what}`, { hint, cause: err });
  }
  if (err instanceof Deno.errors.AddrInUse) {
    return new CliError(`address${at} is already in use`, {
      hint: "stop the program using it, or pick another port (0 picks a free one)",
      cause: err,
    });
  }
  if (err instanceof Deno.errors.PermissionDenied && action === "listen") {
    const port = Number(/:(\d+)$/.exec(address)?.[1] ?? NaN);
    const hint = port > 0 && port < 1024
      ? `port ${port} needs root; use a port ≥ 1024`
      : "check the address and the file permissions";
    return new CliError(`not allowed to listen on${at}`, { hint, cause: err });
  }
  if (err instanceof Deno.errors.ConnectionRefused) {
    return new CliError(`connection refused by${at}`, { cause: err });
  }
  if (
    err instanceof Deno.errors.TimedOut ||
    (err instanceof DOMException && err.name === "TimeoutError")
  ) {
    const after = timeoutMs === undefined ? "" : ` after ${timeoutMs} ms`;
    const doing = action === "connect" ? `connecting to${at}` : `on${at}`;
    return new CliError(`timed out ${doing}${after}`, { cause: err });
  }
  if (err instanceof Deno.errors.ConnectionReset) {
    return new CliError(`connection reset by${at || " peer"}`, { cause: err });
  }
  if (err instanceof Deno.errors.BrokenPipe) {
    return new CliError(`connection closed by${at || " peer"} while sending`, { cause: err });
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return new CliError(`address${at} is not available on this machine`, {
      hint: "use 127.0.0.1, 0.0.0.0 or an address of one of this machine's interfaces",
      cause: err,
    });
  }
  if (err instanceof Deno.errors.NotFound && action !== "io") {
    return new CliError(`cannot ${action}${at}: ${firstLine(message)}`, { cause: err });
  }
  if (/failed to lookup address|Name or service not known|No address associated/i.test(message)) {
    return new CliError(`cannot resolve host of${at}`, { cause: err });
  }
  if (/Network is unreachable|No route to host/i.test(message)) {
    return new CliError(`network unreachable for${at}`, { cause: err });
  }
  const prefix = action === "io" ? "" : `cannot ${action}${at}: `;
  return new CliError(`${prefix}${firstLine(message)}`, { cause: err });
}

/** True for a missing Deno permission (`NotCapable`, or a `PermissionDenied` that says "Requires … access"). */
export function isPermissionError(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof Deno.errors.NotCapable || isPermissionMessage(e)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

function isPermissionMessage(err: unknown): boolean {
  return err instanceof Error && /^Requires \w+ access/.test(err.message);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}
