/**
 * `port scan`: a TCP connect scan. Each port is tried once, with a bounded
 * number of attempts in flight; refused means closed, no answer within the
 * timeout means filtered. Results come back in port order.
 *
 * Requires `--allow-net=HOST`.
 *
 * @module
 */

/** The state of one port. */
export type PortState = "open" | "closed" | "filtered";

/** Options for {@linkcode scanPorts}. */
export interface ScanOptions {
  /** @default {500} */
  concurrency?: number;
  /** ms before an attempt counts as filtered. @default {1000} */
  timeoutMs?: number;
  signal?: AbortSignal;
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
    conn.close();
    return "open";
  } catch (err) {
    if (signal.aborted) return "filtered";
    if (err instanceof Deno.errors.ConnectionRefused) return "closed";
    if (err instanceof Deno.errors.NotCapable) throw err;
    return "filtered"; // unreachable, reset…: nothing listening that answers
  }
}

/** Scans `ports` on `hostname`; returns every port's state, in port order. */
export async function scanPorts(
  hostname: string,
  ports: readonly number[],
  options: ScanOptions = {},
): Promise<PortState[]> {
  const { concurrency = 500, timeoutMs = 1000, signal } = options;
  const states = new Array<PortState>(ports.length);
  // One sweep aborts attempts older than the timeout: a timer per port costs
  // more than the refused connects of a loopback scan.
  const inFlight = new Map<AbortController, number>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [controller, started] of inFlight) {
      if (now - started >= timeoutMs) controller.abort();
    }
  }, Math.max(5, Math.min(100, Math.floor(timeoutMs / 4))));
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !signal?.aborted) {
      const index = next++;
      const controller = new AbortController();
      inFlight.set(controller, performance.now());
      try {
        states[index] = await probe(hostname, ports[index]!, controller.signal);
      } finally {
        inFlight.delete(controller);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, worker));
  } finally {
    clearInterval(sweep);
  }
  return states;
}
