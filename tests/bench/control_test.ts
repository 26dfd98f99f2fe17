import assert from "node:assert/strict";
import {
  ClientControl,
  type ClientEffect,
  ServerControl,
  type ServerEffect,
} from "../../src/bench/control.ts";
import { encodeJsonFrame, IperfError, type Results } from "../../src/bench/protocol.ts";
import { TCP_CLIENT, TCP_SERVER, UDP_CLIENT, UDP_SERVER } from "./_iperf3_session.ts";

function sent(effects: (ServerEffect | ClientEffect)[]): number[] {
  return effects.flatMap((e) => e.type === "send" ? [...e.bytes] : []);
}

function types(effects: (ServerEffect | ClientEffect)[]): string[] {
  return effects.map((e) => e.type);
}

const RESULTS: Results = {
  cpu_util_total: 0,
  cpu_util_user: 0,
  cpu_util_system: 0,
  sender_has_retransmits: 0,
  streams: [{
    id: 1,
    bytes: 10,
    retransmits: -1,
    jitter: 0,
    errors: 0,
    packets: 0,
    start_time: 0,
    end_time: 1,
  }],
};

/** Feeds `bytes` one at a time (the worst split a socket can make). */
function feedBytewise<E>(feed: (b: Uint8Array) => E[], bytes: Uint8Array): E[] {
  const out: E[] = [];
  for (const b of bytes) out.push(...feed(Uint8Array.of(b)));
  return out;
}

Deno.test("ServerControl runs a recorded iperf3 TCP session byte by byte", () => {
  const control = new ServerControl();
  const params = TCP_CLIENT.subarray(0, 37 + 4 + new DataView(TCP_CLIENT.buffer).getUint32(37));
  const rest = TCP_CLIENT.subarray(params.length);
  const out: ServerEffect[] = [];
  out.push(...feedBytewise((b) => control.feed(b), params.subarray(0, 37)));
  assert.deepEqual(out.map((e) => e.type), ["cookie"]);
  out.push(...control.accept());
  out.push(...feedBytewise((b) => control.feed(b), params.subarray(37)));
  const p = out.find((e) => e.type === "params");
  assert.ok(p && p.type === "params");
  assert.equal(p.params.protocol, "tcp");
  assert.equal(p.params.time, 1);
  assert.equal(p.params.len, 131072);
  assert.equal(p.params.parallel, 1);
  assert.equal(p.params.direction, "up");
  out.push(...control.createStreams(), ...control.streamsReady());
  const tail = feedBytewise((b) => control.feed(b), rest.subarray(0, rest.length - 1));
  assert.deepEqual(types(tail), ["stop", "send", "peer-results"]);
  const peer = tail[2];
  assert.ok(peer?.type === "peer-results");
  assert.equal(peer.results.streams[0]?.bytes, 1125908480);
  out.push(...tail, ...control.sendResults(RESULTS));
  // The server's bytes frame the same states as stock iperf3's, in the same order.
  const bytes = sent(out);
  assert.deepEqual(bytes.slice(0, 5), [...TCP_SERVER.subarray(0, 5)]);
  assert.equal(bytes.at(-1), TCP_SERVER.at(-1));
  assert.deepEqual(types(control.feed(rest.subarray(rest.length - 1))), ["done"]);
});

Deno.test("ServerControl reads the recorded UDP parameters", () => {
  const control = new ServerControl();
  control.feed(UDP_CLIENT.subarray(0, 37));
  const effects = [...control.accept(), ...control.feed(UDP_CLIENT.subarray(37, 200))];
  const p = effects.find((e) => e.type === "params");
  assert.ok(p?.type === "params");
  assert.equal(p.params.protocol, "udp");
  assert.equal(p.params.len, 100);
  assert.equal(p.params.bandwidth, 1048576);
});

Deno.test("ClientControl runs the recorded server side of a TCP session", () => {
  const cookie = TCP_CLIENT.subarray(0, 37);
  const control = new ClientControl({ params: { tcp: true, time: 1 }, cookie });
  assert.deepEqual(sent(control.open()), [...cookie]);
  const first = feedBytewise((b) => control.feed(b), TCP_SERVER.subarray(0, 5));
  assert.deepEqual(types(first), ["send", "create-streams", "running", "exchange"]);
  assert.deepEqual(sent(control.end()), [4]);
  const mine = control.sendResults(RESULTS);
  assert.deepEqual(sent(mine), [...encodeJsonFrame(RESULTS)]);
  const rest = feedBytewise((b) => control.feed(b), TCP_SERVER.subarray(5));
  assert.deepEqual(types(rest), ["peer-results", "send", "done"]);
  const peer = rest[0];
  assert.ok(peer?.type === "peer-results");
  assert.equal(peer.results.streams[0]?.bytes, 1123186870);
  // iperf3 sends "unknown" retransmits as -1 printed unsigned.
  assert.equal(peer.results.streams[0]?.retransmits, -1);
  assert.deepEqual(sent(rest), [16]);
});

Deno.test("ClientControl reads the recorded UDP server results", () => {
  const control = new ClientControl({ params: {}, cookie: UDP_CLIENT.subarray(0, 37) });
  control.feed(UDP_SERVER.subarray(0, 5));
  control.sendResults(RESULTS);
  const rest = control.feed(UDP_SERVER.subarray(5));
  const peer = rest[0];
  assert.ok(peer?.type === "peer-results");
  assert.equal(peer.results.streams[0]?.packets, 1310);
  assert.ok((peer.results.streams[0]?.jitter ?? 0) > 0);
});

function serverAfterCookie(): ServerControl {
  const control = new ServerControl();
  control.feed(new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz2345672345\0"));
  control.accept();
  return control;
}

function errorCode(effects: ServerEffect[]): number | undefined {
  const bytes = sent(effects);
  if (bytes[0] !== 0xfe) return undefined;
  return new DataView(Uint8Array.from(bytes).buffer).getInt32(1);
}

const BAD_PARAMS: [name: string, json: unknown, code: number][] = [
  ["-P 100000", { tcp: true, time: 1, parallel: 100000 }, IperfError.NUM_STREAMS],
  ["-P 0", { tcp: true, time: 1, parallel: 0 }, IperfError.NUM_STREAMS],
  ["UDP -l 70000", { udp: true, time: 1, len: 70000 }, IperfError.UDP_BLOCK_SIZE],
  ["TCP -l 2M", { tcp: true, time: 1, len: 2 * 1024 * 1024 }, IperfError.BLOCK_SIZE],
  ["negative time", { tcp: true, time: -5 }, IperfError.DURATION],
  ["a week", { tcp: true, time: 7 * 86400 }, IperfError.DURATION],
  ["negative bytes", { tcp: true, num: -1 }, IperfError.RECV_PARAMS],
  ["time as text", { tcp: true, time: "10" }, IperfError.RECV_PARAMS],
  [
    "reverse and bidir",
    { tcp: true, reverse: true, bidirectional: true },
    IperfError.REVERSE_BIDIR,
  ],
  ["an array", [1, 2], IperfError.RECV_PARAMS],
];

for (const [name, json, code] of BAD_PARAMS) {
  Deno.test(`ServerControl answers parameters with ${name} with SERVER_ERROR ${code}`, () => {
    const effects = serverAfterCookie().feed(encodeJsonFrame(json));
    assert.equal(errorCode(effects), code);
    assert.equal(effects.at(-1)?.type, "fail");
  });
}

Deno.test("ServerControl refuses garbage: a bad cookie is closed without an answer", () => {
  const control = new ServerControl();
  const effects = control.feed(
    new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789"),
  );
  assert.deepEqual(types(effects), ["fail"]);
  assert.equal(control.phase, "closed");
});

Deno.test("ServerControl refuses parameters that are not JSON or absurdly long", () => {
  const notJson = serverAfterCookie().feed(Uint8Array.of(0, 0, 0, 3, 0x7b, 0x7b, 0x7b));
  assert.equal(errorCode(notJson), IperfError.RECV_PARAMS);
  const huge = serverAfterCookie().feed(Uint8Array.of(0x7f, 0xff, 0xff, 0xff));
  assert.equal(errorCode(huge), IperfError.RECV_PARAMS);
});

Deno.test("ServerControl: an unexpected state while running is an error; CLIENT_TERMINATE ends the test", () => {
  const running = () => {
    const c = serverAfterCookie();
    c.feed(encodeJsonFrame({ tcp: true, time: 1 }));
    c.createStreams();
    c.streamsReady();
    return c;
  };
  assert.equal(errorCode(running().feed(Uint8Array.of(16))), IperfError.MESSAGE);
  const terminated = running().feed(Uint8Array.of(12));
  assert.deepEqual(types(terminated), ["fail"]);
});

Deno.test("ServerControl.deny() sends ACCESS_DENIED", () => {
  const control = new ServerControl();
  control.feed(new TextEncoder().encode("a".repeat(36) + "\0"));
  assert.deepEqual(sent(control.deny()), [0xff]);
});

Deno.test("ClientControl reports busy and server errors", () => {
  const busy = new ClientControl({ params: {}, cookie: new Uint8Array(37) }).feed(
    Uint8Array.of(0xff),
  );
  assert.equal(busy[0]?.type === "fail" && busy[0].busy, true);
  const error = new ClientControl({ params: {}, cookie: new Uint8Array(37) }).feed(
    Uint8Array.of(9, 0xfe, 0, 0, 0, 6, 0, 0, 0, 0),
  );
  const fail = error.at(-1);
  assert.ok(fail?.type === "fail");
  assert.match(fail.reason, /parallel streams/);
  const unknown = new ClientControl({ params: {}, cookie: new Uint8Array(37) }).feed(
    Uint8Array.of(77),
  );
  assert.equal(unknown.at(-1)?.type, "fail");
});

Deno.test("ServerControl.peerClosed(): done once results are exchanged, a failure before", () => {
  const c = serverAfterCookie();
  c.feed(encodeJsonFrame({ tcp: true, time: 1 }));
  assert.deepEqual(types(c.peerClosed("gone")), ["send", "fail"]);
  const d = serverAfterCookie();
  d.feed(encodeJsonFrame({ tcp: true, time: 1 }));
  d.createStreams();
  d.streamsReady();
  d.feed(Uint8Array.of(4));
  d.feed(encodeJsonFrame(RESULTS));
  d.sendResults(RESULTS);
  assert.deepEqual(types(d.peerClosed("gone")), ["done"]);
});
