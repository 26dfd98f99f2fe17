/**
 * `port scan`: a TCP connect scan. Each port is tried once, with a bounded
 * number of attempts in flight; refused means closed, no answer within the
 * timeout means filtered. Results come back in port order.
 *
 * A large scan is shared by worker threads ({@linkcode ScanOptions.workers}):
 * each takes every Nth port of the list with its share of the attempts in
 * flight, and the states are put back in the list's order, so the result is
 * the same as one loop's. A loopback scan is CPU-bound (one connect op per
 * port), and the threads use both cores. The worker runs from a Blob URL made
 * of the functions below, so it reads no file: it needs exactly the
 * permissions of the scan itself, and `deno compile` carries it without an
 * `--include`.
 *
 * Requires `--allow-net=HOST`.
 *
 * @module
 */

/** The state of one port. */
export type PortState = "open" | "closed" | "filtered";

/** Options for {@linkcode scanPorts}. */
export interface ScanOptions {
  /** Attempts in flight, across all workers. @default {500} */
  concurrency?: number;
  /** ms before an attempt counts as filtered. @default {1000} */
  timeoutMs?: number;
  /**
   * Threads sharing a long scan (at least {@linkcode PORTS_PER_WORKER} ports
   * each; a shorter list gets fewer). More are started when `concurrency`
   * needs them: see {@linkcode IN_FLIGHT_PER_THREAD}. A scan that needs one
   * thread runs on the calling one.
   * @default {1}
   */
  workers?: number;
  signal?: AbortSignal;
}

/**
 * The fewest ports a worker thread is started for: below this a thread's
 * start-up (tens of ms) costs more than the loopback connects it would take
 * over.
 */
export const PORTS_PER_WORKER = 1024;

/**
 * The most connects one thread keeps in flight. Deno's op loop completes
 * about 128 at a time on a thread: beyond that, the extra attempts wait until
 * the scan drains (a loopback scan of 1-65535 at 500 in flight left ports
 * 129-500 waiting over 2 s, so with a 1 s timeout they read as filtered). A
 * scan asked for more in flight gets more threads instead.
 */
export const IN_FLIGHT_PER_THREAD = 128;

/** The most threads one scan starts. */
const MAX_THREADS = 64;

/**
 * A connection whose two ends are one address: a connect to a port of the
 * ephemeral range can be given that very port as its own source and meet
 * itself (TCP's simultaneous open). Nothing listens there: the port is closed.
 *
 * @example
 * ```ts
 * import { metItself } from "./scan.ts";
 * const end = { transport: "tcp" as const, hostname: "127.0.0.1", port: 40000 };
 * metItself(end, { ...end }); // true
 * metItself(end, { ...end, port: 22 }); // false
 * ```
 */
export function metItself(local: Deno.Addr, remote: Deno.Addr): boolean {
  return local.transport === "tcp" && remote.transport === "tcp" &&
    local.port === remote.port && local.hostname === remote.hostname;
}

/**
 * Tries `port` once; `signal` ends the attempt (the caller's timeout).
 */
export async function probe(
  hostname: string,
  port: number,
  signal: AbortSignal,
): Promise<PortState> {
  try {
    const conn = await Deno.connect({ hostname, port, signal });
    const { localAddr, remoteAddr } = conn;
    conn.close();
    return metItself(localAddr, remoteAddr) ? "closed" : "open";
  } catch (err) {
    if (signal.aborted) return "filtered";
    if (err instanceof Deno.errors.ConnectionRefused) return "closed";
    if (err instanceof Deno.errors.NotCapable) throw err;
    return "filtered"; // unreachable, reset…: nothing listening that answers
  }
}

/**
 * One thread's scan. It refers to nothing outside itself but {@linkcode probe}
 * (which uses {@linkcode metItself}) and globals: the worker's source is made
 * of these functions' text.
 */
async function scanLoop(
  hostname: string,
  ports: readonly number[],
  concurrency: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<(PortState | undefined)[]> {
  const states = new Array<PortState | undefined>(ports.length);
  // One sweep aborts attempts older than the timeout: a timer per port costs
  // more than the refused connects of a loopback scan.
  const inFlight = new Map<AbortController, number>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [controller, started] of inFlight) {
      if (now - started >= timeoutMs) controller.abort();
    }
  }, Math.max(5, Math.min(100, Math.floor(timeoutMs / 4))));
  // A stop ends the attempts in flight at once; their ports stay untried.
  const stop = () => {
    for (const controller of inFlight.keys()) controller.abort();
  };
  signal?.addEventListener("abort", stop, { once: true });
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !signal?.aborted) {
      const index = next++;
      const controller = new AbortController();
      inFlight.set(controller, performance.now());
      try {
        const state = await probe(hostname, ports[index]!, controller.signal);
        if (!(controller.signal.aborted && signal?.aborted)) states[index] = state;
      } finally {
        inFlight.delete(controller);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, worker));
  } finally {
    clearInterval(sweep);
    signal?.removeEventListener("abort", stop);
  }
  return states;
}

/** What a scan worker is sent: its share of the scan, or the word to stop. */
type WorkerRequest =
  | { hostname: string; ports: number[]; concurrency: number; timeoutMs: number }
  | { stop: true };

/** What a scan worker answers: its states, or the error that ended it. */
type WorkerReply =
  | { states: (PortState | undefined)[] }
  | { error: { name: string; message: string } };

/** The body of a scan worker (runs in the worker; `scanLoop` and `probe` are defined beside it). */
function workerMain(): void {
  const scope = self as unknown as {
    onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
    postMessage(reply: WorkerReply): void;
    close(): void;
  };
  const stop = new AbortController();
  scope.onmessage = async ({ data }) => {
    if ("stop" in data) return stop.abort();
    try {
      const states = await scanLoop(
        data.hostname,
        data.ports,
        data.concurrency,
        data.timeoutMs,
        stop.signal,
      );
      scope.postMessage({ states });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      scope.postMessage({ error: { name: error.name, message: error.message } });
    }
    scope.close();
  };
}

let workerUrl: string | undefined;

/** A Blob URL of the worker's source, made once per process. */
function scanWorkerUrl(): string {
  workerUrl ??= URL.createObjectURL(
    new Blob([
      `const metItself = ${metItself};\nconst probe = ${probe};\nconst scanLoop = ${scanLoop};\n` +
      `(${workerMain})();\n`,
    ], { type: "text/javascript" }),
  );
  return workerUrl;
}

/** Rebuilds a worker's error on this side: the permission error keeps its class. */
function rebuildError({ name, message }: { name: string; message: string }): Error {
  const known = (Deno.errors as Record<string, (new (message: string) => Error) | undefined>)[
    name
  ];
  return known ? new known(message) : new Error(message);
}

/** Runs one worker's share; resolves with its states (a stopped scan's are partial). */
function scanInWorker(
  worker: Worker,
  request: Extract<WorkerRequest, { ports: number[] }>,
  signal: AbortSignal,
): Promise<(PortState | undefined)[]> {
  return new Promise((resolve, reject) => {
    const onAbort = () => worker.postMessage({ stop: true } satisfies WorkerRequest);
    const settle = (finish: () => void) => {
      signal.removeEventListener("abort", onAbort);
      finish();
    };
    worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      if ("error" in data) settle(() => reject(rebuildError(data.error)));
      else settle(() => resolve(data.states));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      settle(() => reject(new Error(event.message)));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.postMessage(request satisfies WorkerRequest);
    if (signal.aborted) onAbort();
  });
}

/**
 * Scans `ports` on `hostname`; returns every port's state, in the list's
 * order (a port left untried when `signal` stopped the scan is undefined).
 */
export async function scanPorts(
  hostname: string,
  ports: readonly number[],
  options: ScanOptions = {},
): Promise<(PortState | undefined)[]> {
  const { concurrency = 500, timeoutMs = 1000, workers = 1, signal } = options;
  const inFlight = Math.max(1, Math.min(concurrency, ports.length));
  const threads = Math.min(
    MAX_THREADS,
    Math.max(
      1,
      Math.min(workers, Math.floor(ports.length / PORTS_PER_WORKER)),
      Math.ceil(inFlight / IN_FLIGHT_PER_THREAD),
    ),
  );
  if (threads === 1) return await scanLoop(hostname, ports, inFlight, timeoutMs, signal);
  // Worker k takes ports k, k+N, k+2N…: the shares stay even when the open or
  // filtered (slow) ports cluster in one part of the list. A worker's error
  // stops the others.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  const pool = Array.from(
    { length: threads },
    () => new Worker(scanWorkerUrl(), { type: "module" }),
  );
  try {
    const shares = await Promise.all(pool.map((worker, k) => {
      const share = ports.filter((_, i) => i % threads === k);
      const slots = Math.floor(inFlight / threads) + (k < inFlight % threads ? 1 : 0);
      return scanInWorker(
        worker,
        { hostname, ports: share, concurrency: Math.min(slots, IN_FLIGHT_PER_THREAD), timeoutMs },
        stop.signal,
      )
        .catch((err) => {
          stop.abort();
          throw err;
        });
    }));
    return ports.map((_, i) => shares[i % threads]![Math.floor(i / threads)]);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const worker of pool) worker.terminate();
  }
}
