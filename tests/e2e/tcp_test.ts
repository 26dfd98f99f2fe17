import assert from "node:assert/strict";
import { readAll, readUntil, send } from "../helpers/net.ts";
import { runSockit, silentPort, sockit } from "../helpers/harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("tcp listen --mode echo -k echoes to nc-style clients and reports each", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo"]);
  const port = await server.port();
  for (const word of ["one", "two"]) {
    const { code, stdout } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], {
      input: `${word}\n`,
    });
    assert.equal(code, 0);
    assert.equal(stdout, `${word}\n`);
  }
  await server.waitFor(/closed 127\.0\.0\.1:\d+ \(4 B in, 4 B out\)[\s\S]*closed/);
  assert.match(server.stderr, /connection from 127\.0\.0\.1:\d+/);
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /stopped: 2 connections served, 8 B in, 8 B out/);
});

Deno.test("tcp listen -k serves 200 concurrent clients, each gets exactly its own bytes", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "-q"]);
  const port = await server.port();
  const clients = await Promise.all(
    Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  try {
    const results = await Promise.all(clients.map(async (conn, i) => {
      const payload = enc(`client-${i}:`.repeat(50 + i));
      await send(conn, payload);
      await conn.closeWrite();
      return { payload, echoed: await readAll(conn) };
    }));
    for (const { payload, echoed } of results) assert.deepEqual(echoed, payload);
  } finally {
    for (const conn of clients) conn.close();
  }
});

Deno.test("tcp listen --mode stamp answers [ISO-8601] LINE", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "stamp"]);
  const port = await server.port();
  const { stdout } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], {
    input: "hello\nworld\r\n",
  });
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] hello$/);
  assert.match(lines[1]!, /^\[.+Z\] world$/);
  assert.equal((await server.finish()).code, 0);
});

Deno.test("tcp listen --mode greet greets, answers names, closes on exit", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "greet", "--greeting", "Hi!"]);
  const port = await server.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    assert.equal(await readUntil(conn, /\n/), "Hi!\n");
    await send(conn, "Ada\n");
    assert.equal(await readUntil(conn, /\n/), "Hello, Ada!\n");
    await send(conn, "exit\n");
    assert.equal(dec(await readAll(conn)), "Bye!\n");
  } finally {
    conn.close();
  }
  const { code, stderr } = await server.finish();
  assert.equal(code, 0);
  assert.match(stderr, /closed .*client said exit/);
});

Deno.test("tcp listen --mode sink counts bytes and reports throughput", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "sink"]);
  const port = await server.port();
  const payload = new Uint8Array(3 * 1024 * 1024).fill(7);
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], { input: payload });
  assert.equal(code, 0);
  const done = await server.finish();
  assert.equal(done.code, 0);
  assert.match(done.stderr, /received 3\.1 MB in [\d.]+ s \([\d.]+ \w?B\/s\)/);
  assert.match(done.stderr, /closed 127\.0\.0\.1:\d+ \(3\.1 MB in, 0 B out\)/);
});

Deno.test("tcp listen stdio: client data to stdout, stdin to the client, client ends it", async () => {
  await using server = sockit(["tcp", "listen", "0"]);
  const port = await server.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, "from client\n");
    await server.waitFor(/from client\n/, { on: "stdout" });
    await server.write("from server\n");
    await server.closeStdin();
    assert.equal(await readUntil(conn, /\n/), "from server\n");
    await send(conn, "after stdin EOF\n");
    await conn.closeWrite();
    assert.equal((await readAll(conn)).length, 0);
  } finally {
    conn.close();
  }
  const { code, stdout } = await server.finish();
  assert.equal(code, 0);
  assert.equal(stdout, "from client\nafter stdin EOF\n");
});

Deno.test("tcp connect keeps sending piped stdin after the peer half-closes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const client = sockit(["tcp", "connect", `127.0.0.1:${listener.addr.port}`]);
    await using _ = client;
    const conn = await listener.accept();
    try {
      await send(conn, "banner\n");
      await conn.closeWrite();
      await client.waitFor(/banner\n/, { on: "stdout" });
      await client.write("late data");
      await client.closeStdin();
      assert.equal(new TextDecoder().decode(await readAll(conn)), "late data");
    } finally {
      conn.close();
    }
    const { code, stdout } = await client.finish();
    assert.equal(code, 0);
    assert.equal(stdout, "banner\n");
  } finally {
    listener.close();
  }
});

Deno.test("tcp listen stdio -k: each stdin line goes to every client", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k"]);
  const port = await server.port();
  const a = await Deno.connect({ hostname: "127.0.0.1", port });
  const b = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await server.waitFor(/connection from[\s\S]*connection from/);
    await server.write("to all\n");
    assert.equal(await readUntil(a, /\n/), "to all\n");
    assert.equal(await readUntil(b, /\n/), "to all\n");
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("tcp listen --max-conns: the extra client is told busy, the server keeps serving", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--max-conns", "1"]);
  const port = await server.port();
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(first, "x");
    await readUntil(first, /x/);
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      assert.equal(dec(await readAll(second)), "busy\n");
    } finally {
      second.close();
    }
    await send(first, "still here");
    await readUntil(first, /still here/);
  } finally {
    first.close();
  }
  await server.waitFor(/closed/);
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], { input: "again" });
  assert.equal(code, 0);
  assert.match(server.stderr, /refused 127\.0\.0\.1:\d+ \(busy: 1 connection\)/);
});

Deno.test("tcp listen --idle closes a silent client while others are served", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--idle", "300"]);
  const port = await server.port();
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const { stdout } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], { input: "hi" });
    assert.equal(stdout, "hi");
    assert.equal((await readAll(silent, 5000)).length, 0);
    await server.waitFor(/closed 127\.0\.0\.1:\d+ \(0 B in, 0 B out, idle 300 ms\)/);
  } finally {
    silent.close();
  }
});

Deno.test("a client that resets mid-transfer does not stop a -k server", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "stamp"]);
  const port = await server.port();
  const rude = await Deno.connect({ hostname: "127.0.0.1", port });
  await send(rude, "half a li");
  // Unread data in our receive buffer makes close() send RST instead of FIN.
  await send(rude, "ne\n");
  await new Promise((r) => setTimeout(r, 50));
  rude.close();
  const { code, stdout } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], {
    input: "next\n",
  });
  assert.equal(code, 0);
  assert.match(stdout, /\] next\n$/);
  await server.waitFor(/closed[\s\S]*closed/);
});

Deno.test("tcp listen on a port in use exits 1 naming the address", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = busy.addr;
    const { code, stderr } = await runSockit(["tcp", "listen", String(port)]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`^sockit: error: address 127\\.0\\.0\\.1:${port} is already in use$`, "m"),
    );
  } finally {
    busy.close();
  }
});

Deno.test("tcp connect to a closed port exits 1: connection refused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const { code, stderr } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`]);
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
});

Deno.test("tcp connect --timeout exits 1 when the connection is not made in time", async () => {
  // A listener with a full accept queue drops further SYNs: the connect hangs.
  const { blocker, port } = await silentPort();
  await using _ = blocker;
  const { code, stderr } = await runSockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--timeout", "300"],
  );
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`timed out connecting to 127\\.0\\.0\\.1:${port} after 300 ms`));
});

Deno.test("tcp connect --idle ends a silent session with exit 0", async () => {
  await using server = sockit(["tcp", "listen", "0"]);
  const port = await server.port();
  const { code, stderr } = await runSockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--idle", "300", "--no-shutdown"],
    { input: "" },
  );
  assert.equal(code, 0);
  assert.match(stderr, /closing: idle for 300 ms/);
});

Deno.test("tcp connect --no-shutdown keeps the write side open at stdin EOF", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "echo"]);
  const port = await server.port();
  // With half-close the echo server would see EOF and close; without, only --idle ends it.
  const { code, stdout, stderr } = await runSockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--no-shutdown", "--idle", "400"],
    { input: "ping" },
  );
  assert.equal(code, 0);
  assert.equal(stdout, "ping");
  assert.match(stderr, /idle for 400 ms/);
});

Deno.test("tcp connect --crlf sends line ends as CRLF", async () => {
  await using server = sockit(["tcp", "listen", "0"], undefined, { stdin: "null" });
  const port = await server.port();
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--crlf"], {
    input: "a\nb\r\n",
  });
  assert.equal(code, 0);
  const done = await server.finish();
  assert.deepEqual(done.stdoutBytes, enc("a\r\nb\r\n"));
});

Deno.test("tcp connect --send-only discards what arrives; --recv-only sends nothing", async () => {
  await using echo = sockit(["tcp", "listen", "0", "-k", "--mode", "echo"]);
  const port = await echo.port();
  const sendOnly = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--send-only"], {
    input: "quiet",
  });
  assert.equal(sendOnly.code, 0);
  assert.equal(sendOnly.stdout, "");
  await using greet = sockit(["tcp", "listen", "0", "--mode", "greet"]);
  const greetPort = await greet.port();
  const recvOnly = await runSockit(
    ["tcp", "connect", `127.0.0.1:${greetPort}`, "--recv-only", "--idle", "300"],
    { input: "exit\n" },
  );
  assert.equal(recvOnly.stdout, "Welcome to sockit!\n");
  assert.match(echo.stderr, /5 B in, 5 B out/);
});

Deno.test("tcp over IPv6 loopback [::1]", async () => {
  await using server = sockit(["tcp", "listen", "[::1]:0", "--mode", "echo"], [
    "--allow-net=[::1]",
  ]);
  const match = await server.waitFor(/listening on \[::1\]:(\d+)/);
  const { code, stdout } = await runSockit(["tcp", "connect", `[::1]:${match[1]}`], {
    permissions: ["--allow-net=[::1]"],
    input: "six",
  });
  assert.equal(code, 0);
  assert.equal(stdout, "six");
  assert.match((await server.finish()).stderr, /connection from \[::1\]:\d+/);
});

Deno.test("tcp over a Unix socket; the socket file is removed on exit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/test.sock`;
    const perms = [`--allow-net=unix:${path}`, `--allow-read=${path}`, `--allow-write=${path}`];
    await using server = sockit(["tcp", "listen", `unix:${path}`, "-k", "--mode", "echo"], perms);
    await server.waitFor(new RegExp(`listening on unix:${path}`));
    const { code, stdout } = await runSockit(["tcp", "connect", `unix:${path}`], {
      permissions: perms,
      input: "over unix",
    });
    assert.equal(code, 0);
    assert.equal(stdout, "over unix");
    assert.match(server.stderr, /connection from unix:#1/);
    server.kill("SIGINT");
    assert.equal((await server.finish()).code, 130);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGINT closes connected clients, prints the summary and exits 130", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo"]);
  const port = await server.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, "hello");
    await readUntil(conn, /hello/);
    server.kill("SIGINT");
    assert.equal((await readAll(conn)).length, 0, "the client sees the server close");
  } finally {
    conn.close();
  }
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /closed 127\.0\.0\.1:\d+ \(5 B in, 5 B out, server stopped\)/);
  assert.match(stderr, /stopped: 1 connection served, 5 B in, 5 B out/);
});

Deno.test("--json: listening, connection and data events are JSON Lines on stdout", async () => {
  await using server = sockit(["tcp", "listen", "0", "--json"]);
  const [line] = await server.waitFor(/\{"event":"listening"[^\n]*\}\n/, { on: "stdout" });
  const listening = JSON.parse(line);
  assert.equal(listening.host, "127.0.0.1");
  assert.equal(listening.transport, "tcp");
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${listening.port}`], {
    input: new Uint8Array([0x68, 0x69, 0xff]),
  });
  assert.equal(code, 0);
  const { stdout, stderr } = await server.finish();
  assert.equal(stderr, "");
  const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ["listening", "connection", "data", "closed"]);
  assert.equal(events[2].size, 3);
  assert.equal(events[2].base64, "aGn/");
  assert.equal(events[3].bytesIn, 3);
});

Deno.test("-q silences status lines but keeps the readiness line", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "echo", "-q"]);
  const port = await server.port();
  await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "-q"], { input: "x" });
  const { stderr } = await server.finish();
  assert.equal(stderr, `listening on 127.0.0.1:${port}\n`);
});

Deno.test("tcp connect → tcp listen carries 6 MiB of random bytes exactly (stdin ring wraps)", async () => {
  await using server = sockit(["tcp", "listen", "0", "-q"], undefined, { stdin: "null" });
  const port = await server.port();
  const payload = new Uint8Array(6 * 1024 * 1024 + 12345);
  for (let i = 0; i < payload.length; i += 65536) {
    crypto.getRandomValues(payload.subarray(i, Math.min(i + 65536, payload.length)));
  }
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "-q"], {
    input: payload,
  });
  assert.equal(code, 0);
  const done = await server.finish();
  assert.equal(done.stdoutBytes.length, payload.length);
  assert.ok(done.stdoutBytes.every((byte, i) => byte === payload[i]), "bytes differ");
});

Deno.test("tcp connect localhost reaches a server on either loopback (127.0.0.1, then ::1)", async () => {
  for (const hostname of ["127.0.0.1", "::1"]) {
    const listener = Deno.listen({ hostname, port: 0 });
    const port = listener.addr.port;
    const served = (async () => {
      const conn = await listener.accept();
      await conn.write(new TextEncoder().encode(`hello from ${hostname}\n`));
      conn.close();
    })();
    const { code, stdout, stderr } = await runSockit(["tcp", "connect", `localhost:${port}`], {
      permissions: [`--allow-net=127.0.0.1:${port},[::1]:${port}`],
      input: "",
    });
    await served;
    listener.close();
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `hello from ${hostname}\n`);
  }
});

Deno.test("tcp connect -v shows the local address it connected from", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().then((conn) => conn.close());
  const { code, stderr } = await runSockit([
    "tcp",
    "connect",
    `127.0.0.1:${listener.addr.port}`,
    "-v",
  ], {
    input: "",
  });
  await accepted;
  listener.close();
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^from 127\.0\.0\.1:\d+$/m);
});
