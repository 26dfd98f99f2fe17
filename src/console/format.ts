/**
 * Human formats for numbers in status lines.
 *
 * @module
 */

/**
 * A rate in decimal units, as network tools report them.
 *
 * @example Formatting
 * ```ts
 * import { formatRate } from "./format.ts";
 * formatRate(1_410_000_000); // "1.41 GB/s"
 * ```
 */
export function formatRate(bytesPerSecond: number): string {
  const units = ["B/s", "kB/s", "MB/s", "GB/s"];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 2)} ${units[unit]}`;
}

/**
 * A size in decimal units.
 *
 * @example Formatting
 * ```ts
 * import { formatSize } from "./format.ts";
 * formatSize(12_300_000); // "12.3 MB"
 * ```
 */
export function formatSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The bytes a connection or a server moved, both ways, in the one way sizes
 * are written (exact counts are in the JSON events).
 *
 * @example Both directions
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatInOut } from "./format.ts";
 * assert.equal(formatInOut(6, 1_500_000), "6 B in, 1.5 MB out");
 * ```
 */
export function formatInOut(bytesIn: number, bytesOut: number): string {
  return `${formatSize(bytesIn)} in, ${formatSize(bytesOut)} out`;
}

/**
 * A count with its noun in the right number: `1 datagram`, `2 datagrams`.
 *
 * @param plural the plural form when it is not `singular` + "s"
 * @example Counting
 * ```ts
 * import { count } from "./format.ts";
 * count(1, "connection"); // "1 connection"
 * count(3, "entry", "entries"); // "3 entries"
 * ```
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
