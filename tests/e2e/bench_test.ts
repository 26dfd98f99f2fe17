/**
 * `bench serve` and `bench client` as a user runs them, sockit at both ends,
 * and the faults a server must survive: garbage, wrong cookies, streams that
 * never send, clients that vanish, absurd parameters. Each bad test is
 * answered or closed and logged, and a good test right after still runs.
 */
import assert from "node:assert/strict";
import { runSockit, sockit, type Spawned } from "../helpers/harness.ts";

const encoder = new TextEncoder();
const PERMS = ["--allow-net=127.0.0.1"];

function cookie(letter: string): Uint8Array {
  return encoder.encode(letter.repeat(36) + "\0");
}

function frame(value: unknown): Uint8Array {
  const text = encoder.encode(JSON.stringify(value));
  const out = new Uint8Array(4 + text.length);
  new DataView(out.buffer).setUint32(0, text.length);
  out.set(text, 4);
  return out;
}

/** Reads exactly n bytes (or what arrives before the peer closes) within 10 s. */
async function readBytes(conn: Deno.Conn, n: number): Promise<number[]> {
  const out: number[] = [];
  const buffer = new Uint8Array(n);
  const deadline = setTimeout(() => conn.close(), 10_000);
  try {
    while (out.length < n) {
      const got = await conn.read(buffer.subarray(0, n - out.length)).catch(() => null);
      if (got === null) break;
      out.push(...buffer.subarray(0, got));
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

async function control(port: number, letter: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(cookie(letter));
  assert.deepEqual(await readBytes(conn, 1), [9], "PARAM_EXCHANGE");
  return conn;
}

async function goodTest(port: number, extra: string[] = []): Promise<string> {
  const { code, stdout, stderr } = await runSockit(
    ["bench", "client", `127.0.0.1:${port}`, "-n", "2M", ...extra],
    { permissions: PERMS },
  );
  assert.equal(code, 0, stderr);
  return stdout;
}

async function server(args: string[] = []): Promise<{ proc: Spawned; port: number }> {
  const proc = sockit(["bench", "serve", "0", "--timeout", "1000", ...args], PERMS);
  return { proc, port: await proc.port() };
}

Deno.test("bench client against bench serve: TCP, -R, --bidir -P 2, UDP, --json", async () => {
  await using s = sockit(["bench", "serve", "0", "--json"], PERMS);
  const port = Number((await s.waitFor(/"port":(\d+)/, { on: "stdout" }))[1]);
  const up = await goodTest(port, ["-i", "0"]);
  assert.match(up, /sender\n.*receiver\n/);
  await goodTest(port, ["-R"]);
  const bidir = await goodTest(port, ["--bidir", "-P", "2"]);
  assert.match(bidir, /\[SUM\].*sender \(reverse\)/);
  const udp = await runSockit(
    ["bench", "client", `127.0.0.1:${port}`, "-u", "-b", "20m", "-t", "1", "--json"],
    { permissions: [...PERMS] },
  );
  assert.equal(udp.code, 0, udp.stderr);
  const end = JSON.parse(udp.stdout.trim().split("\n").at(-1)!);
  assert.equal(end.event, "end");
  assert.ok(end.sum_received.packets > 0);
  assert.equal(end.sum_received.lost_packets + end.sum_received.packets > 0, true);
  assert.equal(typeof end.sum_received.out_of_order, "number");
  await s.waitFor(/"protocol":"udp"/, { on: "stdout" });
  const tests = s.stdout.split("\n").filter((l) => l.includes('"event":"test"'));
  assert.equal(tests.length, 4);
});

Deno.test("bench serve --once exits 0 after one test, with its summary", async () => {
  await using s = sockit(["bench", "serve", "0", "--once"], PERMS);
  const port = await s.port();
  await goodTest(port);
  const done = await s.finish();
  assert.equal(done.code, 0);
  assert.match(done.stderr, /TCP, 1 stream: received 2\.1 MB/);
  assert.match(done.stderr, /stopped: 1 test served, 0 failed, 0 refused/);
});

Deno.test("bench client --latency reports idle and loaded round trips", async () => {
  const { proc, port } = await server();
  await using _ = proc;
  const out = await goodTest(port, ["--latency", "-n", "20M"]);
  assert.match(out, /rtt idle: p50 [\d.]+ \/ p99 [\d.]+ \/ max [\d.]+ ms/);
  assert.match(out, /rtt under load: p50/);
});

Deno.test("bench serve: garbage on the control connection is closed; the next test runs", async () => {
  const { proc, port } = await server();
  await using _ = proc;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: example\r\n\r\nxxxxxxxxxxx"));
  assert.deepEqual(await readBytes(conn, 1), [], "closed without an answer");
  conn.close();
  await proc.waitFor(/closed: not an iperf3 client/);
  await goodTest(port);
});

Deno.test("bench serve: absurd parameters get iperf3's SERVER_ERROR and are logged", async () => {
  const { proc, port } = await server();
  await using _ = proc;
  const cases: [unknown, number, RegExp][] = [
    [{ tcp: true, time: 1, parallel: 100000 }, 6, /100000 streams/],
    [{ udp: true, time: 1, len: 70000 }, 20, /70000-byte datagrams/],
    [{ tcp: true, time: -5 }, 5, /test of -5 s/],
  ];
  for (const [i, [params, code, log]] of cases.entries()) {
    const conn = await control(port, "abc"[i]!);
    await conn.write(frame(params));
    const answer = await readBytes(conn, 9);
    assert.equal(answer[0], 0xfe, "SERVER_ERROR");
    assert.equal(new DataView(Uint8Array.from(answer).buffer).getInt32(1), code);
    conn.close();
    await proc.waitFor(log);
  }
  await goodTest(port);
});

Deno.test("bench serve: a wrong cookie on a data stream, and streams that never send, end that test only", async () => {
  const { proc, port } = await server();
  await using _ = proc;
  const conn = await control(port, "d");
  await conn.write(frame({ tcp: true, time: 1, parallel: 2 }));
  assert.deepEqual(await readBytes(conn, 1), [10], "CREATE_STREAMS");
  // One stream with someone else's cookie: taken for a new test, which gets garbage.
  const wrong = await Deno.connect({ hostname: "127.0.0.1", port });
  await wrong.write(cookie("e"));
  assert.deepEqual(await readBytes(wrong, 1), [9]);
  await wrong.write(new Uint8Array(64).fill(0x55));
  const refused = await readBytes(wrong, 9);
  assert.equal(refused[0], 0xfe);
  wrong.close();
  // One that connects and never sends its cookie.
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  // The test never gets its two streams: SERVER_ERROR after --timeout.
  const answer = await readBytes(conn, 9);
  assert.equal(answer[0], 0xfe);
  conn.close();
  await proc.waitFor(/test failed: data streams did not connect in time/);
  await proc.waitFor(/closed: no cookie in time/);
  silent.close();
  await goodTest(port);
});

Deno.test("bench serve: a client that never sends its parameters, or its results, loses its slot", async () => {
  const { proc, port } = await server(["--max-clients", "1"]);
  await using _ = proc;
  const silent = await control(port, "h");
  const answer = await readBytes(silent, 9);
  assert.equal(answer[0], 0xfe, "SERVER_ERROR");
  assert.equal(new DataView(Uint8Array.from(answer).buffer).getInt32(1), 114);
  silent.close();
  await proc.waitFor(/test failed: no parameters in time/);
  // One that stops after TEST_END.
  const conn = await control(port, "i");
  await conn.write(frame({ tcp: true, time: 30, parallel: 1 }));
  assert.deepEqual(await readBytes(conn, 1), [10]);
  const stream = await Deno.connect({ hostname: "127.0.0.1", port });
  await stream.write(cookie("i"));
  assert.deepEqual(await readBytes(conn, 2), [1, 2]);
  await conn.write(Uint8Array.of(4));
  assert.deepEqual(await readBytes(conn, 1), [13], "EXCHANGE_RESULTS");
  await proc.waitFor(/test failed: no results from the client in time/);
  stream.close();
  conn.close();
  await goodTest(port); // the slot is free again
});

Deno.test("bench serve: a client that vanishes mid-test is logged; others keep running", async () => {
  const { proc, port } = await server();
  await using _ = proc;
  const conn = await control(port, "f");
  await conn.write(frame({ tcp: true, time: 30, parallel: 1 }));
  assert.deepEqual(await readBytes(conn, 1), [10]);
  const stream = await Deno.connect({ hostname: "127.0.0.1", port });
  await stream.write(cookie("f"));
  assert.deepEqual(await readBytes(conn, 2), [1, 2], "TEST_START, TEST_RUNNING");
  await stream.write(new Uint8Array(100_000));
  await goodTest(port); // runs alongside
  stream.close();
  conn.close();
  await proc.waitFor(/test failed: client closed the control connection/);
  await goodTest(port);
});

Deno.test("bench serve --max-clients 1: the second client is told busy and exits 1", async () => {
  const { proc, port } = await server(["--max-clients", "1"]);
  await using _ = proc;
  const conn = await control(port, "g");
  const busy = await runSockit(["bench", "client", `127.0.0.1:${port}`, "-t", "1"], {
    permissions: PERMS,
  });
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /sockit: error: the server is busy/);
  await proc.waitFor(/refused: busy/);
  conn.close();
});

Deno.test("bench client: usage errors exit 2; a refused connection exits 1", async () => {
  for (const args of [["-t", "2", "-n", "1M"], ["-R", "--bidir"], ["-u", "-l", "70000"]]) {
    const r = await runSockit(["bench", "client", "127.0.0.1:5201", ...args], {
      permissions: PERMS,
    });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^sockit: error: /m);
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const refused = await runSockit(["bench", "client", `127.0.0.1:${port}`, "-t", "1"], {
    permissions: PERMS,
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refused/);
});
