/**
 * One direction of a joined pair of streams: read a chunk, write it whole,
 * read the next, and at end of stream shut down the other side's write half
 * (half-close carried through). One read buffer per direction, reused: no
 * chunk is copied or queued, so a side that stops reading stops the pump
 * and memory stays bounded by the buffer (at most 256 KiB).
 *
 * A `tap` sees each chunk between read and write (a hex dump, a session
 * log); `onRead`/`onWritten` count bytes.
 *
 * @module
 */

import { AdaptiveBuffer } from "./buffer.ts";

/** Where a pump reads from: `Deno.Conn`, or anything with its `read`. */
export interface PumpSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Where a pump writes to: `Deno.Conn`, or anything with its `write` and `closeWrite`. */
export interface PumpSink {
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
}

/** Options for {@linkcode pump}. */
export interface PumpOptions {
  /**
   * Sees each chunk after it was read and before it is written; the pump
   * waits for it. The view is valid only until the promise settles.
   */
  tap?: (chunk: Uint8Array) => void | Promise<void>;
  /** Called with the size of each chunk read. */
  onRead?: (n: number) => void;
  /** Called with the size of each part written. */
  onWritten?: (n: number) => void;
  /** Shut down the sink's write side at end of stream. @default {true} */
  closeWrite?: boolean;
  /** The read buffer. @default a new {@linkcode AdaptiveBuffer} (4 KiB growing to 256 KiB) */
  buffer?: AdaptiveBuffer;
}

/** A pump stopped on a failed read (the source's side) or write (the sink's side). */
export class PumpError extends Error {
  /** `read`: the source failed; `write`: the sink failed (its write or its closeWrite). */
  readonly side: "read" | "write";

  constructor(side: "read" | "write", cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "PumpError";
    this.side = side;
  }
}

/**
 * Moves bytes from `source` to `sink` until the source ends, then shuts
 * down the sink's write side (unless `closeWrite` is false).
 *
 * @returns the number of bytes moved
 * @throws {PumpError} when a read or write fails (`side` says which)
 */
export async function pump(
  source: PumpSource,
  sink: PumpSink,
  options: PumpOptions = {},
): Promise<number> {
  const { tap, onRead, onWritten, closeWrite = true, buffer = new AdaptiveBuffer() } = options;
  let total = 0;
  for (;;) {
    let n: number | null;
    try {
      n = await source.read(buffer.buffer);
    } catch (err) {
      throw new PumpError("read", err);
    }
    if (n === null) break;
    onRead?.(n);
    const chunk = buffer.filled(n);
    if (tap) await tap(chunk);
    try {
      for (let done = 0; done < chunk.length;) {
        const written = await sink.write(chunk.subarray(done));
        done += written;
        onWritten?.(written);
      }
    } catch (err) {
      throw new PumpError("write", err);
    }
    total += n;
  }
  if (closeWrite) {
    try {
      await sink.closeWrite();
    } catch (err) {
      // The sink already gone both ways: nothing left to shut down.
      if (!(err instanceof Deno.errors.NotConnected)) throw new PumpError("write", err);
    }
  }
  return total;
}
