/**
 * Small socket helpers for tests: bounded reads and writes, polling with a bound.
 *
 * @module
 */

import { concatBytes } from "../../src/net/buffer.ts";

/** Reads from `conn` until EOF (or `timeoutMs`, then throws), returning every byte. */
export async function readAll(conn: Deno.Conn, timeoutMs = 10_000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  const deadline = Date.now() + timeoutMs;
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  } catch (err) {
    if (Date.now() >= deadline) throw new Error(`readAll timed out after ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return concatBytes(chunks);
}

/** Reads until the text received so far matches `pattern` (bounded by `timeoutMs`). */
export async function readUntil(
  conn: Deno.Conn,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    while (!pattern.test(text)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch (err) {
    throw new Error(`readUntil ${pattern} failed after "${text}": ${err}`);
  } finally {
    clearTimeout(timer);
  }
  if (!pattern.test(text)) throw new Error(`connection ended before ${pattern}; got "${text}"`);
  return text;
}

/** Writes all of `data`. */
export async function send(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/**
 * Calls `check` every 20 ms until it returns a value (not undefined), for at
 * most `timeoutMs`; returns that value or throws.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
