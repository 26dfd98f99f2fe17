/**
 * How bench figures read: the server's one line (and event) per finished
 * test, the client's interval and total lines, and its iperf3-named JSON
 * objects. Pure: counters in, text and objects out.
 *
 * @module
 */

import { count, formatSize } from "../console/format.ts";
import type { RttFigures } from "./latency.ts";
import type { Results, TestParams } from "./protocol.ts";
import type { StreamCounters } from "./streams.ts";
import type { UdpSpan } from "./udp_stats.ts";
import { udpSpan } from "./udp_stats.ts";

/**
 * A bit rate in decimal units.
 *
 * @example
 * ```ts
 * import { formatBits } from "./report.ts";
 * formatBits(9_010_000_000); // "9.01 Gbit/s"
 * ```
 */
export function formatBits(bitsPerSecond: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
  let value = bitsPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : value >= 100 ? 1 : 2)} ${units[unit]}`;
}

/** Bits per second of `bytes` over `seconds` (0 for an empty span). */
export function bitRate(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes * 8 / seconds : 0;
}

/** A finished test, as the server saw it. */
export interface TestSummary {
  from: string;
  params: TestParams;
  streams: readonly StreamCounters[];
  /** The client's results, when it sent them. */
  peer: Results | undefined;
  seconds: number;
}

function udpText(span: UdpSpan): string {
  const percent = span.expected > 0 ? span.lost * 100 / span.expected : 0;
  return `jitter ${(span.jitter * 1000).toFixed(3)} ms, lost ${span.lost}/${span.expected} ` +
    `(${percent.toFixed(percent > 0 && percent < 0.1 ? 3 : 1)}%), ${span.outOfOrder} out of order`;
}

/** The UDP figures of several receiving streams together. */
export function sumUdp(spans: readonly UdpSpan[]): UdpSpan {
  const total = { received: 0, expected: 0, lost: 0, outOfOrder: 0, jitter: 0 };
  for (const s of spans) {
    total.received += s.received;
    total.expected += s.expected;
    total.lost += s.lost;
    total.outOfOrder += s.outOfOrder;
    total.jitter += s.jitter;
  }
  if (spans.length > 0) total.jitter /= spans.length;
  return total;
}

function serverTotals(summary: TestSummary) {
  let bytesIn = 0;
  let bytesOut = 0;
  const udp: UdpSpan[] = [];
  for (const s of summary.streams) {
    if (s.sending) bytesOut += s.bytes;
    else bytesIn += s.bytes;
    const figures = s.udpFigures();
    if (figures) udp.push(udpSpan(figures));
  }
  return { bytesIn, bytesOut, udp: udp.length > 0 ? sumUdp(udp) : undefined };
}

/** The server's line for a finished test. */
export function resultLine(summary: TestSummary): string {
  const { params, seconds } = summary;
  const { bytesIn, bytesOut, udp } = serverTotals(summary);
  const parts: string[] = [];
  if (params.direction !== "down") {
    parts.push(`received ${formatSize(bytesIn)} (${formatBits(bitRate(bytesIn, seconds))})`);
  }
  if (params.direction !== "up") {
    parts.push(`sent ${formatSize(bytesOut)} (${formatBits(bitRate(bytesOut, seconds))})`);
  }
  const streams = count(params.parallel, "stream");
  const udpPart = udp ? `, ${udpText(udp)}` : "";
  return `${summary.from}: ${params.protocol.toUpperCase()}, ${streams}` +
    `${params.direction === "up" ? "" : params.direction === "down" ? ", reverse" : ", bidir"}: ` +
    `${parts.join(", ")} in ${seconds.toFixed(2)} s${udpPart}`;
}

/** The server's JSON event for a finished test. */
export function resultEvent(summary: TestSummary) {
  const { params, seconds } = summary;
  const { bytesIn, bytesOut, udp } = serverTotals(summary);
  return {
    event: "test" as const,
    from: summary.from,
    protocol: params.protocol,
    direction: params.direction,
    streams: params.parallel,
    bytesIn,
    bytesOut,
    seconds,
    ...(udp
      ? {
        jitterMs: udp.jitter * 1000,
        lostPackets: udp.lost,
        packets: udp.expected,
        outOfOrder: udp.outOfOrder,
      }
      : {}),
  };
}

/** One stream's figures over a span, in iperf3's names. */
export interface SpanFigures {
  id: number;
  start: number;
  end: number;
  seconds: number;
  bytes: number;
  bits_per_second: number;
  sender: boolean;
  jitter_ms?: number;
  lost_packets?: number;
  packets?: number;
  lost_percent?: number;
  out_of_order?: number;
  retransmits?: number;
}

/** The figures of one span from counters. */
export function spanFigures(
  base: { id: number; sender: boolean; start: number; end: number; bytes: number },
  udp: UdpSpan | undefined,
  sentPackets?: number,
): SpanFigures {
  const seconds = Math.max(0, base.end - base.start);
  const figures: SpanFigures = {
    id: base.id,
    start: base.start,
    end: base.end,
    seconds,
    bytes: base.bytes,
    bits_per_second: bitRate(base.bytes, seconds),
    sender: base.sender,
  };
  if (udp) {
    figures.jitter_ms = udp.jitter * 1000;
    figures.lost_packets = udp.lost;
    figures.packets = udp.expected;
    figures.lost_percent = udp.expected > 0 ? udp.lost * 100 / udp.expected : 0;
    figures.out_of_order = udp.outOfOrder;
  } else if (sentPackets !== undefined) {
    figures.packets = sentPackets;
  }
  return figures;
}

/** The sum of several streams' spans (same start and end). */
export function sumFigures(spans: readonly SpanFigures[], sender: boolean): SpanFigures {
  const first = spans[0];
  const start = first?.start ?? 0;
  const end = spans.reduce((m, s) => Math.max(m, s.end), first?.end ?? 0);
  const bytes = spans.reduce((n, s) => n + s.bytes, 0);
  const sum: SpanFigures = {
    id: 0,
    start,
    end,
    seconds: end - start,
    bytes,
    bits_per_second: bitRate(bytes, end - start),
    sender,
  };
  const udp = spans.filter((s) => s.lost_packets !== undefined);
  if (udp.length > 0) {
    const lost = udp.reduce((n, s) => n + (s.lost_packets ?? 0), 0);
    const packets = udp.reduce((n, s) => n + (s.packets ?? 0), 0);
    sum.jitter_ms = udp.reduce((n, s) => n + (s.jitter_ms ?? 0), 0) / udp.length;
    sum.lost_packets = lost;
    sum.packets = packets;
    sum.lost_percent = packets > 0 ? lost * 100 / packets : 0;
    // Stock iperf3's results carry no out-of-order count: a sum only when every stream has one.
    if (udp.every((s) => s.out_of_order !== undefined)) {
      sum.out_of_order = udp.reduce((n, s) => n + (s.out_of_order ?? 0), 0);
    }
  } else if (spans.some((s) => s.packets !== undefined)) {
    sum.packets = spans.reduce((n, s) => n + (s.packets ?? 0), 0);
  }
  return sum;
}

/** The header of the client's table. */
export function tableHeader(udp: boolean): string {
  return udp
    ? "[ ID] Interval          Transfer     Bitrate         Jitter     Lost/Total     Out of order"
    : "[ ID] Interval          Transfer     Bitrate";
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/**
 * One line of the client's table.
 *
 * @example
 * ```ts
 * import { figuresLine } from "./report.ts";
 * figuresLine({ id: 1, start: 0, end: 1, seconds: 1, bytes: 1_250_000, bits_per_second: 1e7, sender: true });
 * // "[  1] 0.00-1.00   sec  1.3 MB       10.00 Mbit/s"
 * ```
 */
export function figuresLine(
  f: SpanFigures,
  options: { role?: string; rtt?: RttFigures } = {},
): string {
  const id = f.id === 0 ? "SUM" : String(f.id).padStart(3);
  let line = `[${id}] ${pad(`${f.start.toFixed(2)}-${f.end.toFixed(2)}`, 11)} sec  ` +
    `${pad(formatSize(f.bytes), 11)}  ${pad(formatBits(f.bits_per_second), 14)}`;
  if (f.lost_packets !== undefined) {
    const lost = `${f.lost_packets}/${f.packets ?? 0} (${(f.lost_percent ?? 0).toFixed(2)}%)`;
    line += `  ${pad(`${(f.jitter_ms ?? 0).toFixed(3)} ms`, 9)}  ${pad(lost, 13)}  ${
      f.out_of_order ?? "-"
    }`;
  } else if (f.packets !== undefined && options.role === "sender") {
    line += `  ${f.packets} datagrams`;
  }
  if (options.rtt) {
    const r = options.rtt;
    line += `  rtt p50 ${r.p50.toFixed(2)} / p99 ${r.p99.toFixed(2)} / max ${r.max.toFixed(2)} ms`;
  }
  if (options.role) line += `  ${options.role}`;
  return line.trimEnd();
}
