/**
 * `bench client`: runs one iperf3 test against TARGET (a stock `iperf3 -s`
 * or `sockit bench serve`), printing a line per interval per stream and the
 * sender and receiver totals, or iperf3-named JSON events.
 *
 * Requires `--allow-net` for TARGET (and for the local UDP socket of `-u`
 * and `--latency`).
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };
import { InterruptedError, OperationError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import { Progress } from "../console/progress.ts";
import { formatHostPort, type HostAddress } from "../inet/address.ts";
import { dial } from "../net/dial.ts";
import { closeQuietly } from "../net/endpoint.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { ClientControl, type ClientEffect } from "./control.ts";
import { encodeProbe, parseProbe, type RttFigures, rttFigures } from "./latency.ts";
import {
  clientSends,
  makeCookie,
  paramsJson,
  type Results,
  streamCount,
  streamId,
  type StreamResult,
  type TestParams,
} from "./protocol.ts";
import { figuresLine, type SpanFigures, spanFigures, sumFigures, tableHeader } from "./report.ts";
import { Budget, receiveTcp, sendTcp, sendUdp, StreamCounters, udpArrival } from "./streams.ts";
import { readHeader, type UdpFigures, udpSpan } from "./udp_stats.ts";
import { bindUdp, type UdpPort } from "./udp_socket.ts";

/** Options for {@linkcode runBenchClient}. */
export interface BenchClientOptions {
  params: TestParams;
  /** Seconds between interval reports; 0 turns them off. @default {1} */
  intervalSeconds?: number;
  /** Wait this long for the connection and for each setup step. @default {10000} */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** `--tls`: the control connection and TCP data streams speak TLS, trusting the server this way. */
  tls?: TlsClientOptions | undefined;
}

/** A failed test: the server refused (`busy`) or broke off, or a stream could not be opened. */
export class BenchError extends OperationError {
  readonly busy: boolean;
  constructor(message: string, busy = false) {
    super(message);
    this.name = "BenchError";
    this.busy = busy;
  }
}

const UDP_CONNECT = Uint8Array.of(0x39, 0x38, 0x37, 0x36); // "9876"
const UDP_REPLIES = [[0x36, 0x37, 0x38, 0x39], [0xb1, 0x68, 0xde, 0x3a], [0x3a, 0xde, 0x68, 0xb1]];

interface Stream {
  counters: StreamCounters;
  conn?: Deno.Conn;
  socket?: Deno.DatagramConn;
  port?: UdpPort;
  peer?: Deno.NetAddr;
  last: { bytes: number; packets: number; udp: UdpFigures | undefined };
}

function isReply(bytes: Uint8Array): boolean {
  return bytes.length === 4 && UDP_REPLIES.some((r) => r.every((b, i) => bytes[i] === b));
}

function localFor(target: HostAddress): string {
  const host = target.hostname;
  if (host === "localhost" || host.startsWith("127.")) return "127.0.0.1";
  if (host === "::1") return "::1";
  return host.includes(":") ? "::" : "0.0.0.0";
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The UDP peer: TARGET itself (Deno resolves names on send); `localhost` is 127.0.0.1. */
function udpPeer(target: HostAddress): Deno.NetAddr {
  const hostname = target.hostname === "localhost" ? "127.0.0.1" : target.hostname;
  return { transport: "udp", hostname, port: target.port };
}

/** Round-trip probes from their own socket: idle before the test, then during it. */
class Prober {
  #socket: Deno.DatagramConn;
  #to: Deno.NetAddr;
  #seq = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reader: Promise<void>;
  rtts: number[] = [];
  /** Every round trip measured during the test. */
  all: number[] = [];

  constructor(socket: Deno.DatagramConn, to: Deno.NetAddr) {
    this.#socket = socket;
    this.#to = to;
    this.#reader = (async () => {
      try {
        for (;;) {
          const [bytes] = await socket.receive();
          const probe = parseProbe(bytes);
          if (!probe) continue;
          this.rtts.push(performance.now() - probe.sentMs);
          // The server's own probe port: the rest go there, away from the test's data.
          if (probe.probePort) this.#to = { ...to, port: probe.probePort };
        }
      } catch {
        // closed
      }
    })();
  }

  start(everyMs: number): void {
    this.stop();
    this.#timer = setInterval(() => this.#send(), everyMs);
    this.#send();
  }

  #send(): void {
    this.#socket.send(encodeProbe(++this.#seq, performance.now()), this.#to).catch(() => {});
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  take(): RttFigures | undefined {
    const figures = rttFigures(this.rtts);
    if (this.#timer !== undefined) this.all.push(...this.rtts);
    this.rtts = [];
    return figures;
  }

  async close(): Promise<void> {
    this.stop();
    closeQuietly(this.#socket);
    await this.#reader;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs one test and prints its figures.
 *
 * @throws {BenchError} when the server refuses or breaks off the test
 * @throws {InterruptedError} when `signal` aborts (the server is told CLIENT_TERMINATE)
 */
export async function runBenchClient(
  target: HostAddress,
  out: Output,
  options: BenchClientOptions,
): Promise<void> {
  const { params, intervalSeconds = 1, timeoutMs = 10_000, signal } = options;
  const to = formatHostPort(target.hostname, target.port);
  const udpTarget = params.protocol === "udp" || params.latency ? udpPeer(target) : undefined;
  const localHost = localFor(target);

  let prober: Prober | undefined;
  let idleRtt: RttFigures | undefined;
  if (params.latency) {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: localHost, port: 0 });
    prober = new Prober(socket, udpTarget!);
    prober.start(20);
    for (let i = 0; i < 50 && prober.rtts.length < 10; i++) await pause(20);
    prober.stop();
    idleRtt = prober.take();
    if (!idleRtt) {
      out.warn(`${to} does not answer latency probes (not a sockit server?); going on without`);
      await prober.close();
      prober = undefined;
    }
  }

  const conn = await dial(target, { timeoutMs, ...(signal ? { signal } : {}), tls: options.tls });
  const cookie = makeCookie(crypto.getRandomValues(new Uint8Array(36)));
  const control = new ClientControl({
    params: paramsJson(params, `sockit ${config.version}`),
    cookie,
  });
  const streams: Stream[] = [];
  const tasks: Promise<void>[] = [];
  let writes: Promise<void> = Promise.resolve();
  let started = 0;
  let stopped = false;
  let endTime = 0;
  let ended = false;
  let peer: Results | undefined;
  let done = false;
  let failure: BenchError | undefined;
  let interval: ReturnType<typeof setInterval> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let endTimer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Budget(params.bytes);
  const progress = new Progress(`bench ${to}`, params.bytes > 0 ? params.bytes : undefined, {
    enabled: !out.json && !out.quiet,
  });
  let progressBytes = 0;

  const send = (bytes: Uint8Array) => {
    writes = writes.then(async () => {
      let n = 0;
      while (n < bytes.length) n += await conn.write(bytes.subarray(n));
    }).catch(() => {});
  };
  const elapsed = () => started === 0 ? 0 : (performance.now() - started) / 1000;
  const totalBytes = () => streams.reduce((n, s) => n + s.counters.bytes, 0);
  const receivedBytes = () =>
    streams.reduce((n, s) => n + (s.counters.sending ? 0 : s.counters.bytes), 0);

  const end = () => {
    if (ended) return;
    ended = true;
    stopped = true;
    endTime = elapsed();
    for (const s of streams) s.counters.endTime = endTime;
    clearInterval(interval);
    clearInterval(ticker);
    clearTimeout(endTimer);
    if (intervalSeconds > 0) reportInterval(true);
    apply(control.end());
  };

  let lastTick = 0;
  const reportInterval = (final: boolean) => {
    const now = final ? endTime : elapsed();
    if (now - lastTick < (final ? 0.05 : 0)) return;
    const spans: SpanFigures[] = [];
    const rtt = prober?.take();
    for (const s of streams) {
      const c = s.counters;
      const udp = c.udpFigures();
      spans.push(spanFigures(
        { id: c.id, sender: c.sending, start: lastTick, end: now, bytes: c.bytes - s.last.bytes },
        udp ? udpSpan(udp, s.last.udp ?? zeroUdp) : undefined,
        c.sending && params.protocol === "udp" ? c.packets - s.last.packets : undefined,
      ));
      s.last = { bytes: c.bytes, packets: c.packets, udp };
    }
    printInterval(spans, rtt);
    lastTick = now;
  };

  const printInterval = (spans: SpanFigures[], rtt: RttFigures | undefined) => {
    const forward = spans.filter((s) =>
      s.sender === clientSends(params, 0) || params.direction !== "bidir"
    );
    const reverse = params.direction === "bidir" ? spans.filter((s) => !s.sender) : [];
    const forwardOnly = params.direction === "bidir" ? spans.filter((s) => s.sender) : forward;
    if (out.json) {
      out.event({
        event: "interval",
        streams: spans,
        sum: sumFigures(forwardOnly, forwardOnly[0]?.sender ?? true),
        ...(reverse.length > 0 ? { sum_bidir_reverse: sumFigures(reverse, false) } : {}),
        ...(rtt ? { rtt_ms: rtt } : {}),
      });
      return;
    }
    const lines: string[] = [];
    for (const s of spans) {
      lines.push(figuresLine(s, rtt && params.parallel === 1 && spans.length === 1 ? { rtt } : {}));
    }
    if (params.parallel > 1) {
      lines.push(figuresLine(sumFigures(forwardOnly, true)));
      if (reverse.length > 0) lines.push(figuresLine(sumFigures(reverse, false)));
    }
    if (rtt && !(params.parallel === 1 && spans.length === 1)) {
      lines.push(
        `      rtt p50 ${rtt.p50.toFixed(2)} / p99 ${rtt.p99.toFixed(2)} / max ${
          rtt.max.toFixed(2)
        } ms`,
      );
    }
    progress.finish();
    out.data(new TextEncoder().encode(lines.join("\n") + "\n"));
  };

  const openStreams = async () => {
    const n = streamCount(params);
    for (let index = 0; index < n; index++) {
      const sending = clientSends(params, index);
      const counters = new StreamCounters(streamId(index), sending, params.protocol === "udp");
      const stream: Stream = { counters, last: { bytes: 0, packets: 0, udp: undefined } };
      if (params.protocol === "tcp") {
        const c = await dial(target, {
          timeoutMs,
          ...(signal ? { signal } : {}),
          tls: options.tls,
        });
        stream.conn = c;
        streams.push(stream);
        let k = 0;
        while (k < cookie.length) k += await c.write(cookie.subarray(k));
      } else if (sending) {
        const socket = Deno.listenDatagram({ transport: "udp", hostname: localHost, port: 0 });
        stream.socket = socket;
        stream.peer = udpTarget!;
        streams.push(stream);
        await socket.send(UDP_CONNECT, udpTarget!);
        await withTimeout(
          (async () => {
            for (let tries = 0; tries < 64; tries++) {
              const [bytes] = await socket.receive();
              if (isReply(bytes)) return;
            }
            throw new BenchError("no UDP stream reply from the server");
          })(),
          timeoutMs,
          "UDP stream connect",
        );
      } else {
        let replied!: () => void;
        const reply = new Promise<void>((resolve) => replied = resolve);
        let connected = false;
        stream.port = bindUdp(localHost, 0, (bytes) => {
          if (!connected) {
            if (isReply(bytes)) {
              connected = true;
              replied();
            }
            return;
          }
          // Counted from the handshake on: the server may send before TEST_RUNNING is read here.
          if (stopped) return;
          const header = readHeader(bytes, params.counters64);
          if (!header) return;
          counters.bytes += bytes.length;
          counters.udp?.receive(header, udpArrival());
        });
        streams.push(stream);
        await stream.port.send(UDP_CONNECT, udpTarget!);
        await withTimeout(reply, timeoutMs, "UDP stream connect");
      }
    }
  };

  let lastReceived = 0;
  let lastProgress = 0;
  const startStreams = () => {
    started = performance.now();
    lastProgress = started;
    for (const s of streams) {
      const c = s.counters;
      const sendOptions = {
        len: params.len,
        bandwidth: params.bandwidth,
        budget,
        stopped: () => stopped,
      };
      if (s.conn) {
        tasks.push(
          c.sending ? sendTcp(s.conn, c, sendOptions) : receiveTcp(s.conn, c, () => !stopped),
        );
      } else if (s.socket && c.sending) {
        const socket = s.socket;
        const peer = s.peer!;
        tasks.push(
          sendUdp((d) => socket.send(d, peer), c, {
            ...sendOptions,
            counters64: params.counters64,
          }),
        );
      }
    }
    if (params.time > 0 && params.bytes === 0 && params.blocks === 0) {
      endTimer = setTimeout(end, params.time * 1000);
    }
    if (intervalSeconds > 0) {
      interval = setInterval(() => reportInterval(false), intervalSeconds * 1000);
    }
    ticker = setInterval(() => {
      const total = totalBytes();
      progress.add(total - progressBytes);
      progressBytes = total;
      if (params.bytes > 0) {
        const received = receivedBytes();
        if (received !== lastReceived) {
          lastReceived = received;
          lastProgress = performance.now();
        }
        // A UDP test by bytes whose last datagrams were lost would wait for ever: a quiet
        // spell of 2 s ends it (iperf3 waits).
        const quiet = params.protocol === "udp" && params.direction === "down" &&
          performance.now() - lastProgress > 2000;
        if (budget.spent || received >= params.bytes || quiet) end();
      }
    }, 50);
    prober?.start(50);
  };

  const ownResults = (): Results => ({
    cpu_util_total: 0,
    cpu_util_user: 0,
    cpu_util_system: 0,
    sender_has_retransmits: 0,
    streams: streams.map(({ counters: c }) => {
      const udp = c.udpFigures();
      return {
        id: c.id,
        bytes: c.bytes,
        retransmits: -1,
        jitter: udp && udp.jitterSamples > 0 ? udp.jitterSum / udp.jitterSamples : 0,
        errors: udp?.lost ?? 0,
        packets: udp ? udp.expected : c.packets,
        start_time: 0,
        end_time: c.endTime,
      };
    }),
  });

  let setup: Promise<void> = Promise.resolve();
  const apply = (effects: ClientEffect[]) => {
    for (const effect of effects) {
      switch (effect.type) {
        case "send":
          send(effect.bytes);
          break;
        case "create-streams":
          setup = openStreams().catch((err) => {
            failure = err instanceof BenchError ? err : new BenchError(
              `cannot open data stream: ${err instanceof Error ? err.message : err}`,
            );
            apply(control.terminate());
            closeQuietly(conn);
          });
          break;
        case "running":
          setup.then(() => {
            if (!failure) startStreams();
          });
          break;
        case "exchange":
          if (!ended) end();
          apply(control.sendResults(ownResults()));
          break;
        case "peer-results":
          peer = effect.results;
          break;
        case "done":
          done = true;
          break;
        case "fail":
          failure ??= new BenchError(effect.reason, effect.busy ?? false);
          break;
      }
    }
  };

  const onAbort = () => {
    apply(control.terminate());
    writes.finally(() => closeQuietly(conn));
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const protocolName = params.protocol.toUpperCase();
  out.status(
    `connected to ${to} (${protocolName}, ${params.parallel} stream${
      params.parallel === 1 ? "" : "s"
    }` +
      `${
        params.direction === "down" ? ", reverse" : params.direction === "bidir" ? ", bidir" : ""
      }, ` +
      `${params.bytes > 0 ? `${params.bytes} bytes` : `${params.time} s`})`,
    {
      event: "start",
      to,
      protocol: protocolName,
      num_streams: params.parallel,
      blksize: params.len,
      duration: params.bytes > 0 ? 0 : params.time,
      bytes: params.bytes,
      reverse: params.direction === "down" ? 1 : 0,
      bidir: params.direction === "bidir" ? 1 : 0,
      ...(params.protocol === "udp" ? { target_bitrate: params.bandwidth } : {}),
      ...(idleRtt ? { rtt_idle_ms: idleRtt } : {}),
    },
  );
  if (idleRtt && !out.json) {
    out.status(
      `idle rtt p50 ${idleRtt.p50.toFixed(2)} / p99 ${idleRtt.p99.toFixed(2)} / max ${
        idleRtt.max.toFixed(2)
      } ms`,
    );
  }
  if (!out.json && intervalSeconds > 0) {
    await out.data(new TextEncoder().encode(tableHeader(params.protocol === "udp") + "\n"));
  }

  const buffer = new Uint8Array(64 * 1024);
  const loadedRtts: number[] = [];
  try {
    apply(control.open());
    while (!done && !failure) {
      const n = await conn.read(buffer).catch((err) => {
        if (signal?.aborted) return null;
        throw err;
      });
      if (n === null) {
        if (signal?.aborted) break;
        failure ??= new BenchError("the server closed the control connection");
        break;
      }
      apply(control.feed(buffer.subarray(0, n)));
    }
    await writes;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stopped = true;
    clearInterval(interval);
    clearInterval(ticker);
    clearTimeout(endTimer);
    progress.finish();
    if (prober) loadedRtts.push(...prober.all, ...prober.rtts);
    await setup;
    for (const s of streams) {
      if (s.conn) closeQuietly(s.conn);
      if (s.socket) closeQuietly(s.socket);
      s.port?.close();
      await s.port?.finished;
    }
    closeQuietly(conn);
    await Promise.allSettled(tasks);
    await prober?.close();
  }
  if (signal?.aborted) throw new InterruptedError();
  if (failure) throw failure;
  const rtt = prober ? { idle: idleRtt, loaded: rttFigures(loadedRtts) } : undefined;
  printTotals(out, params, streams.map((s) => s.counters), peer, endTime, rtt);
}

const zeroUdp: UdpFigures = {
  received: 0,
  expected: 0,
  lost: 0,
  outOfOrder: 0,
  duplicates: 0,
  jitter: 0,
  jitterSum: 0,
  jitterSamples: 0,
};

function peerSpan(
  r: StreamResult | undefined,
  id: number,
  sender: boolean,
  udp: boolean,
): SpanFigures {
  const end = r?.end_time ?? 0;
  const figures = spanFigures(
    { id, sender, start: 0, end, bytes: r?.bytes ?? 0 },
    udp && !sender
      ? {
        received: 0,
        expected: r?.packets ?? 0,
        lost: r?.errors ?? 0,
        outOfOrder: r?.out_of_order ?? 0,
        jitter: r?.jitter ?? 0,
      }
      : undefined,
    udp && sender ? r?.packets ?? 0 : undefined,
  );
  if (udp && !sender && r?.out_of_order === undefined) delete figures.out_of_order;
  return figures;
}

function printTotals(
  out: Output,
  params: TestParams,
  counters: StreamCounters[],
  peer: Results | undefined,
  endTime: number,
  rtt: { idle: RttFigures | undefined; loaded: RttFigures | undefined } | undefined,
): void {
  const udp = params.protocol === "udp";
  const pairs: { sender: SpanFigures; receiver: SpanFigures; reverse: boolean }[] = [];
  for (const c of counters) {
    const theirs = peer?.streams.find((s) => s.id === c.id);
    const figures = c.udpFigures();
    const mine = spanFigures(
      { id: c.id, sender: c.sending, start: 0, end: c.endTime || endTime, bytes: c.bytes },
      figures ? udpSpan(figures) : undefined,
      udp && c.sending ? c.packets : undefined,
    );
    const other = peerSpan(theirs, c.id, !c.sending, udp);
    const reverse = params.direction === "bidir" && !c.sending;
    pairs.push(
      c.sending
        ? { sender: mine, receiver: other, reverse }
        : { sender: other, receiver: mine, reverse },
    );
  }
  const forward = pairs.filter((p) => !p.reverse);
  const reverse = pairs.filter((p) => p.reverse);
  const sums = {
    sum_sent: sumFigures(forward.map((p) => p.sender), true),
    sum_received: sumFigures(forward.map((p) => p.receiver), false),
    ...(reverse.length > 0
      ? {
        sum_sent_bidir_reverse: sumFigures(reverse.map((p) => p.sender), true),
        sum_received_bidir_reverse: sumFigures(reverse.map((p) => p.receiver), false),
      }
      : {}),
  };
  if (out.json) {
    out.event({
      event: "end",
      streams: pairs.map((p) => ({ sender: p.sender, receiver: p.receiver })),
      ...sums,
      ...(rtt ? { rtt_ms: rtt } : {}),
    });
    return;
  }
  const lines = ["- - - - - - - - - - - - - - - - - - - - - - - - -"];
  for (const p of pairs) {
    lines.push(figuresLine(p.sender, { role: "sender" }));
    lines.push(figuresLine(p.receiver, { role: "receiver" }));
  }
  if (pairs.length > 1) {
    lines.push(figuresLine(sums.sum_sent, { role: "sender" }));
    lines.push(figuresLine(sums.sum_received, { role: "receiver" }));
    if (sums.sum_sent_bidir_reverse && sums.sum_received_bidir_reverse) {
      lines.push(figuresLine(sums.sum_sent_bidir_reverse, { role: "sender (reverse)" }));
      lines.push(figuresLine(sums.sum_received_bidir_reverse, { role: "receiver (reverse)" }));
    }
  }
  for (const [name, r] of [["idle", rtt?.idle], ["under load", rtt?.loaded]] as const) {
    if (r) {
      lines.push(
        `rtt ${name}: p50 ${r.p50.toFixed(2)} / p99 ${r.p99.toFixed(2)} / max ${
          r.max.toFixed(2)
        } ms ` +
          `(${r.samples} probes)`,
      );
    }
  }
  out.data(new TextEncoder().encode(lines.join("\n") + "\n"));
}
