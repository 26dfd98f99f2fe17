/**
 * Fast stdin for bulk piping: a worker reads stdin with blocking reads into
 * a shared ring buffer while the main thread sends what is already there.
 * Chunks are views into the ring (no copies), valid until the next call.
 *
 * Async `Deno.stdin.read()` hands every read to a blocking thread and back;
 * for a 2 GiB pipe that costs more than the socket writes. The worker's
 * blocking reads avoid the hop and overlap with sending.
 *
 * The worker is started from a Blob URL built from {@linkcode ringWorker},
 * so it needs no `--allow-read` and nothing extra in a compiled binary.
 *
 * @module
 */

/** A source of byte chunks; each chunk is valid until the next call. */
export interface ChunkSource {
  /** The next chunk, or null at end of input. */
  next(): Promise<Uint8Array | null>;
}

// Shared layout: `counters` (BigInt64) = [written, released];
// `state` (Int32) = [sequence, eof, error]. The sequence is bumped on every
// event so the reader can wait for "anything new" without missing one.
const WRITTEN = 0;
const RELEASED = 1;
const SEQUENCE = 0;
const EOF = 1;
const ERROR = 2;

/**
 * The worker's code. It runs in the worker, so it may use only its
 * parameters and globals: the layout indexes are repeated as literals.
 */
function ringWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: (event: MessageEvent) => void;
    close(): void;
  };
  scope.onmessage = (event: MessageEvent) => {
    const { data, control } = event.data as { data: SharedArrayBuffer; control: SharedArrayBuffer };
    const counters = new BigInt64Array(control, 0, 2);
    const state = new Int32Array(control, 16, 4);
    const capacity = data.byteLength;
    const bump = () => {
      Atomics.add(state, 0, 1);
      Atomics.notify(state, 0);
    };
    try {
      for (;;) {
        const written = Atomics.load(counters, 0);
        const released = Atomics.load(counters, 1);
        const free = capacity - Number(written - released);
        if (free === 0) {
          Atomics.wait(counters, 1, released);
          continue;
        }
        const start = Number(written % BigInt(capacity));
        const length = Math.min(free, capacity - start, 256 * 1024);
        const n = Deno.stdin.readSync(new Uint8Array(data, start, length));
        if (n === null) break;
        Atomics.add(counters, 0, BigInt(n));
        bump();
      }
      Atomics.store(state, 1, 1);
    } catch {
      Atomics.store(state, 2, 1);
    }
    bump();
    scope.close();
  };
}

/** Options for {@linkcode StdinRing}. */
export interface StdinRingOptions {
  /** Ring size in bytes. @default {1048576} */
  capacity?: number;
}

/** Stdin through a worker and a shared ring buffer. */
export class StdinRing implements ChunkSource {
  #data: SharedArrayBuffer;
  #counters: BigInt64Array;
  #state: Int32Array;
  #capacity: number;
  #held = 0;

  constructor(options: StdinRingOptions = {}) {
    const { capacity = 1024 * 1024 } = options;
    this.#capacity = capacity;
    this.#data = new SharedArrayBuffer(capacity);
    const control = new SharedArrayBuffer(32);
    this.#counters = new BigInt64Array(control, 0, 2);
    this.#state = new Int32Array(control, 16, 4);
    const source = `(${ringWorker.toString()})();`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    URL.revokeObjectURL(url);
    worker.postMessage({ data: this.#data, control });
  }

  async next(): Promise<Uint8Array | null> {
    if (this.#held > 0) {
      Atomics.add(this.#counters, RELEASED, BigInt(this.#held));
      Atomics.notify(this.#counters, RELEASED);
      this.#held = 0;
    }
    for (;;) {
      const sequence = Atomics.load(this.#state, SEQUENCE);
      const written = Atomics.load(this.#counters, WRITTEN);
      const released = Atomics.load(this.#counters, RELEASED);
      if (written > released) {
        const start = Number(released % BigInt(this.#capacity));
        const length = Math.min(Number(written - released), this.#capacity - start);
        this.#held = length;
        return new Uint8Array(this.#data, start, length);
      }
      if (Atomics.load(this.#state, ERROR) === 1) throw new Error("Cannot read stdin");
      if (Atomics.load(this.#state, EOF) === 1) return null;
      const wait = Atomics.waitAsync(this.#state, SEQUENCE, sequence);
      if (wait.async) await wait.value;
    }
  }
}

/** Adapts a `read(buffer)` reader (like `Deno.stdin`, or a test double) to a {@linkcode ChunkSource}. */
export function readerSource(
  reader: { read(p: Uint8Array): Promise<number | null> },
  bufferSize = 64 * 1024,
): ChunkSource {
  const buffer = new Uint8Array(bufferSize);
  return {
    async next() {
      const n = await reader.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
  };
}

/**
 * Stdin as a chunk source: the worker ring when workers can start, otherwise
 * plain `Deno.stdin` reads.
 */
export function openStdin(): ChunkSource {
  try {
    return new StdinRing();
  } catch {
    return readerSource(Deno.stdin, 256 * 1024);
  }
}
