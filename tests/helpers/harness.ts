/**
 * The harness that tests and benchmarks share: run sockit (or a real peer)
 * as a subprocess, wait for a line on its output with a bound, read its
 * memory, find free ports, start the peers both need (python3 http.server,
 * in.tftpd), and always clean up what was started.
 *
 * @module
 */

import { concatBytes } from "../../src/net/buffer.ts";
import { jsonLinesViolations } from "./json_schema.ts";

/** The Deno running the tests or benchmarks; subprocesses use the same one. */
export const DENO = Deno.execPath();
/** Absolute path of the CLI entrypoint. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options for {@linkcode Spawned}. */
export interface SpawnOptions {
  /** @default {"piped"} */
  stdin?: "piped" | "null";
  /**
   * `"null"` sends stdout to /dev/null: bulk data a caller must not buffer.
   *
   * @default {"piped"}
   */
  stdout?: "piped" | "null";
  cwd?: string;
  env?: Record<string, string>;
  /** Names the process in error messages. @default the command's base name */
  name?: string;
  /** Default bound of {@linkcode Spawned.waitFor} and {@linkcode Spawned.port}. @default {10_000} */
  waitTimeoutMs?: number;
  /**
   * Samples resident memory every 50 ms while the process lives, so that
   * {@linkcode Spawned.memory} still knows the peak after it exits.
   *
   * @default {false}
   */
  trackMemory?: boolean;
  /**
   * stdout is JSON Lines (`--json`): {@linkcode Spawned.finish} and
   * {@linkcode Spawned.stop} fail when a line is not an event of the
   * vocabulary in `json_schema.ts`.
   *
   * @default {false}
   */
  jsonEvents?: boolean;
}

/** The outcome of a finished process. */
export interface Finished {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** Resident memory of a process in bytes. */
export interface Memory {
  /** The high-water mark (VmHWM). */
  peak: number;
  /** Now (VmRSS), or at the last sample before the process exited. */
  current: number;
}

/** A running subprocess whose stdout and stderr are collected as they arrive. */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly name: string;
  #stdout: Uint8Array[] = [];
  #stderr = "";
  #stdoutText = "";
  #waiters = new Set<() => void>();
  #readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  #pumps: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #waitTimeoutMs: number;
  #jsonEvents: boolean;
  #memory: Memory = { peak: 0, current: 0 };
  // One streaming decoder per stream: a partial UTF-8 sequence must not leak across processes.
  #stdoutDecoder = new TextDecoder();
  #stderrDecoder = new TextDecoder();

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    const {
      stdin = "piped",
      stdout = "piped",
      cwd,
      env,
      name = command.split("/").at(-1) ?? command,
      waitTimeoutMs = 10_000,
      trackMemory = false,
      jsonEvents = false,
    } = options;
    this.name = name;
    this.#waitTimeoutMs = waitTimeoutMs;
    this.#jsonEvents = jsonEvents && stdout === "piped";
    this.child = new Deno.Command(command, {
      args,
      stdin,
      stdout,
      stderr: "piped",
      ...(cwd ? { cwd } : {}),
      ...(env ? { env } : {}),
    }).spawn();
    if (stdin === "piped") this.#writer = this.child.stdin.getWriter();
    const pumps = [
      this.#pump(this.child.stderr, (chunk) => {
        this.#stderr += this.#stderrDecoder.decode(chunk, { stream: true });
      }),
    ];
    if (stdout === "piped") {
      pumps.push(this.#pump(this.child.stdout, (chunk) => {
        this.#stdout.push(chunk);
        this.#stdoutText += this.#stdoutDecoder.decode(chunk, { stream: true });
      }));
    }
    this.#pumps = Promise.all(pumps).then(() => {});
    if (trackMemory) {
      const sampler = setInterval(() => this.#sample(), 50);
      this.child.status.finally(() => clearInterval(sampler));
    }
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
    const reader = stream.getReader();
    this.#readers.push(reader);
    for (let read; !(read = await reader.read()).done;) {
      onChunk(read.value);
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
    const { on = "stderr", timeoutMs = this.#waitTimeoutMs } = options;
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(on === "stderr" ? this.#stderr : this.#stdoutText);
        if (match) return done(() => resolve(match));
        if (this.#exited) {
          return done(() =>
            reject(
              new Error(`${this.name} exited before ${pattern}; stderr:\n${this.#stderr}`),
            )
          );
        }
      };
      const timer = setTimeout(() => {
        done(() =>
          reject(
            new Error(
              `${this.name}: timed out after ${timeoutMs} ms waiting for ${pattern}; stderr:\n${this.#stderr}\nstdout:\n${this.#stdoutText}`,
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

  /** Waits for `listening on HOST:PORT` on stderr and returns the port. */
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
   * Peak and current resident memory, from /proc (Linux). With
   * `trackMemory` the figures survive the exit; without it they are
   * read now and are zero once the process is gone.
   */
  memory(): Memory {
    this.#sample();
    return { ...this.#memory };
  }

  #sample(): void {
    try {
      const status = Deno.readTextFileSync(`/proc/${this.child.pid}/status`);
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
      this.#memory = {
        peak: Math.max(this.#memory.peak, kb("VmHWM") * 1024),
        current: kb("VmRSS") * 1024,
      };
    } catch {
      // exited: keep the last sample
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
        reject(
          new Error(`${this.name} did not exit within ${timeoutMs} ms; stderr:\n${this.#stderr}`),
        );
      }, timeoutMs);
    });
    try {
      const status = await Promise.race([this.#status, timeout]);
      await this.#pumps;
      const stdoutBytes = concatBytes(this.#stdout);
      this.#checkJson(true);
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

  /**
   * Kills the process (SIGKILL) and waits until it is gone. A grandchild
   * that still holds the output pipes after 5 s no longer keeps this
   * waiting: the pipes are closed on our side.
   */
  async stop(): Promise<void> {
    await this.closeStdin();
    this.kill("SIGKILL");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), 5_000);
    });
    try {
      if (await Promise.race([this.#status, late]) === "late") {
        await Promise.all(this.#readers.map((reader) => reader.cancel().catch(() => {})));
      }
    } finally {
      clearTimeout(timer);
    }
    await this.#status;
    await this.#pumps;
    // Killed: a last line cut short by the kill is not held against the process.
    this.#checkJson(false);
  }

  /** With `jsonEvents`, throws on the first stdout lines that break the vocabulary (once). */
  #checkJson(complete: boolean): void {
    if (!this.#jsonEvents) return;
    this.#jsonEvents = false;
    const violations = jsonLinesViolations(this.#stdoutText, { complete });
    if (violations.length === 0) return;
    const list = violations.slice(0, 5).map(({ line, reason }) =>
      `  ${line.length > 300 ? line.slice(0, 300) + "…" : line}\n    ${reason}`
    );
    throw new Error(
      `${this.name} --json printed ${violations.length} line(s) outside the vocabulary ` +
        `(tests/helpers/json_schema.ts, docs/json.md):\n${list.join("\n")}`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Starts `deno run PERMISSIONS main.ts ARGS…`. */
export function sockit(
  args: string[],
  permissions: string[] = ["--allow-net=127.0.0.1"],
  options: SpawnOptions = {},
): Spawned {
  return new Spawned(DENO, ["run", "--no-prompt", ...permissions, MAIN, ...args], {
    name: ["sockit", ...args.slice(0, 2)].join(" "),
    jsonEvents: args.includes("--json"),
    ...options,
  });
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

/** Is `name` on PATH (or, with a slash, an executable file)? */
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

/** Options for {@linkcode freePort}. */
export interface FreePortOptions {
  /** @default {"tcp"} */
  transport?: "tcp" | "udp";
  /** @default {"127.0.0.1"} */
  hostname?: string;
}

/**
 * A port that was free a moment ago, for peers that cannot bind port 0 and
 * say which port they got.
 */
export function freePort(options: FreePortOptions = {}): number {
  const { transport = "tcp", hostname = "127.0.0.1" } = options;
  const socket = transport === "tcp"
    ? Deno.listen({ hostname, port: 0 })
    : Deno.listenDatagram({ hostname, port: 0, transport });
  const { port } = socket.addr as Deno.NetAddr;
  socket.close();
  return port;
}

/** `python3 -m http.server` on `dir`, bound to 127.0.0.1, ready; `port` is where it listens. */
export async function pythonHttpServer(
  dir: string,
  options: SpawnOptions = {},
): Promise<{ server: Spawned; port: number }> {
  const port = freePort();
  const server = new Spawned("python3", [
    "-u",
    "-m",
    "http.server",
    "--bind",
    "127.0.0.1",
    "--directory",
    dir,
    String(port),
  ], { name: "python3 http.server", ...options });
  await server.waitFor(/Serving HTTP/, { on: "stdout" });
  return { server, port };
}

/**
 * A loopback port whose listener never accepts and whose accept queue is
 * full: further SYNs are dropped, so connecting hangs until a timeout (a
 * "filtered" port on loopback).
 */
export async function silentPort(): Promise<{ blocker: Spawned; port: number }> {
  const blocker = new Spawned("python3", [
    "-c",
    [
      "import socket, time",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      "port = s.getsockname()[1]",
      "fill = []",
      "for _ in range(4):",
      "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); fill.append(c)",
      "time.sleep(0.3)",
      "print(port, flush=True)",
      "time.sleep(30)",
    ].join("\n"),
  ]);
  const [, port] = await blocker.waitFor(/^(\d+)\n/, { on: "stdout" });
  return { blocker, port: Number(port) };
}

/** Where tftp-hpa's server lives. */
export const IN_TFTPD = "/usr/sbin/in.tftpd";

/** Whether tftp-hpa's server is installed. */
export function hasInTftpd(): boolean {
  return hasCommand(IN_TFTPD);
}

/**
 * Starts in.tftpd (tftp-hpa) in the foreground on a loopback port, serving
 * `dir` (uploads may create files), and waits (≤ 10 s) until it answers.
 */
export async function startInTftpd(
  dir: string,
  options: SpawnOptions = {},
): Promise<{ server: Spawned; port: number }> {
  const user = new TextDecoder().decode(
    new Deno.Command("id", { args: ["-un"] }).outputSync().stdout,
  ).trim();
  const port = freePort({ transport: "udp" });
  const server = new Spawned(IN_TFTPD, [
    "-L",
    "-a",
    `127.0.0.1:${port}`,
    "-u",
    user,
    "-c",
    "-s",
    dir,
  ], { stdin: "null", ...options });
  // in.tftpd prints nothing when ready: ask it for a missing file until it answers.
  if (await answersTftp(port, 10_000)) return { server, port };
  await server.stop();
  throw new Error("in.tftpd did not answer within 10 s");
}

/** Sends a read request for a missing file every 200 ms until any datagram comes back. */
async function answersTftp(port: number, timeoutMs: number): Promise<boolean> {
  const encoder = new TextEncoder();
  const request = new Uint8Array([0, 1, ...encoder.encode("no-such-probe\0octet\0")]);
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const pending = probe.receive(new Uint8Array(1024));
  pending.catch(() => {});
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await probe.send(request, { transport: "udp", hostname: "127.0.0.1", port });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), 200);
      });
      const answer = await Promise.race([pending, quiet]);
      clearTimeout(timer);
      if (answer) return true;
    }
    return false;
  } finally {
    probe.close();
  }
}
