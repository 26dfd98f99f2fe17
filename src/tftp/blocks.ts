/**
 * Files as TFTP blocks: a reader that hands a session block `i` on demand
 * and a writer that collects DATA into large writes. Both use synchronous
 * file calls on purpose: a session asks for a whole window at once and must
 * answer from the same turn of the event loop, and 256 KiB reads and writes
 * from the page cache cost far less than the async op per block they save.
 *
 * Requires `--allow-read` for the file read, `--allow-write` for the one written.
 *
 * @module
 */

import { type Mode, writeDataHeader } from "./packet.ts";
import { NetasciiDecoder, NetasciiEncoder } from "./netascii.ts";

const CHUNK = 256 * 1024;

/**
 * From this blksize on, a windowed reader leaves 4 bytes before each block
 * for the DATA header, so the packet goes out with no copy: one read per
 * block costs less than copying it (below, one read per chunk and a copy
 * of each small block cost less).
 */
const FRAMED_FROM = 16 * 1024;

/** The chunk buffers whose blocks each have 4 bytes of room before them. */
const framedBuffers = new WeakSet<ArrayBufferLike>();

/**
 * DATA `block` around `data` without a copy, when `data` is a block from a
 * reader that left room for the header (the header is written there);
 * undefined otherwise.
 */
export function framedData(block: number, data: Uint8Array): Uint8Array | undefined {
  if (!framedBuffers.has(data.buffer) || data.byteOffset < 4) return undefined;
  const packet = new Uint8Array(data.buffer, data.byteOffset - 4, data.length + 4);
  writeDataHeader(packet, block);
  return packet;
}

/** The file changed size while it was being sent. */
export class FileChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileChangedError";
  }
}

/** Reads an open file as blocks of `blksize` bytes. */
export interface BlockReader {
  /**
   * Block `index`: `blksize` bytes, except the last (shorter, possibly
   * empty). The bytes stay valid after later calls.
   */
  block(index: number): Uint8Array;
  /** Reads ahead so that block `index` is ready (while the peer is busy anyway). */
  prefetch(index: number): void;
}

/** Options for {@linkcode octetReader}. */
export interface OctetReaderOptions {
  /** The file's size when the transfer starts. */
  size: number;
  blksize: number;
  /**
   * Blocks in flight. Given, the reader keeps two chunk buffers of at least
   * this many blocks and refills them in turn (no allocation per chunk), and
   * a block's bytes stay valid only until blocks a window further on are
   * asked for: a sender copies each window into its packets before asking
   * for the next. @default every block's bytes stay valid
   */
  windowsize?: number;
}

/**
 * Octet mode: block `i` is the file's bytes at `i × blksize`, read in
 * chunks of about 256 KiB. The size is fixed when the transfer starts; a
 * file that shrinks meanwhile throws {@linkcode FileChangedError} instead of
 * ending the transfer early, and bytes appended meanwhile are not sent.
 */
export function octetReader(file: Deno.FsFile, options: OctetReaderOptions): BlockReader {
  const { size, blksize, windowsize } = options;
  const perChunk = Math.max(1, Math.floor(CHUNK / blksize), windowsize ?? 1);
  // With a window, two buffers in turn: a window's blocks are in the chunk loaded last or load
  // their own, and span at most two chunks, so no refill overwrites a block of the window sent.
  // Large blocks are laid out with 4 bytes of room for the header before each.
  const gap = windowsize !== undefined && blksize >= FRAMED_FROM ? 4 : 0;
  const stride = blksize + gap;
  const reused = windowsize === undefined
    ? undefined
    : [new Uint8Array(perChunk * stride), new Uint8Array(perChunk * stride)];
  if (reused && gap > 0) { for (const chunk of reused) framedBuffers.add(chunk.buffer); }
  let turn = 0;
  let buffer = new Uint8Array(0);
  let first = -1; // the first block in the buffer
  let filled = 0;
  const load = (index: number) => {
    const offset = index * blksize;
    // Without a window, a fresh buffer per chunk: blocks handed out earlier stay valid.
    buffer = reused ? reused[turn ^= 1]! : new Uint8Array(perChunk * blksize);
    const want = Math.min(perChunk * blksize, size - offset);
    file.seekSync(offset, Deno.SeekMode.Start);
    filled = 0;
    first = -1; // until the chunk is complete
    // Block by block into their slots (one read for the whole chunk without gaps).
    const piece = gap > 0 ? blksize : want;
    for (let slot = 0; filled < want; slot++) {
      const start = slot * stride + gap;
      const end = start + Math.min(piece, want - filled);
      for (let at = start; at < end;) {
        const n = file.readSync(buffer.subarray(at, end));
        if (n === null || n === 0) {
          throw new FileChangedError(
            `the file shrank to ${offset + filled} bytes while being sent`,
          );
        }
        at += n;
        filled += n;
      }
    }
    first = index;
  };
  const loaded = (index: number) =>
    first >= 0 && index >= first && (index - first) * blksize < filled;
  return {
    block(index) {
      const offset = index * blksize;
      if (offset >= size) return new Uint8Array(0);
      if (!loaded(index)) load(index);
      const from = (index - first) * blksize; // in the file's bytes loaded
      const start = (index - first) * stride + gap;
      return buffer.subarray(start, start + Math.min(blksize, filled - from));
    },
    prefetch(index) {
      try {
        if (index * blksize < size && !loaded(index)) load(index);
      } catch {
        first = -1; // block() reads again and reports the error
      }
    },
  };
}

/** Options for {@linkcode netasciiReader}. */
export interface NetasciiReaderOptions {
  blksize: number;
  /** Blocks in flight: how many are kept for retransmission. */
  windowsize: number;
}

/**
 * Netascii mode: the file converted (LF → CR LF, CR → CR NUL) as a stream,
 * cut into blocks in order. Blocks of the window (the last `windowsize`
 * asked for) are kept for retransmission.
 */
export function netasciiReader(file: Deno.FsFile, options: NetasciiReaderOptions): BlockReader {
  const { blksize, windowsize } = options;
  const encoder = new NetasciiEncoder();
  const kept = new Map<number, Uint8Array>();
  const chunk = new Uint8Array(CHUNK);
  let pending = new Uint8Array(0);
  let next = 0;
  let eof = false;
  const produce = () => {
    while (pending.length < blksize && !eof) {
      const n = file.readSync(chunk);
      if (n === null || n === 0) eof = true;
      else {
        const encoded = encoder.encode(chunk.subarray(0, n));
        const joined = new Uint8Array(pending.length + encoded.length);
        joined.set(pending);
        joined.set(encoded, pending.length);
        pending = joined;
      }
    }
    const take = Math.min(blksize, pending.length);
    kept.set(next, pending.slice(0, take));
    pending = pending.subarray(take);
    next++;
  };
  return {
    block(index) {
      while (next <= index) produce();
      for (const old of kept.keys()) {
        if (old < index - windowsize) kept.delete(old);
        else break;
      }
      const block = kept.get(index);
      if (!block) throw new RangeError(`block ${index} is no longer kept`);
      return block;
    },
    prefetch() {},
  };
}

/** The reader for `mode`. */
export function blockReader(
  file: Deno.FsFile,
  mode: Mode,
  options: OctetReaderOptions & NetasciiReaderOptions,
): BlockReader {
  return mode === "octet" ? octetReader(file, options) : netasciiReader(file, options);
}

/** Collects received DATA into writes of about 256 KiB, converting netascii. */
export class BlockWriter {
  readonly #sink: (bytes: Uint8Array) => void;
  readonly #decoder: NetasciiDecoder | undefined;
  readonly #buffer = new Uint8Array(CHUNK);
  #filled = 0;
  #written = 0;

  /** @param sink writes all of `bytes` (synchronously) or throws */
  constructor(sink: (bytes: Uint8Array) => void, mode: Mode) {
    this.#sink = sink;
    this.#decoder = mode === "netascii" ? new NetasciiDecoder() : undefined;
  }

  /** Bytes handed to the sink so far. */
  get written(): number {
    return this.#written;
  }

  /** Takes one block's data (copied: the caller may reuse its buffer). */
  write(data: Uint8Array): void {
    const bytes = this.#decoder ? this.#decoder.decode(data) : data;
    if (this.#filled + bytes.length > this.#buffer.length) this.flush();
    if (bytes.length >= this.#buffer.length) {
      this.#emit(bytes);
      return;
    }
    this.#buffer.set(bytes, this.#filled);
    this.#filled += bytes.length;
  }

  /** Writes out what is buffered. */
  flush(): void {
    if (this.#filled === 0) return;
    const bytes = this.#buffer.subarray(0, this.#filled);
    this.#filled = 0;
    this.#emit(bytes);
  }

  /** At the end of the transfer: flushes, with a trailing netascii CR. */
  finish(): void {
    const tail = this.#decoder?.flush();
    if (tail && tail.length > 0) this.write(tail);
    this.flush();
  }

  #emit(bytes: Uint8Array): void {
    this.#sink(bytes);
    this.#written += bytes.length;
  }
}

/** A sink writing all of each chunk to `file`. */
export function fileSink(file: { writeSync(p: Uint8Array): number }): (bytes: Uint8Array) => void {
  return (bytes) => {
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  };
}

/** True for the errors that mean "no room": TFTP's error 3. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG";
}
