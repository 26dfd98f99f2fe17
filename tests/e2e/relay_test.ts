/**
 * `relay tcp` and `relay udp` through the CLI, each run under exactly its
 * permission plan: bytes both ways, half-close in either order, targets
 * that refuse, time out or reset, clients that reset, a target that never
 * reads, 1,000 concurrent connections, Unix ends, and the UDP session table
 * (several clients at once, idle drop, the session bound).
 *
 * @module
 */

import assert from "node:assert/strict";
import { planFlags } from "../../src/command/plan.ts";
import { planOf, resolveInvocation } from "../../src/cli/run.ts";
import { TABLE } from "../../src/cli/table.ts";
import { readAll, send } from "../helpers/net.ts";
import { freePort, silentPort, sockit, Spawned } from "../helpers/harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The relay under exactly the plan of its arguments. */
function relay(args: string[]): Spawned {
  const resolved = resolveInvocation(args, TABLE, "test");
  if (resolved.kind !== "command") throw new Error(`${args.join(" ")} is not a command`);
  return sockit(args, planFlags(planOf(resolved.command, resolved.args)));
}

/** The port a relay listens on, from its `listening` line (its event with `--json`). */
async function portOf(proc: Spawned, json = false): Promise<number> {
  if (!json) return await proc.port();
  const [, port] = await proc.waitFor(/"event":"listening"[^\n]*"port":(\d+)/, { on: "stdout" });
  return Number(port);
}

/** The `closed` events a `--json` relay printed so far. */
function closedEvents(proc: Spawned): Record<string, unknown>[] {
  return proc.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((e) => e.event === "closed");
}

/** Waits until the relay has printed `n` closed events and returns them. */
async function waitClosed(proc: Spawned, n: number): Promise<Record<string, unknown>[]> {
  await proc.waitFor(new RegExp(`(?:"event":"closed"[^\\n]*\\n[\\s\\S]*){${n}}`), {
    on: "stdout",
  });
  return closedEvents(proc);
}

/** A TCP target on loopback: each connection handed to `serve`. */
function target(serve: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handlers = new Set<Promise<void>>();
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        const handler = serve(conn).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch {
            // already closed by the handler
          }
        });
        handlers.add(handler);
      }
    } catch {
      // listener closed
    }
  })();
  let open = true;
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      if (!open) return;
      open = false;
      listener.close();
      await loop;
      await Promise.all(handlers);
    },
  };
}

/** An echo target. */
function echoTarget() {
  return target(async (conn) => {
    const buffer = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buffer)) !== null;) await send(conn, buffer.subarray(0, n));
  });
}

Deno.test("relay tcp carries bytes both ways; a client's half-close still gets the whole answer", async () => {
  // The target answers only after the client's EOF: the answer must cross a half-closed relay.
  await using up = target(async (conn) => {
    const request = await readAll(conn);
    await send(conn, enc(`got ${request.length} bytes: `));
    await send(conn, request);
    await send(conn, enc("x".repeat(300_000)));
  });
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`, "--json"]);
  const port = await portOf(proc, true);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(conn, "hello relay");
  await conn.closeWrite();
  const answer = dec(await readAll(conn));
  conn.close();
  assert.equal(answer, `got 11 bytes: hello relay${"x".repeat(300_000)}`);
  const [closed] = await waitClosed(proc, 1);
  assert.equal(closed!.to, `127.0.0.1:${up.port}`);
  assert.equal(closed!.bytesIn, 11);
  assert.equal(closed!.bytesOut, answer.length);
  assert.equal(closed!.reason, "client closed");
  assert.equal(typeof closed!.seconds, "number");
  proc.kill("SIGINT");
  const { code, stdout } = await proc.finish();
  assert.equal(code, 130);
  assert.match(stdout, /"event":"summary","connections":1,"refused":0,"bytesIn":11/);
});

Deno.test("relay tcp: the target half-closes first and still receives everything the client sends", async () => {
  let resolveReceived!: (text: string) => void;
  const received = new Promise<string>((resolve) => resolveReceived = resolve);
  await using up = target(async (conn) => {
    await send(conn, "greeting, then my write side is shut\n");
    await conn.closeWrite();
    resolveReceived(dec(await readAll(conn)));
  });
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`]);
  const port = await proc.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // EOF arrives first (the target's half-close carried through) while the client may still send.
  assert.equal(dec(await readAll(conn)), "greeting, then my write side is shut\n");
  await send(conn, "late words ".repeat(10_000));
  await conn.closeWrite();
  const stderr = await proc.waitFor(/closed 127\.0\.0\.1:\d+ → .*\n/);
  conn.close();
  assert.ok((await received) === "late words ".repeat(10_000), "the target got every byte");
  assert.match(stderr[0], /\(110\.0 kB in, 37 B out, \d+\.\d{3} s\)/);
});

Deno.test("relay tcp: a refusing target closes that client, is reported, and the relay keeps serving", async () => {
  const port0 = freePort();
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${port0}`, "--json"]);
  const port = await portOf(proc, true);
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(first, "anyone?");
  assert.equal((await readAll(first).catch(() => new Uint8Array())).length, 0);
  first.close();
  const [refused] = await waitClosed(proc, 1);
  assert.equal(refused!.reason, `connection refused by 127.0.0.1:${port0}`);
  assert.equal(refused!.bytesOut, 0);
  // The target comes up on that port: the same relay now carries the next client.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: port0 });
  const served = (async () => {
    const conn = await listener.accept();
    await send(conn, "up now");
    conn.close();
  })();
  const second = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal(dec(await readAll(second)), "up now");
  second.close();
  await served;
  listener.close();
  const events = await waitClosed(proc, 2);
  assert.equal(events[1]!.reason, "target closed");
});

Deno.test("relay tcp: a target that does not answer the connect times out after --timeout", async () => {
  const { blocker, port: silent } = await silentPort();
  await using _blocker = blocker;
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${silent}`, "--timeout", "300"]);
  const port = await proc.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal((await readAll(conn).catch(() => new Uint8Array())).length, 0);
  conn.close();
  await proc.waitFor(
    new RegExp(`→ 127\\.0\\.0\\.1:${silent} \\(0 B in, 0 B out, .* s, timed out connecting`),
  );
});

/** Python code that resets `sock` (SO_LINGER 0, then close: an RST, not a FIN). */
const RESET =
  "sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); sock.close()";

Deno.test("relay tcp: a target resetting mid-stream ends that connection, not the relay", async () => {
  await using up = new Spawned("python3", [
    "-c",
    [
      "import socket, struct, time",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)",
      "print(s.getsockname()[1], flush=True)",
      "sock, _ = s.accept(); s.close(); sock.sendall(b'partial answer'); sock.recv(1)",
      "time.sleep(0.05)",
      RESET,
      "time.sleep(30)",
    ].join("\n"),
  ]);
  const [, upPort] = await up.waitFor(/^(\d+)\n/, { on: "stdout" });
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${upPort}`, "--json"]);
  const port = await portOf(proc, true);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(conn, "a request that is never read ".repeat(100));
  const got = await readAll(conn).catch(() => enc("(reset)"));
  conn.close();
  assert.ok(["partial answer", "(reset)", ""].includes(dec(got)), dec(got));
  const [closed] = await waitClosed(proc, 1);
  assert.equal(closed!.reason, "target reset");
  assert.equal(closed!.bytesIn, 2900);
  // Still serving (the target is gone now: refused).
  const again = await Deno.connect({ hostname: "127.0.0.1", port });
  await readAll(again).catch(() => {});
  again.close();
  const events = await waitClosed(proc, 2);
  assert.match(String(events[1]!.reason), /^connection refused/);
});

Deno.test("relay tcp: a client resetting mid-stream ends that connection and closes the target's", async () => {
  let targetSaw: string | undefined;
  await using up = target(async (conn) => {
    await send(conn, "y".repeat(256 * 1024)).catch(() => {});
    try {
      await readAll(conn);
      targetSaw = "end";
    } catch (err) {
      targetSaw = err instanceof Deno.errors.ConnectionReset ? "end" : String(err);
    }
  });
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`, "--json"]);
  const port = await portOf(proc, true);
  const client = new Spawned("python3", [
    "-c",
    [
      "import socket, struct",
      `sock = socket.create_connection(('127.0.0.1', ${port}))`,
      "sock.sendall(b'hi'); sock.recv(1024)",
      RESET,
    ].join("\n"),
  ]);
  assert.equal((await client.finish()).code, 0);
  const [closed] = await waitClosed(proc, 1);
  assert.match(String(closed!.reason), /^client (reset|went away)$/);
  assert.equal(closed!.bytesIn, 2);
  await up[Symbol.asyncDispose]();
  assert.equal(targetSaw, "end");
});

Deno.test("relay tcp: a target that never reads stops the client, with a bounded amount in flight", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let targetGot = 0;
  let targetDone!: () => void;
  const targetEnded = new Promise<void>((resolve) => targetDone = resolve);
  await using up = target(async (conn) => {
    await released;
    const buffer = new Uint8Array(256 * 1024);
    for (let n; (n = await conn.read(buffer)) !== null;) targetGot += n;
    targetDone();
  });
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`, "-q"]);
  const port = await proc.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  const limit = 512 * 1024 * 1024;
  let written = 0;
  let writing = true;
  const writer = (async () => {
    while (writing && written < limit) written += await conn.write(chunk);
  })();
  // Wait until the relay stops taking bytes (no progress for 1 s), at most 30 s.
  for (let last = -1, rounds = 0; written !== last && rounds < 30; rounds++) {
    last = written;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  // In flight: the kernel's socket buffers plus one relay buffer per direction, far below the limit.
  assert.ok(
    written < 64 * 1024 * 1024,
    `the relay took ${written} bytes for a target that never reads`,
  );
  assert.ok(proc.memory().current < 300 * 1024 * 1024, `relay RSS ${proc.memory().current}`);
  // Once the target reads, everything arrives, nothing lost.
  writing = false;
  release();
  await writer;
  await conn.closeWrite();
  await targetEnded;
  conn.close();
  assert.equal(targetGot, written);
});

Deno.test("relay tcp: 1,000 concurrent connections through the relay each get exactly their own bytes", async () => {
  await using up = echoTarget();
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`, "-q"]);
  const port = await proc.port();
  const clients: Deno.Conn[] = [];
  try {
    // All open at once (in batches, so the accept queue never overflows), then all talk at once.
    for (let i = 0; i < 1000; i += 100) {
      clients.push(
        ...await Promise.all(
          Array.from({ length: 100 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
        ),
      );
    }
    const results = await Promise.all(clients.map(async (conn, i) => {
      const payload = enc(`#${i}:`.repeat(20 + (i % 200)));
      await send(conn, payload);
      await conn.closeWrite();
      return { payload, echoed: await readAll(conn, 30_000) };
    }));
    for (const [i, { payload, echoed }] of results.entries()) {
      assert.deepEqual(echoed, payload, `connection ${i}`);
    }
  } finally {
    for (const conn of clients) conn.close();
  }
  proc.kill("SIGINT");
  const { code, stderr } = await proc.finish(30_000);
  assert.equal(code, 130);
  assert.match(
    stderr,
    /stopped: 1000 connections served, 0 refused|stopped: 1000 connections served,/,
  );
});

Deno.test("relay tcp --once relays one connection and exits 0", async () => {
  await using up = echoTarget();
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${up.port}`, "--once"]);
  const port = await proc.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(conn, "once");
  await conn.closeWrite();
  assert.equal(dec(await readAll(conn)), "once");
  conn.close();
  const { code, stderr } = await proc.finish();
  assert.equal(code, 0);
  assert.match(
    stderr,
    /closed 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(4 B in, 4 B out, \d+\.\d{3} s\)/,
  );
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
});

Deno.test("relay tcp --max-conns closes a client over the limit without a byte; --idle ends a silent one", async () => {
  await using up = echoTarget();
  await using proc = relay([
    "relay",
    "tcp",
    "0",
    `127.0.0.1:${up.port}`,
    "--max-conns",
    "1",
    "--idle",
    "400",
    "--json",
  ]);
  const port = await portOf(proc, true);
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(first, "ping");
  const buffer = new Uint8Array(16);
  assert.equal(await first.read(buffer), 4); // relayed: the first client holds the one slot
  const second = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal((await readAll(second).catch(() => new Uint8Array())).length, 0);
  second.close();
  await proc.waitFor(/"event":"refused"[^\n]*"reason":"busy"/, { on: "stdout" });
  // The first client says nothing more: the relay ends it after --idle.
  assert.equal(await first.read(buffer).catch(() => null), null);
  first.close();
  const [closed] = await waitClosed(proc, 1);
  assert.equal(closed!.reason, "idle 400 ms");
  assert.equal(closed!.bytesIn, 4);
});

Deno.test("relay tcp joins Unix sockets: unix→unix and tcp→unix, under the plan's read/write grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-relay-" });
  try {
    const upPath = `${dir}/target.sock`;
    const listener = Deno.listen({ transport: "unix", path: upPath });
    const serving = (async () => {
      for await (const conn of listener) {
        const request = await readAll(conn);
        await send(conn, enc(`unix got: ${dec(request)}`));
        conn.close();
      }
    })().catch(() => {});
    try {
      {
        const inPath = `${dir}/in.sock`;
        await using proc = relay(["relay", "tcp", `unix:${inPath}`, `unix:${upPath}`, "--once"]);
        await proc.waitFor(/listening on unix:/);
        const conn = await Deno.connect({ transport: "unix", path: inPath });
        await send(conn, "over unix");
        await conn.closeWrite();
        assert.equal(dec(await readAll(conn)), "unix got: over unix");
        conn.close();
        const { code, stderr } = await proc.finish();
        assert.equal(code, 0);
        assert.match(stderr, new RegExp(`closed unix:#1 → unix:${upPath} \\(9 B in, 19 B out`));
      }
      {
        await using proc = relay(["relay", "tcp", "0", `unix:${upPath}`, "--once"]);
        const port = await proc.port();
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await send(conn, "from tcp");
        await conn.closeWrite();
        assert.equal(dec(await readAll(conn)), "unix got: from tcp");
        conn.close();
        assert.equal((await proc.finish()).code, 0);
      }
    } finally {
      listener.close();
      await serving;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A DNS-like UDP responder on loopback: a request is a 2-byte id and a name;
 * the answer is the id, the name, and the port the request came from (so a
 * client sees which upstream socket carried it).
 */
function udpResponder() {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const seen = new Set<number>();
  const loop = (async () => {
    try {
      for (;;) {
        const [data, from] = await socket.receive();
        const { port } = from as Deno.NetAddr;
        seen.add(port);
        const answer = concat(data.subarray(0, 2), enc(`${dec(data.subarray(2))} A ${port}`));
        await socket.send(answer, from);
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    /** The distinct source ports requests came from: one per relay session. */
    seen,
    async [Symbol.asyncDispose]() {
      socket.close();
      await loop;
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A python client that sends `count` DNS-like requests through `port` and checks every answer. */
function pythonUdpClient(port: number, name: string, count: number): Spawned {
  return new Spawned("python3", [
    "-c",
    [
      "import os, socket, struct",
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)",
      `name = ${JSON.stringify(name)}`,
      `for i in range(${count}):`,
      "    qid = struct.unpack('!H', os.urandom(2))[0]",
      "    q = f'{name}-{i}.example'.encode()",
      `    s.sendto(struct.pack('!H', qid) + q, ('127.0.0.1', ${port}))`,
      "    data, src = s.recvfrom(2048)",
      `    assert src == ('127.0.0.1', ${port}), src`,
      "    assert struct.unpack('!H', data[:2])[0] == qid, 'wrong id'",
      "    assert data[2:].startswith(q + b' A '), data",
      "print('ok', s.getsockname()[1], data[2:].decode().split(' A ')[1], flush=True)",
    ].join("\n"),
  ], { name: `python udp client ${name}` });
}

Deno.test("relay udp: several python clients at once, each answered through its own upstream socket", async () => {
  await using up = udpResponder();
  await using proc = relay(["relay", "udp", "0", `127.0.0.1:${up.port}`, "--json"]);
  const port = await portOf(proc, true);
  const clients = ["alpha", "bravo", "charlie", "delta", "echo"].map((name) =>
    pythonUdpClient(port, name, 40)
  );
  const results = await Promise.all(clients.map((c) => c.finish(30_000)));
  const upstreamPorts = new Set<string>();
  for (const { code, stdout, stderr } of results) {
    assert.equal(code, 0, stderr);
    const [, , upstreamPort] = stdout.trim().split(" ");
    upstreamPorts.add(upstreamPort!);
  }
  // NAT-like: five clients, five upstream sockets, and TARGET saw exactly those.
  assert.equal(upstreamPorts.size, 5);
  assert.equal(up.seen.size, 5);
  proc.kill("SIGINT");
  const { code, stdout } = await proc.finish();
  assert.equal(code, 130);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.event, "summary");
  assert.equal(summary.sessions, 5);
  assert.equal(summary.datagrams, 400);
  assert.equal(summary.dropped, 0);
  assert.equal(closedEvents(proc).length, 5);
  assert.ok(closedEvents(proc).every((e) => e.reason === "server stopped"));
});

Deno.test("relay udp: a session is dropped after --idle; the client's next datagram opens a new one", async () => {
  await using up = udpResponder();
  await using proc = relay(["relay", "udp", "0", `127.0.0.1:${up.port}`, "--idle", "1000"]);
  const port = await proc.port();
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const relayAddr = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const ask = async (text: string) => {
    const timer = setTimeout(() => client.close(), 5_000);
    try {
      await client.send(concat(new Uint8Array([0, 1]), enc(text)), relayAddr);
      const [answer] = await client.receive();
      return dec(answer.subarray(2));
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const first = await ask("one");
    // Someone else than TARGET sends to the session's upstream socket: not relayed.
    const intruder = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    const [upstreamPort] = [...up.seen];
    await intruder.send(enc("\x00\x01forged"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: upstreamPort!,
    });
    intruder.close();
    assert.match(await ask("one more"), /^one more A /);
    await proc.waitFor(/closed 127\.0\.0\.1:\d+ → .*\(15 B in, \d+ B out, .* s, idle 1000 ms\)/);
    const second = await ask("two");
    // A new session: a new upstream socket, so TARGET saw a new source port.
    assert.notEqual(first.split(" A ")[1], second.split(" A ")[1]);
    assert.equal(up.seen.size, 2);
    assert.equal(proc.stderr.match(/session from /g)?.length, 2);
  } finally {
    client.close();
  }
});

Deno.test("relay udp --max-sessions: datagrams from clients over the bound are dropped and counted", async () => {
  await using up = udpResponder();
  await using proc = relay([
    "relay",
    "udp",
    "0",
    `127.0.0.1:${up.port}`,
    "--max-sessions",
    "2",
    "--json",
  ]);
  const port = await portOf(proc, true);
  const relayAddr = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const sockets = [0, 1, 2].map(() =>
    Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" })
  );
  const timer = setTimeout(() => sockets.forEach((s) => s.close()), 10_000);
  try {
    for (const socket of sockets.slice(0, 2)) {
      await socket.send(enc("\x00\x01in"), relayAddr);
      await socket.receive();
    }
    for (let i = 0; i < 3; i++) await sockets[2]!.send(enc("\x00\x02over"), relayAddr);
    const [, from] = await proc.waitFor(
      /"event":"refused","from":"([^"]+)","reason":"session limit 2"/,
      { on: "stdout" },
    );
    assert.equal(from, `127.0.0.1:${(sockets[2]!.addr as Deno.NetAddr).port}`);
    // The first two still work.
    await sockets[0]!.send(enc("\x00\x03again"), relayAddr);
    await sockets[0]!.receive();
  } finally {
    clearTimeout(timer);
    sockets.forEach((s) => s.close());
  }
  proc.kill("SIGINT");
  const { stdout } = await proc.finish();
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.sessions, 2);
  assert.equal(up.seen.size, 2);
  // All three over-the-bound datagrams were dropped (they arrive in order before "again").
  assert.equal(summary.dropped, 3);
});

Deno.test("relay tcp --tls-listen in front of a TLS echo reached with --tls-connect --pin: bytes both ways, each end pinned, -x shows the plain bytes", async () => {
  await using echo = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--tls"]);
  const [, echoPin] = await echo.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const echoPort = await echo.port();
  await using proc = relay([
    "relay",
    "tcp",
    "0",
    `127.0.0.1:${echoPort}`,
    "--tls-listen",
    "--tls-connect",
    "--pin",
    echoPin ?? "",
    "-x",
  ]);
  const [, relayPin] = await proc.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const port = await portOf(proc);
  assert.notEqual(relayPin, echoPin, "each end has its own certificate");
  const client = sockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--pin", relayPin ?? ""],
    [`--allow-net=127.0.0.1:${port}`],
  );
  await client.write("secret both ways\n");
  const done = await client.finish();
  assert.equal(done.stdout, "secret both ways\n", done.stderr);
  await proc.waitFor(/< 00000000 {2}73 65 63 72 65 74 .*\|secret both way/);
  await proc.waitFor(/closed 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(17 B in, 17 B out/);
});

Deno.test("relay tcp --deny: a denied client gets no byte and TARGET never hears of it", async () => {
  await using echo = sockit(["tcp", "listen", "0", "-k", "--mode", "echo"]);
  const echoPort = await echo.port();
  await using proc = relay(["relay", "tcp", "0", `127.0.0.1:${echoPort}`, "--deny", "127.0.0.2"]);
  const port = await portOf(proc);
  // 127.0.0.1 is allowed: the relay works for it.
  const allowed = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(allowed, "ok\n");
  await allowed.closeWrite();
  assert.equal(dec(await readAll(allowed)), "ok\n");
  allowed.close();
  const conn = await connectFrom("127.0.0.2", port);
  await conn.write(enc("hello?\n")).catch(() => 0);
  const got = await readAll(conn).catch(() => new Uint8Array());
  conn.close();
  assert.equal(got.length, 0, "a denied client reads nothing");
  await proc.waitFor(/denied 127\.0\.0\.2:\d+/);
  assert.doesNotMatch(echo.stderr, /127\.0\.0\.2/);
});

/** A TCP connection from a chosen loopback source address (bound with node:net). */
async function connectFrom(source: string, port: number): Promise<Deno.Conn> {
  const { connect } = await import("node:net");
  const socket = connect({ host: "127.0.0.1", port, localAddress: source });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const { NodeSocketConn } = await import("../../src/tls/node_conn.ts");
  return new NodeSocketConn(socket) as unknown as Deno.Conn;
}
