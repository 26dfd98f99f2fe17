/**
 * The figures a finished transfer reports, the same for server and client:
 * `40.0 MB, blksize 1468, windowsize 16, 83.70 MB/s`.
 *
 * @module
 */

import { formatRate, formatSize } from "../console/format.ts";
import type { Negotiated } from "./packet.ts";

/**
 * Size, the negotiated block and window size (a window of 1 is not shown),
 * and the rate since `started` (`performance.now()`), from 1 MB on: below
 * that a rate measures round trips, not transfer.
 */
export function transferSummary(
  size: number,
  params: Negotiated | undefined,
  started: number,
): string {
  const parts = [formatSize(size)];
  if (params) parts.push(`blksize ${params.blksize}`);
  if (params && params.windowsize > 1) parts.push(`windowsize ${params.windowsize}`);
  const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
  if (size >= 1e6) parts.push(formatRate(size / seconds));
  return parts.join(", ");
}
