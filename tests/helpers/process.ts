/**
 * Test helpers: run sockit (or a real peer) as a subprocess, wait for lines
 * on its output with a bound, and always clean up what was started.
 *
 * @module
 */

import { concatBytes } from "../../src/net/buffer.ts";

/** The Deno running the tests; subprocesses use the same one. */
export const DENO = Deno.execPath();
/** Absolute path of the CLI entrypoint. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options for {@linkcode Spawned}. */
export interface SpawnOptions {
  /** @default {"piped"} */
  stdin?: "piped" | "null";
  cwd?: string;
  env?: Record<string, string>;
}

/** The outcome of a finished process. */
export interface Finished {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** A running subprocess whose stdout and stderr are collected as they arrive. */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #stdout: Uint8Array[] = [];
  #stderr = "";
  #stdoutText = "";
  #waiters = new Set<() => void>();
  #pumps: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  // One streaming decoder per stream: a partial UTF-8 sequence must not leak across processes.
  #stdoutDecoder = new TextDecoder();
  #stderrDecoder = new TextDecoder();

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    const { stdin = "piped", cwd, env } = options;
    this.child = new Deno.Command(command, {
      args,
      stdin,
      stdout: "piped",
      stderr: "piped",
      ...(cwd ? { cwd } : {}),
      ...(env ? { env } : {}),
    }).spawn();
    if (stdin === "piped") this.#writer = this.child.stdin.getWriter();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout, (chunk) => {
        this.#stdout.push(chunk);
        this.#stdoutText += this.#stdoutDecoder.decode(chunk, { stream: true });
      }),
      this.#pump(this.child.stderr, (chunk) => {
        this.#stderr += this.#stderrDecoder.decode(chunk, { stream: true });
      }),
    ]).then(() => {});
    this.#status = this.child.status.then(async (status) => {
      // Output still in the pipes counts as before the exit: drain it first.
      await this.#pumps;
      this.#exited = true;
      this.#notify();
      return status;
    });
  }

  /** stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** stdout so far, as text. */
  get stdout(): string {
    return this.#stdoutText;
  }

  async #pump(stream: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void) {
    for await (const chunk of stream) {
      onChunk(chunk);
      this.#notify();
    }
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /**
   * Waits until `pattern` matches stderr (or stdout with `on: "stdout"`).
   *
   * @throws when the process exits first or `timeoutMs` passes
   */
  waitFor(
    pattern: RegExp,
    options: { on?: "stdout" | "stderr"; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    const { on = "stderr", timeoutMs = 10_000 } = options;
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(on === "stderr" ? this.#stderr : this.#stdoutText);
        if (match) return done(() => resolve(match));
        if (this.#exited) {
          return done(() =>
            reject(new Error(`process exited before ${pattern}; stderr:\n${this.#stderr}`))
          );
        }
      };
      const timer = setTimeout(() => {
        done(() =>
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${pattern}; stderr:\n${this.#stderr}\nstdout:\n${this.#stdoutText}`,
            ),
          )
        );
      }, timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for `listening on HOST:PORT` and returns the port. */
  async port(options: { label?: string; timeoutMs?: number } = {}): Promise<number> {
    const { label, timeoutMs } = options;
    const suffix = label ? ` \\(${label}\\)` : "";
    const match = await this.waitFor(
      new RegExp(`listening on (?:\\[[^\\]]+\\]|[^\\s:]+):(\\d+)${suffix}`),
      timeoutMs === undefined ? {} : { timeoutMs },
    );
    return Number(match[1]);
  }

  /** Writes text (or bytes) to stdin. */
  async write(data: string | Uint8Array): Promise<void> {
    if (!this.#writer) throw new Error("stdin is not piped");
    await this.#writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** Closes stdin (EOF for the process). */
  async closeStdin(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.close().catch(() => {});
  }

  /** Sends a signal if the process is still running. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * Waits for the process to exit by itself within `timeoutMs` (then kills
   * it and throws), and returns its exit status and output.
   */
  async finish(timeoutMs = 15_000): Promise<Finished> {
    await this.closeStdin();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill("SIGKILL");
        reject(new Error(`process did not exit within ${timeoutMs} ms; stderr:\n${this.#stderr}`));
      }, timeoutMs);
    });
    try {
      const status = await Promise.race([this.#status, timeout]);
      await this.#pumps;
      const stdoutBytes = concatBytes(this.#stdout);
      return {
        code: status.code,
        signal: status.signal,
        stdout: this.#stdoutText,
        stderr: this.#stderr,
        stdoutBytes,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.kill("SIGKILL");
    await this.#status;
    await this.#pumps;
  }
}

/** Starts `deno run PERMISSIONS main.ts ARGS…`. */
export function sockit(
  args: string[],
  permissions: string[] = ["--allow-net=127.0.0.1"],
  options: SpawnOptions = {},
): Spawned {
  return new Spawned(DENO, ["run", "--no-prompt", ...permissions, MAIN, ...args], options);
}

/** Runs sockit to completion with `input` on stdin. */
export async function runSockit(
  args: string[],
  options: { permissions?: string[]; input?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<Finished> {
  const { permissions, input, timeoutMs } = options;
  const proc = sockit(args, permissions, { stdin: input === undefined ? "null" : "piped" });
  if (input !== undefined) await proc.write(input);
  return await proc.finish(timeoutMs);
}

/** Is `name` on PATH? */
export function hasCommand(name: string): boolean {
  try {
    const { success } = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
}

/**
 * Whether an interop test for `peer` should be skipped: only when the peer
 * is missing and this is not CI (in CI a missing peer must fail the test).
 */
export function skipWithout(...peers: string[]): boolean {
  if (Deno.env.get("CI")) return false;
  return peers.some((peer) => !hasCommand(peer));
}
