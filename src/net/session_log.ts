/**
 * `--log FILE`: the raw bytes of every session appended to FILE, each run
 * of bytes behind a header line that names the time, the connection and
 * the direction, so the file can be read by eye and split by a program:
 *
 * ```
 * # 2026-12-02T01:50:00.123Z 127.0.0.1:50312 open
 * # 2026-12-02T01:50:00.125Z 127.0.0.1:50312 < 6
 * hello
 * # 2026-12-02T01:50:00.126Z 127.0.0.1:50312 > 6
 * hello
 * # 2026-12-02T01:50:00.200Z 127.0.0.1:50312 close
 * ```
 *
 * A data header `# TIME PEER DIR N` is followed by exactly N raw bytes and
 * one `\n` added after them (so the next header starts a line whatever the
 * bytes were); `<` is received by sockit, `>` sent by it. FILE is opened
 * for appending and created if missing; earlier sessions are kept.
 *
 * Requires `--allow-write=FILE`.
 *
 * @module
 */

import { OperationError } from "../console/errors.ts";
import { escapeText } from "../text/escape.ts";

const encoder = new TextEncoder();
const LF = new Uint8Array([0x0a]);

/** What a log record says about a connection. */
export type LogDirection = "<" | ">";

/** An append-only session log. */
export class SessionLog implements Disposable {
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #now: () => Date;
  #failed: unknown;
  #closed = false;

  /**
   * Opens (or creates) FILE for appending.
   *
   * @throws {OperationError} `cannot open the log FILE: no such folder` (and the like), exit 1
   * @throws Deno's `NotCapable` without `--allow-write=FILE` (the edge names the plan)
   */
  constructor(path: string, options: { now?: () => Date } = {}) {
    this.path = path;
    this.#now = options.now ?? (() => new Date());
    try {
      this.#file = Deno.openSync(path, { append: true, create: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) throw err;
      const why = err instanceof Deno.errors.NotFound
        ? "no such folder"
        : err instanceof Deno.errors.PermissionDenied
        ? "permission denied"
        : err instanceof Deno.errors.IsADirectory
        ? "a folder"
        : err instanceof Error
        ? err.message
        : String(err);
      throw new OperationError(`cannot open the log ${escapeText(path)}: ${why}`, { cause: err });
    }
  }

  /** The log of `--log FILE`, or undefined when the option was not given. */
  static open(path: string | undefined): SessionLog | undefined {
    return path === undefined ? undefined : new SessionLog(path);
  }

  /** The first write error, if a write failed (the log then stops). */
  get failure(): unknown {
    return this.#failed;
  }

  /** A connection began. */
  open(peer: string): void {
    this.#write(encoder.encode(`# ${this.#stamp()} ${peer} open\n`));
  }

  /** A connection ended. */
  close(peer: string): void {
    this.#write(encoder.encode(`# ${this.#stamp()} ${peer} close\n`));
  }

  /** Bytes that went one way: a header, the bytes, a line end. */
  data(peer: string, direction: LogDirection, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#write(encoder.encode(`# ${this.#stamp()} ${peer} ${direction} ${bytes.length}\n`));
    this.#write(bytes);
    this.#write(LF);
  }

  #stamp(): string {
    return this.#now().toISOString();
  }

  #write(bytes: Uint8Array): void {
    if (this.#failed !== undefined || this.#closed) return;
    try {
      for (let done = 0; done < bytes.length;) done += this.#file.writeSync(bytes.subarray(done));
    } catch (err) {
      this.#failed = err;
    }
  }

  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}
