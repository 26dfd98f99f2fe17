import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A test-side UDP socket on loopback. */
function udpSocket(hostname = "127.0.0.1"): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
}

function to(port: number, hostname = "127.0.0.1"): Deno.NetAddr {
  return { transport: "udp", hostname, port };
}

/** Receives one datagram or throws after `ms`. */
async function receiveWithin(
  conn: Deno.DatagramConn,
  ms = 5000,
): Promise<[Uint8Array, Deno.NetAddr]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no datagram within ${ms} ms`)), ms);
  });
  try {
    const [data, addr] = await Promise.race([conn.receive(), timeout]);
    return [data, addr as Deno.NetAddr];
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("udp listen prints each datagram with its sender's address, from many peers", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "3"]);
  const port = await server.port();
  const a = udpSocket();
  const b = udpSocket();
  try {
    await a.send(enc("from a"), to(port));
    await b.send(enc("from b"), to(port));
    await a.send(enc("a again"), to(port));
    const { code, stdout, stderr } = await server.finish();
    assert.equal(code, 0);
    const pa = (a.addr as Deno.NetAddr).port;
    const pb = (b.addr as Deno.NetAddr).port;
    assert.equal(
      stdout,
      `127.0.0.1:${pa} from a\n127.0.0.1:${pb} from b\n127.0.0.1:${pa} a again\n`,
    );
    assert.match(stderr, /received 3 datagrams \(19 B\) from 2 peers/);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("udp listen --json: datagram events, base64 when the bytes are not text", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "2", "--json"]);
  const [line] = await server.waitFor(/\{"event":"listening".*\}\n/, { on: "stdout" });
  const { port } = JSON.parse(line);
  const peer = udpSocket();
  try {
    await peer.send(enc("hello"), to(port));
    await peer.send(new Uint8Array([0x68, 0xff]), to(port));
    const { stdout } = await server.finish();
    const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
    const from = `127.0.0.1:${(peer.addr as Deno.NetAddr).port}`;
    assert.deepEqual(events[1], { event: "datagram", from, size: 5, text: "hello" });
    assert.equal(events[2].base64, "aP8=");
    assert.equal(events[2].size, 2);
    assert.equal(events[3].event, "summary");
  } finally {
    peer.close();
  }
});

Deno.test("udp listen escapes invalid bytes and terminal controls, never drops them", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "1"]);
  const port = await server.port();
  const peer = udpSocket();
  try {
    await peer.send(new Uint8Array([0x1b, 0x5b, 0x32, 0x4a, 0x6f, 0x6b, 0xff, 0x0a]), to(port));
    const { stdout } = await server.finish();
    assert.match(stdout, /^127\.0\.0\.1:\d+ \\x1b\[2Jok\\xff\\n\n$/);
  } finally {
    peer.close();
  }
});

Deno.test("udp listen shows a peer's datagram promptly behind full-size datagrams of invalid UTF-8", async () => {
  await using server = sockit(["udp", "listen", "0"]);
  const port = await server.port();
  const hostile = udpSocket();
  const peer = udpSocket();
  try {
    const junk = new Uint8Array(65507).fill(0xff);
    for (let i = 0; i < 10; i++) await hostile.send(junk, to(port));
    const junkFrom = `127.0.0.1:${(hostile.addr as Deno.NetAddr).port}`;
    const peerFrom = `127.0.0.1:${(peer.addr as Deno.NetAddr).port}`;
    // Sent again while unanswered: loopback drops a datagram when the socket's buffer is full.
    for (let attempt = 1;; attempt++) {
      await peer.send(enc("hello"), to(port));
      try {
        await server.waitFor(new RegExp(`${peerFrom} hello\n`), { on: "stdout", timeoutMs: 1000 });
        break;
      } catch (err) {
        if (attempt === 5) throw err;
      }
    }
    const lines = server.stdout.split("\n");
    assert.equal(lines[0], `${junkFrom} ${"\\xff".repeat(65507)}`);
  } finally {
    hostile.close();
    peer.close();
  }
});

Deno.test("udp listen --encoding gbk shows GBK text; udp send --encoding gbk sends GBK bytes", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "1", "--encoding", "gbk"]);
  const port = await server.port();
  const { code } = await runSockit([
    "udp",
    "send",
    `127.0.0.1:${port}`,
    "你好，世界",
    "--encoding",
    "gbk",
  ]);
  assert.equal(code, 0);
  assert.match((await server.finish()).stdout, /^127\.0\.0\.1:\d+ 你好，世界\n$/);
  const peer = udpSocket();
  try {
    const sent = await runSockit([
      "udp",
      "send",
      `127.0.0.1:${(peer.addr as Deno.NetAddr).port}`,
      "你好",
      "--encoding",
      "gbk",
    ]);
    assert.equal(sent.code, 0);
    const [data] = await receiveWithin(peer);
    assert.deepEqual(data, new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]));
  } finally {
    peer.close();
  }
});

Deno.test("udp send: a message over 65507 bytes exits 2 and nothing is sent", async () => {
  const peer = udpSocket();
  try {
    const port = (peer.addr as Deno.NetAddr).port;
    const { code, stderr } = await runSockit([
      "udp",
      "send",
      `127.0.0.1:${port}`,
      "first",
      "x".repeat(65508),
    ]);
    assert.equal(code, 2);
    assert.match(stderr, /65508-byte datagram: the UDP limit over IPv4 is 65507 bytes/);
    await runSockit(["udp", "send", `127.0.0.1:${port}`, "marker"]);
    const [data] = await receiveWithin(peer);
    assert.equal(dec(data), "marker", "neither 'first' nor the big one was sent");
    const ok = await runSockit(["udp", "send", `127.0.0.1:${port}`, "y".repeat(65507)]);
    assert.equal(ok.code, 0);
    assert.equal((await receiveWithin(peer))[0].length, 65507);
  } finally {
    peer.close();
  }
});

Deno.test("udp send: stdin lines are datagrams; a line 'exit' stops; --count repeats", async () => {
  const peer = udpSocket();
  try {
    const port = (peer.addr as Deno.NetAddr).port;
    const { code, stderr } = await runSockit(["udp", "send", `127.0.0.1:${port}`, "--count", "2"], {
      input: "one\r\ntwo\nexit\nthree\n",
    });
    assert.equal(code, 0);
    assert.match(stderr, /sent 4 datagrams \(12 B\)/);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(dec((await receiveWithin(peer))[0]));
    assert.deepEqual(got, ["one", "one", "two", "two"]);
  } finally {
    peer.close();
  }
});

Deno.test("udp send --bind sends from a fixed port; --wait prints the replies", async () => {
  await using server = sockit(["udp", "listen", "0", "--echo"]);
  const port = await server.port();
  const fixed = udpSocket();
  const bindPort = (fixed.addr as Deno.NetAddr).port;
  fixed.close();
  const { code, stdout } = await runSockit([
    "udp",
    "send",
    `127.0.0.1:${port}`,
    "ping",
    "--bind",
    `127.0.0.1:${bindPort}`,
    "--wait",
    "500",
  ]);
  assert.equal(code, 0);
  assert.equal(stdout, `127.0.0.1:${port} ping\n`);
  await server.waitFor(new RegExp(`127\\.0\\.0\\.1:${bindPort} ping`), { on: "stdout" });
});

Deno.test("udp listen --stamp replies [ISO-8601] TEXT", async () => {
  await using server = sockit(["udp", "listen", "0", "--stamp", "-q"]);
  const port = await server.port();
  const { stdout } = await runSockit([
    "udp",
    "send",
    `127.0.0.1:${port}`,
    "hello",
    "--wait",
    "500",
  ]);
  assert.match(
    stdout,
    new RegExp(`^127\\.0\\.0\\.1:${port} \\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] hello\\n$`),
  );
});

Deno.test("udp listen keeps running after its reply meets ICMP port-unreachable", async () => {
  await using server = sockit(["udp", "listen", "0", "--echo", "--count", "2"]);
  const port = await server.port();
  const gone = udpSocket();
  await gone.send(enc("then vanish"), to(port));
  gone.close(); // the echo now goes to a closed port: ICMP port unreachable
  await server.waitFor(/then vanish/, { on: "stdout" });
  const peer = udpSocket();
  try {
    await peer.send(enc("still there?"), to(port));
    const [data] = await receiveWithin(peer);
    assert.equal(dec(data), "still there?");
    assert.equal((await server.finish()).code, 0);
  } finally {
    peer.close();
  }
});

Deno.test("udp listen --max-size reports a longer datagram as truncated", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "1", "--max-size", "4", "--json"]);
  const [line] = await server.waitFor(/\{"event":"listening".*\}\n/, { on: "stdout" });
  const peer = udpSocket();
  try {
    await peer.send(enc("0123456789"), to(JSON.parse(line).port));
    const { stdout, stderr } = await server.finish();
    const event = JSON.parse(stdout.trim().split("\n")[1]!);
    assert.equal(event.text, "0123");
    assert.equal(event.truncated, true);
    assert.match(stderr, /warning: datagram from 127\.0\.0\.1:\d+ truncated to 4 bytes/);
  } finally {
    peer.close();
  }
});

Deno.test("udp chat: two processes talk both ways at once; a stranger is shown as such", async () => {
  const probe = [udpSocket(), udpSocket()];
  const [p1, p2] = probe.map((s) => (s.addr as Deno.NetAddr).port) as [number, number];
  probe.forEach((s) => s.close());
  await using one = sockit(["udp", "chat", `127.0.0.1:${p1}`, `127.0.0.1:${p2}`, "--json"]);
  await using two = sockit(["udp", "chat", `127.0.0.1:${p2}`, `127.0.0.1:${p1}`]);
  await one.waitFor(/"event":"listening"/, { on: "stdout" });
  await two.port();
  await Promise.all([one.write("hello from one\n"), two.write("hello from two\n")]);
  await two.waitFor(new RegExp(`127\\.0\\.0\\.1:${p1} hello from one\\n`), { on: "stdout" });
  await one.waitFor(/hello from two/, { on: "stdout" });
  const stranger = udpSocket();
  try {
    await stranger.send(enc("who am i"), to(p1));
    const [line] = await one.waitFor(/\{[^\n]*who am i[^\n]*\}/, { on: "stdout" });
    const event = JSON.parse(line);
    assert.equal(event.from, `127.0.0.1:${(stranger.addr as Deno.NetAddr).port}`);
    assert.equal(event.peer, false);
    assert.match(one.stdout, /"text":"hello from two","peer":true/);
  } finally {
    stranger.close();
  }
  await one.write("exit\n");
  assert.equal((await one.finish()).code, 0);
  await two.closeStdin();
  assert.equal((await two.finish()).code, 0);
});

Deno.test("udp over IPv6 loopback", async () => {
  await using server = sockit(["udp", "listen", "[::1]:0", "--count", "1"], ["--allow-net=[::1]"]);
  const [, port] = await server.waitFor(/listening on \[::1\]:(\d+)/);
  const { code } = await runSockit(["udp", "send", `[::1]:${port}`, "six"], {
    permissions: ["--allow-net=[::1]"],
  });
  assert.equal(code, 0);
  assert.match((await server.finish()).stdout, /^\[::1\]:\d+ six\n$/);
});

const badInput: [string[], number, RegExp][] = [
  [["udp", "send", "127.0.0.1:9", "x", "--encoding", "klingon"], 2, /--encoding "klingon"/],
  [["udp", "send", "127.0.0.1", "x"], 2, /HOST:PORT/],
  [["udp", "send", "unix:/tmp/x", "x"], 2, /Unix sockets/],
  [["udp", "listen", "70000"], 2, /"70000"/],
  [["udp", "listen", "0", "--echo", "--stamp"], 2, /cannot be used together/],
  [["udp", "listen", "0", "--multicast", "10.0.0.1"], 2, /not a multicast group/],
  [["udp", "send", "127.0.0.1:9", "😀", "--encoding", "gbk"], 2, /has no gbk bytes/],
  [["udp", "send", "127.0.0.1:9", "zz", "--encoding", "hex"], 2, /Cannot parse hex/],
  [["udp", "chat", "0"], 2, /missing argument/],
];
for (const [args, exit, message] of badInput) {
  Deno.test(`sockit ${args.join(" ")} exits ${exit}`, async () => {
    const { code, stderr } = await runSockit(args);
    assert.equal(code, exit, stderr);
    assert.match(stderr, message);
  });
}

Deno.test("udp listen on a port in use exits 1 naming the address", async () => {
  const busy = udpSocket();
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const { code, stderr } = await runSockit(["udp", "listen", String(port)]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`address 127\\.0\\.0\\.1:${port} is already in use`));
  } finally {
    busy.close();
  }
});

Deno.test("udp listen: Ctrl-C prints the summary and exits 130", async () => {
  await using server = sockit(["udp", "listen", "0"]);
  const port = await server.port();
  await runSockit(["udp", "send", `127.0.0.1:${port}`, "x"]);
  await server.waitFor(/ x\n/, { on: "stdout" });
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /received 1 datagram \(1 B\) from 1 peer/);
});

Deno.test("udp send prints replies as they arrive while lines are typed, without --wait (nc -u)", async () => {
  const echo = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (echo.addr as Deno.NetAddr).port;
  const echoing = (async () => {
    try {
      for (;;) {
        const [data, from] = await echo.receive();
        await echo.send(data, from);
      }
    } catch {
      // closed at the end of the test
    }
  })();
  try {
    await using client = sockit(["udp", "send", `127.0.0.1:${port}`]);
    await client.write("one\n");
    await client.waitFor(new RegExp(`^127\\.0\\.0\\.1:${port} one$`, "m"), { on: "stdout" });
    await client.write("two\n");
    await client.waitFor(new RegExp(`^127\\.0\\.0\\.1:${port} two$`, "m"), { on: "stdout" });
    const { code, stderr } = await client.finish();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /sent 2 datagrams \(6 B\)/);
  } finally {
    echo.close();
    await echoing;
  }
});
