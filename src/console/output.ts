/**
 * Where everything a command prints goes: data to stdout, status to stderr,
 * JSON Lines events to stdout with `--json`. All stdout writes are serialized
 * so events and data never interleave mid-write.
 *
 * @module
 */

import type { CliError } from "./errors.ts";
import { clearProgressLine } from "./progress.ts";

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
/** The size of a batch of records (flushed at 64 KiB, or 5 ms after its first record). */
const BATCH_BYTES = 128 * 1024;

/**
 * An event as one JSON line, without float noise: `seconds` to the
 * millisecond, any other fraction to three decimals.
 *
 * @example Rounding
 * ```ts
 * import { eventJson } from "./output.ts";
 * eventJson({ event: "saved", seconds: 0.058791158999999996 }); // {"event":"saved","seconds":0.059}
 * ```
 */
export function eventJson(event: OutputEvent): string {
  return JSON.stringify(
    event,
    (_key, value) =>
      typeof value === "number" && !Number.isInteger(value) && Number.isFinite(value)
        ? Math.round(value * 1000) / 1000
        : value,
  );
}

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
      if (event) this.event(event);
      return;
    }
    if (!this.quiet) this.#line(text);
  }

  /**
   * Like {@linkcode status} but printed even with `--quiet`: the readiness
   * line (`listening on …`) that scripts wait for. Without an event, the
   * line has no JSON form (its facts are in another event).
   */
  essential(text: string, event?: OutputEvent): void {
    if (this.json) {
      if (event) this.event(event);
    } else this.#line(text);
  }

  /** A line shown only with `--verbose` (on stderr, never in JSON). */
  detail(text: string): void {
    if (this.verbose && !this.json) this.#line(text);
  }

  /**
   * Text the user asked to see on stderr (a hex dump, an exec'd program's
   * stderr), printed even with `--quiet` or `--json`. It must be safe to
   * print already (escaped).
   */
  trace(text: string): void {
    this.#line(text);
  }

  /** A warning on stderr: `sockit: warning: …`, shown even with `--quiet`. */
  warn(text: string): void {
    this.#line(`sockit: warning: ${text}`);
  }

  /**
   * Prints an error (and its hint) on stderr; with `--json` it is also an
   * `{"event":"error","message","hint","exitCode"}` line on stdout.
   */
  error(err: CliError): void {
    this.#line(`sockit: error: ${err.message}`);
    if (err.hint) this.#line(`hint: ${err.hint}`);
    if (this.json) {
      this.event({
        event: "error",
        message: err.message,
        ...(err.hint ? { hint: err.hint } : {}),
        exitCode: err.exitCode,
      });
    }
  }

  /** Writes raw data bytes to stdout, after everything queued before it. */
  data(bytes: Uint8Array): Promise<void> {
    this.#flushRecords();
    return this.#enqueue(bytes);
  }

  /** Writes a JSON event to stdout (used for data events in `--json` mode). */
  event(event: OutputEvent): Promise<void> {
    this.#flushRecords();
    return this.#enqueue(encoder.encode(eventJson(event) + "\n"));
  }

  /**
   * Queues one line of data for stdout (a datagram, a JSON record). Lines are
   * written in batches: at 64 KiB, or 5 ms after the first one waits, so a
   * high message rate does not cost one write each.
   *
   * @returns a promise to await before producing more when stdout has fallen
   * more than 4 MiB behind (backpressure), otherwise undefined
   */
  record(line: string): Promise<void> | undefined {
    return this.recordBytes(line, undefined);
  }

  /**
   * Like {@linkcode record}, for a line made of a text `prefix` and raw
   * `body` bytes that are already safe to print (copied, not re-encoded).
   */
  recordBytes(prefix: string, body: Uint8Array | undefined): Promise<void> | undefined {
    const need = prefix.length * 3 + (body?.length ?? 0) + 1;
    if (this.#batchLength + need > this.#batch.length) this.#flushRecords();
    if (need > this.#batch.length) this.#batch = new Uint8Array(need);
    // A hot path repeats its prefix (a sender's `HOST:PORT `): encoded once.
    if (prefix !== this.#lastPrefix) {
      this.#lastPrefix = prefix;
      this.#lastPrefixBytes = encoder.encode(prefix);
    }
    this.#batch.set(this.#lastPrefixBytes, this.#batchLength);
    this.#batchLength += this.#lastPrefixBytes.length;
    if (body) {
      this.#batch.set(body, this.#batchLength);
      this.#batchLength += body.length;
    }
    this.#batch[this.#batchLength++] = 0x0a;
    if (this.#batchLength >= 64 * 1024) this.#flushRecords();
    else this.#recordTimer ??= setTimeout(() => this.#flushRecords(), 5);
    return this.#backlog > 4 * 1024 * 1024 ? this.#chain : undefined;
  }

  /** {@linkcode record} for a JSON object. */
  recordEvent(event: OutputEvent): Promise<void> | undefined {
    return this.record(eventJson(event));
  }

  /** Resolves when every queued stdout write has finished. */
  flush(): Promise<void> {
    this.#flushRecords();
    return this.#chain;
  }

  #batch = new Uint8Array(BATCH_BYTES);
  #batchLength = 0;
  #lastPrefix = "";
  #lastPrefixBytes = new Uint8Array(0);
  /** Written batches, reused (a fresh 128 KiB array per batch cost a zero-fill each). */
  #spareBatches: Uint8Array<ArrayBuffer>[] = [];
  #recordTimer: ReturnType<typeof setTimeout> | undefined;
  #backlog = 0;

  #flushRecords(): void {
    clearTimeout(this.#recordTimer);
    this.#recordTimer = undefined;
    if (this.#batchLength === 0) return;
    const batch = this.#batch;
    // The written batch belongs to the write queue until written; records go to another.
    const bytes = batch.subarray(0, this.#batchLength);
    this.#batch = this.#spareBatches.pop() ?? new Uint8Array(BATCH_BYTES);
    this.#batchLength = 0;
    this.#enqueue(bytes).then(() => {
      if (batch.length === BATCH_BYTES && this.#spareBatches.length < 4) {
        this.#spareBatches.push(batch);
      }
    }, () => {});
  }

  #line(text: string): void {
    clearProgressLine();
    const bytes = encoder.encode(text + "\n");
    try {
      let done = 0;
      while (done < bytes.length) done += this.#stderr.writeSync(bytes.subarray(done));
    } catch {
      // stderr gone: nothing sensible left to report to.
    }
  }

  #enqueue(bytes: Uint8Array): Promise<void> {
    this.#backlog += bytes.length;
    this.#chain = this.#chain.then(() => this.#writeAll(bytes)).finally(() => {
      this.#backlog -= bytes.length;
    });
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
