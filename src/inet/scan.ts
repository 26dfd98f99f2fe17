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

/** Tries `port` once. */
export async function probe(hostname: string, port: number, timeoutMs: number): Promise<PortState> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const conn = await Deno.connect({ hostname, port, signal: controller.signal });
    conn.close();
    return "open";
  } catch (err) {
    if (controller.signal.aborted) return "filtered";
    if (err instanceof Deno.errors.ConnectionRefused) return "closed";
    if (err instanceof Deno.errors.NotCapable) throw err;
    return "filtered"; // unreachable, reset…: nothing listening that answers
  } finally {
    clearTimeout(timer);
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
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !signal?.aborted) {
      const index = next++;
      states[index] = await probe(hostname, ports[index]!, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, worker));
  return states;
}
