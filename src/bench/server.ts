/**
 * `bench serve`: an iperf3-compatible server that runs several tests at
 * once. Every TCP connection opens with a cookie: a new cookie is a new
 * test's control connection, a known one is a data stream of that test. UDP
 * streams of all tests share one socket on the same port, told apart by the
 * sender's address; only one test at a time may be connecting UDP streams
 * (the UDP handshake carries no cookie).
 *
 * Requires `--allow-net` for the listen address.
 *
 * @module
 */

import { SocketError } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import type { HostAddress } from "../inet/address.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { closeQuietly, listen, type ListenTls, peerName } from "../net/endpoint.ts";
import { ServerControl, type ServerEffect } from "./control.ts";
import {
  clientSends,
  COOKIE_LENGTH,
  cookieText,
  IperfError,
  type Results,
  streamCount,
  streamId,
  type TestParams,
} from "./protocol.ts";
import { resultEvent, resultLine, type TestSummary } from "./report.ts";
import { Budget, receiveTcp, sendTcp, sendUdp, StreamCounters, udpArrival } from "./streams.ts";
import { readHeader } from "./udp_stats.ts";
import { LatencyResponder } from "./latency.ts";
import { bindUdp, peerKey as udpKey, type UdpPeer, type UdpPort } from "./udp_socket.ts";

/** Options for {@linkcode serveBench}. */
export interface ServeBenchOptions {
  /** Tests at once; one more is answered ACCESS_DENIED. @default {8} */
  maxClients?: number;
  /** Exit after the first test that finishes (or fails). @default {false} */
  once?: boolean;
  /** How long a new connection may take to send its cookie, and a test its streams. @default {10000} */
  setupTimeoutMs?: number;
  signal?: AbortSignal;
  /** `--allow`/`--deny`: denied clients are closed at once, their datagrams dropped. */
  access?: AccessGate | undefined;
  /** `--tls`: the control connection and TCP data streams speak TLS (UDP data stays plain). */
  tls?: ListenTls | undefined;
}

/** Totals of a server's run. */
export interface BenchServerStats {
  tests: number;
  failed: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

const UDP_CONNECT_REPLY = Uint8Array.of(0x36, 0x37, 0x38, 0x39); // "6789"

/** A mutual exclusion for the UDP stream handshake. */
class Gate {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => release = resolve);
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

interface Shared {
  out: Output;
  udp: UdpPort | undefined;
  udpStreams: Map<string, { test: BenchTest; counters: StreamCounters }>;
  udpGate: Gate;
  /** The test whose UDP streams are connecting now. */
  udpOpening: BenchTest | undefined;
  setupTimeoutMs: number;
  stats: BenchServerStats;
  latency: LatencyResponder | undefined;
}

/** One test: its control connection, its streams and their counters. */
class BenchTest {
  readonly from: string;
  readonly cookie: string;
  #control = new ServerControl();
  #conn: Deno.Conn;
  #shared: Shared;
  #writes: Promise<void> = Promise.resolve();
  params: TestParams | undefined;
  #pending: { conn: Deno.Conn; serial: number }[] = [];
  #udpPeers: UdpPeer[] = [];
  #streams: StreamCounters[] = [];
  #conns: Deno.Conn[] = [];
  #tasks: Promise<void>[] = [];
  #started = 0;
  #stopped = false;
  #setupTimer: ReturnType<typeof setTimeout> | undefined;
  #releaseUdp: (() => void) | undefined;
  #finished!: (summary: TestSummary | undefined) => void;
  readonly finished: Promise<TestSummary | undefined> = new Promise((r) => this.#finished = r);
  #peerResults: Results | undefined;
  #failure: string | undefined;

  constructor(conn: Deno.Conn, from: string, cookie: string, shared: Shared) {
    this.#conn = conn;
    this.from = from;
    this.cookie = cookie;
    this.#shared = shared;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  /** Takes the cookie already read, accepts or denies, then reads the control connection. */
  async run(cookie: Uint8Array, accept: boolean): Promise<void> {
    this.#apply(this.#control.feed(cookie));
    if (accept) this.#arm("no parameters in time", IperfError.RECV_PARAMS);
    this.#apply(accept ? this.#control.accept() : this.#control.deny());
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (this.#control.phase !== "closed") {
        const n = await this.#conn.read(buffer);
        if (n === null) {
          this.#apply(this.#control.peerClosed("client closed the control connection"));
          break;
        }
        this.#apply(this.#control.feed(buffer.subarray(0, n)));
      }
    } catch (err) {
      this.#apply(this.#control.fail(`control connection lost (${errorText(err)})`, 0));
    }
  }

  /** A data stream arrived with this test's cookie. */
  addTcpStream(conn: Deno.Conn, serial: number): void {
    const params = this.params;
    if (
      !params || params.protocol !== "tcp" || this.#started > 0 || this.#control.phase !== "streams"
    ) {
      closeQuietly(conn);
      this.#shared.out.detail(`${this.from}: unexpected data stream closed`);
      return;
    }
    this.#pending.push({ conn, serial });
    if (this.#pending.length === streamCount(params)) {
      this.#pending.sort((a, b) => a.serial - b.serial);
      this.#conns = this.#pending.map((p) => p.conn);
      this.#begin();
    }
  }

  /** A UDP stream's first datagram arrived while this test holds the UDP gate. */
  addUdpStream(peer: UdpPeer): void {
    const params = this.params;
    const udp = this.#shared.udp;
    if (!params || !udp) return;
    const index = this.#udpPeers.length;
    this.#udpPeers.push(peer);
    const counters = new StreamCounters(streamId(index), !clientSends(params, index), true);
    this.#streams.push(counters);
    this.#shared.udpStreams.set(udpKey(peer), { test: this, counters });
    udp.send(UDP_CONNECT_REPLY, peer).catch(() => {});
    if (this.#udpPeers.length === streamCount(params)) {
      this.#releaseGate();
      this.#begin();
    }
  }

  /** A datagram for one of this test's UDP streams. */
  udpDatagram(counters: StreamCounters, datagram: Uint8Array): void {
    if (this.#started === 0 || this.#stopped || counters.sending) return;
    const header = readHeader(datagram, this.params?.counters64 ?? false);
    if (!header) return;
    counters.bytes += datagram.length;
    counters.udp?.receive(header, udpArrival());
  }

  #begin(): void {
    const params = this.params!;
    clearTimeout(this.#setupTimer);
    this.#started = performance.now();
    const stopped = () => this.#stopped;
    const budget = new Budget(params.bytes);
    if (params.protocol === "tcp") {
      this.#conns.forEach((conn, index) => {
        const sending = !clientSends(params, index);
        const counters = new StreamCounters(streamId(index), sending, false);
        this.#streams.push(counters);
        this.#tasks.push(
          sending
            ? sendTcp(conn, counters, {
              len: params.len,
              bandwidth: params.bandwidth,
              budget,
              stopped,
            })
            : receiveTcp(conn, counters, () => !this.#stopped),
        );
      });
    } else {
      this.#streams.forEach((counters, index) => {
        if (!counters.sending) return;
        const peer = this.#udpPeers[index]!;
        const udp = this.#shared.udp!;
        this.#tasks.push(sendUdp((d) => udp.send(d, peer), counters, {
          len: params.len,
          bandwidth: params.bandwidth,
          budget,
          stopped,
          counters64: params.counters64,
        }));
      });
    }
    this.#apply(this.#control.streamsReady());
  }

  #apply(effects: ServerEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case "send":
          this.#send(effect.bytes);
          break;
        case "cookie":
          break;
        case "params":
          this.params = effect.params;
          this.#prepare(effect.params);
          break;
        case "stop":
          this.#stop();
          this.#arm("no results from the client in time", IperfError.RECV_RESULTS);
          break;
        case "peer-results":
          clearTimeout(this.#setupTimer);
          this.#peerResults = effect.results;
          this.#apply(this.#control.sendResults(this.#results()));
          // Results are exchanged: a client that never says IPERF_DONE still had its test.
          clearTimeout(this.#setupTimer);
          this.#setupTimer = setTimeout(() => {
            this.#apply(this.#control.peerClosed("no IPERF_DONE"));
          }, this.#shared.setupTimeoutMs);
          break;
        case "done":
          this.#close(undefined);
          break;
        case "fail":
          this.#close(effect.reason);
          break;
      }
    }
  }

  /** Fails the test with `reason` unless the next step comes within --timeout. */
  #arm(reason: string, code: number): void {
    clearTimeout(this.#setupTimer);
    this.#setupTimer = setTimeout(() => {
      this.#apply(this.#control.fail(reason, code));
    }, this.#shared.setupTimeoutMs);
  }

  async #prepare(params: TestParams): Promise<void> {
    clearTimeout(this.#setupTimer);
    if (params.protocol === "udp") {
      const release = await this.#shared.udpGate.acquire();
      if (this.#control.phase !== "streams") {
        release();
        return;
      }
      this.#releaseUdp = release;
      this.#shared.udpOpening = this;
    }
    this.#arm("data streams did not connect in time", IperfError.STREAM_CONNECT);
    this.#apply(this.#control.createStreams());
  }

  #releaseGate(): void {
    if (this.#shared.udpOpening === this) this.#shared.udpOpening = undefined;
    this.#releaseUdp?.();
    this.#releaseUdp = undefined;
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const elapsed = this.#elapsed();
    for (const s of this.#streams) s.endTime = elapsed;
  }

  #elapsed(): number {
    return this.#started === 0 ? 0 : (performance.now() - this.#started) / 1000;
  }

  #results(): Results {
    return {
      cpu_util_total: 0,
      cpu_util_user: 0,
      cpu_util_system: 0,
      sender_has_retransmits: 0,
      streams: this.#streams.map((s) => {
        const udp = s.udpFigures();
        return {
          id: s.id,
          bytes: s.bytes,
          retransmits: -1,
          jitter: udp ? (udp.jitterSamples > 0 ? udp.jitterSum / udp.jitterSamples : 0) : 0,
          errors: udp?.lost ?? 0,
          packets: udp ? udp.expected : s.packets,
          start_time: 0,
          end_time: s.endTime,
          ...(udp ? { out_of_order: udp.outOfOrder } : {}),
        };
      }),
    };
  }

  #send(bytes: Uint8Array): void {
    const conn = this.#conn;
    this.#writes = this.#writes.then(async () => {
      let done = 0;
      while (done < bytes.length) done += await conn.write(bytes.subarray(done));
    }).catch(() => {});
  }

  #close(failure: string | undefined): void {
    this.#stop();
    clearTimeout(this.#setupTimer);
    this.#releaseGate();
    this.#failure = failure;
    for (const peer of this.#udpPeers) this.#shared.udpStreams.delete(udpKey(peer));
    for (const { conn } of this.#pending) closeQuietly(conn);
    const conns = this.#conns;
    const control = this.#conn;
    const summary = this.params && failure === undefined
      ? {
        from: this.from,
        params: this.params,
        streams: this.#streams,
        peer: this.#peerResults,
        seconds: this.#streams[0]?.endTime ?? 0,
      }
      : undefined;
    this.#writes.finally(async () => {
      for (const conn of conns) closeQuietly(conn);
      closeQuietly(control);
      await Promise.allSettled(this.#tasks);
      this.#finished(summary);
    });
  }

  /** Ends the test because the server stops. */
  terminate(): void {
    this.#apply(this.#control.fail("server stopped", 0));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads exactly `n` bytes, or fewer when the peer closes first. */
async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(n);
  let done = 0;
  while (done < n) {
    const got = await conn.read(bytes.subarray(done));
    if (got === null) break;
    done += got;
  }
  return bytes.subarray(0, done);
}

/** Reads a cookie within `ms`, or returns what arrived (maybe nothing) when time runs out. */
async function readCookie(conn: Deno.Conn, ms: number): Promise<Uint8Array | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([
      readExactly(conn, COOKIE_LENGTH).catch(() => new Uint8Array()),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serves iperf3 tests on `address` (TCP and UDP on the same port) until
 * `signal` aborts, or after one test with `once`.
 *
 * @throws {SocketError} when the address cannot be bound
 */
export async function serveBench(
  address: HostAddress,
  out: Output,
  options: ServeBenchOptions = {},
): Promise<BenchServerStats> {
  const { maxClients = 8, once = false, setupTimeoutMs = 10_000, signal, access, tls } = options;
  const bound = listen(address, out, { tls });
  // Filled in below, once the shared state exists: the socket hands datagrams to it.
  let onDatagram: (datagram: Uint8Array, peer: UdpPeer) => void = () => {};
  let udp: UdpPort;
  try {
    udp = bindUdp(
      address.hostname,
      bound.address.transport === "unix" ? 0 : bound.address.port,
      (datagram, peer) => onDatagram(datagram, peer),
    );
  } catch (err) {
    bound.close();
    throw new SocketError(err, { action: "listen", address: `${address.hostname} (udp)` });
  }
  const shared: Shared = {
    out,
    udp,
    udpStreams: new Map(),
    udpGate: new Gate(),
    udpOpening: undefined,
    setupTimeoutMs,
    stats: { tests: 0, failed: 0, refused: 0, bytesIn: 0, bytesOut: 0 },
    latency: undefined,
  };
  let probes: UdpPort;
  try {
    probes = bindUdp(
      address.hostname,
      0,
      (datagram, peer) => {
        if (access && !access.admits(peer.hostname, udpKey(peer), { transport: "udp" })) return;
        shared.latency?.answerProbe(datagram, peer);
      },
    );
  } catch (err) {
    bound.close();
    udp.close();
    throw new SocketError(err, { action: "listen", address: `${address.hostname}:0 (udp)` });
  }
  shared.latency = new LatencyResponder({
    main: (data, to) => udp.send(data, to),
    probe: (data, to) => probes.send(data, to),
    probePort: probes.port,
  });
  const tests = new Map<string, BenchTest>();
  const pending = new Set<Promise<void>>();
  let serial = 0;
  let active = 0;
  let done = false;
  const stopAll = () => {
    done = true;
    bound.close();
    for (const test of tests.values()) test.terminate();
    udp.close();
    probes.close();
  };
  signal?.addEventListener("abort", stopAll, { once: true });

  onDatagram = (datagram, peer) => {
    if (access && !access.admits(peer.hostname, udpKey(peer), { transport: "udp" })) return;
    const stream = shared.udpStreams.get(udpKey(peer));
    if (stream) stream.test.udpDatagram(stream.counters, datagram);
    else if (shared.latency?.answerMain(datagram, peer)) return;
    else if (shared.udpOpening) shared.udpOpening.addUdpStream(peer);
    else out.detail(`datagram from ${udpKey(peer)} that belongs to no test ignored`);
  };

  const handle = async (conn: Deno.Conn, n: number) => {
    const from = peerName(conn, n);
    const first = await readCookie(conn, setupTimeoutMs);
    if (first === "timeout" || first.length < COOKIE_LENGTH) {
      closeQuietly(conn);
      out.status(
        `${from}: closed: ${
          first === "timeout" ? "no cookie in time" : "closed before its cookie"
        }`,
        {
          event: "closed",
          from,
          bytesIn: first === "timeout" ? 0 : first.length,
          bytesOut: 0,
          reason: "no cookie",
        },
      );
      return;
    }
    const text = cookieText(first);
    const owner = text === undefined ? undefined : tests.get(text);
    if (owner) {
      owner.addTcpStream(conn, n);
      return;
    }
    if (text === undefined) {
      closeQuietly(conn);
      shared.stats.failed++;
      out.status(`${from}: closed: not an iperf3 client (bad cookie)`, {
        event: "closed",
        from,
        bytesIn: first.length,
        bytesOut: 0,
        reason: "bad cookie",
      });
      return;
    }
    const test = new BenchTest(conn, from, text, shared);
    const accept = active < maxClients && !done;
    if (!accept) {
      shared.stats.refused++;
      out.status(`${from}: refused: busy (${maxClients} tests running)`, {
        event: "refused",
        from,
        reason: "busy",
      });
      await test.run(first, false);
      await test.finished;
      return;
    }
    active++;
    tests.set(text, test);
    out.status(`${from}: test started`, { event: "connection", from });
    await test.run(first, true);
    const summary = await test.finished;
    tests.delete(text);
    active--;
    if (summary) {
      shared.stats.tests++;
      const line = resultLine(summary);
      const event = resultEvent(summary);
      shared.stats.bytesIn += event.bytesIn;
      shared.stats.bytesOut += event.bytesOut;
      out.status(line, event);
    } else {
      shared.stats.failed++;
      out.status(`${from}: test failed: ${test.failure ?? "unknown"}`, {
        event: "closed",
        from,
        bytesIn: 0,
        bytesOut: 0,
        reason: test.failure ?? "failed",
      });
    }
    if (once) stopAll();
  };

  try {
    for await (const conn of bound.listener) {
      const addr = conn.remoteAddr;
      if (
        access && addr.transport === "tcp" &&
        !access.admits(addr.hostname, peerName(conn, serial + 1))
      ) {
        closeQuietly(conn);
        continue;
      }
      const task = handle(conn, ++serial).catch((err) => {
        out.detail(`connection ${serial}: ${errorText(err)}`);
      });
      pending.add(task);
      task.finally(() => pending.delete(task));
      if (done) break;
    }
  } catch (err) {
    if (!done && !(err instanceof Deno.errors.BadResource)) throw err;
  } finally {
    signal?.removeEventListener("abort", stopAll);
    stopAll();
    await Promise.allSettled([...pending]);
    await udp.finished;
    await probes.finished;
  }
  return shared.stats;
}
