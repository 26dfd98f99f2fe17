/**
 * Where everything a command prints goes: data to stdout, status to stderr,
 * JSON Lines events to stdout with `--json`. All stdout writes are serialized
 * so events and data never interleave mid-write.
 *
 * @module
 */

import type { CliError } from "./errors.ts";

/** A byte sink like `Deno.stdout`. */
export interface ByteWriter {
  write(p: Uint8Array): Promise<number>;
}

/** A synchronous byte sink like `Deno.stderr`. */
export interface SyncByteWriter {
  writeSync(p: Uint8Array): number;
}

/** Options for {@linkcode Output}. */
export interface OutputOptions {
  /** JSON Lines on stdout instead of status text on stderr. @default {false} */
  json?: boolean;
  /** Silence status lines. @default {false} */
  quiet?: boolean;
  /** Extra detail lines. @default {false} */
  verbose?: boolean;
  /** @default {Deno.stdout} */
  stdout?: ByteWriter;
  /** @default {Deno.stderr} */
  stderr?: SyncByteWriter;
}

/** A JSON event: `event` names it, the rest are its fields. */
export type OutputEvent = { event: string } & Record<string, unknown>;

const encoder = new TextEncoder();

/** The printing side of a command. */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  #stdout: ByteWriter;
  #stderr: SyncByteWriter;
  #chain: Promise<void> = Promise.resolve();
  #stdoutBroken = false;

  constructor(options: OutputOptions = {}) {
    const {
      json = false,
      quiet = false,
      verbose = false,
      stdout = Deno.stdout,
      stderr = Deno.stderr,
    } = options;
    this.json = json;
    this.quiet = quiet;
    this.verbose = verbose;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** True once stdout refused a write (closed pipe): callers may stop producing data. */
  get stdoutBroken(): boolean {
    return this.#stdoutBroken;
  }

  /**
   * Reports a status change: the event as JSON on stdout with `--json`,
   * otherwise `text` on stderr unless `--quiet`.
   */
  status(text: string, event?: OutputEvent): void {
    if (this.json) {
      if (event) this.#enqueue(encoder.encode(JSON.stringify(event) + "\n"));
      return;
    }
    if (!this.quiet) this.#line(text);
  }

  /**
   * Like {@linkcode status} but printed even with `--quiet`: the readiness
   * line (`listening on …`) that scripts wait for.
   */
  essential(text: string, event: OutputEvent): void {
    if (this.json) this.#enqueue(encoder.encode(JSON.stringify(event) + "\n"));
    else this.#line(text);
  }

  /** A line shown only with `--verbose` (on stderr, never in JSON). */
  detail(text: string): void {
    if (this.verbose && !this.json) this.#line(text);
  }

  /** A warning on stderr: `sockit: warning: …`, shown even with `--quiet`. */
  warn(text: string): void {
    this.#line(`sockit: warning: ${text}`);
  }

  /** Prints an error (and its hint) on stderr. */
  error(err: CliError): void {
    this.#line(`sockit: error: ${err.message}`);
    if (err.hint) this.#line(`hint: ${err.hint}`);
  }

  /** Writes raw data bytes to stdout, after everything queued before it. */
  data(bytes: Uint8Array): Promise<void> {
    return this.#enqueue(bytes);
  }

  /** Writes a JSON event to stdout (used for data events in `--json` mode). */
  event(event: OutputEvent): Promise<void> {
    return this.#enqueue(encoder.encode(JSON.stringify(event) + "\n"));
  }

  /** Resolves when every queued stdout write has finished. */
  flush(): Promise<void> {
    return this.#chain;
  }

  #line(text: string): void {
    const bytes = encoder.encode(text + "\n");
    try {
      let done = 0;
      while (done < bytes.length) done += this.#stderr.writeSync(bytes.subarray(done));
    } catch {
      // stderr gone: nothing sensible left to report to.
    }
  }

  #enqueue(bytes: Uint8Array): Promise<void> {
    this.#chain = this.#chain.then(() => this.#writeAll(bytes));
    return this.#chain;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#stdoutBroken) return;
    try {
      let done = 0;
      while (done < bytes.length) done += await this.#stdout.write(bytes.subarray(done));
    } catch (err) {
      if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
      this.#stdoutBroken = true;
    }
  }
}

/**
 * A JSON-safe view of bytes: `text` when they are valid UTF-8, plus `base64`
 * when they are not (text then holds the lossy decoding).
 */
export function bytesField(bytes: Uint8Array): { text: string; base64?: string } {
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { text: lossyUtf8.decode(bytes), base64: bytes.toBase64() };
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder("utf-8");
