/**
 * `--exec` end to end, each run with exactly its plan (`--allow-net=…`
 * plus `--allow-run=PROGRAM`): bytes through the program both ways, one
 * process per connection (concurrently with -k), stderr prefixed and
 * escaped, exit status reported, and the faults: a program that exits at
 * once, never reads, floods its stdout, or does not exist.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readAll, readUntil, send } from "../helpers/net.ts";
import { runSockit, sockit } from "../helpers/harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Connects, sends `payload`, half-closes and returns everything until the server closes. */
async function exchange(port: number, payload: string | Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, payload);
    await conn.closeWrite();
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

const net = "--allow-net=127.0.0.1";

/**
 * Everything received until the server's end, a close or a reset (a server
 * may close on a client still sending, which resets the connection once
 * the answer is out).
 */
async function readUntilEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  } catch (err) {
    if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
  } finally {
    clearTimeout(timer);
  }
  return new Uint8Array(chunks.flatMap((c) => [...c]));
}

Deno.test("tcp listen --exec: client bytes through the program and back, its exit reported", async () => {
  await using server = sockit(["tcp", "listen", "0", "--exec", "tr a-z A-Z"], [
    net,
    "--allow-run=tr",
  ]);
  const port = await server.port();
  assert.equal(dec(await exchange(port, "hello, world\n")), "HELLO, WORLD\n");
  const { code, stderr } = await server.finish();
  assert.equal(code, 0);
  assert.match(stderr, /^tr exited with code 0 \(127\.0\.0\.1:\d+\)$/m);
  // Reported like a relayed connection: what it was joined to, and for how long.
  assert.match(stderr, /^closed 127\.0\.0\.1:\d+ → tr \(13 B in, 13 B out, \d+\.\d{3} s\)$/m);
});

Deno.test("tcp listen -k --exec: 30 concurrent clients, each its own process and its own bytes", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "-q", "--exec", "cat"], [
    net,
    "--allow-run=cat",
  ]);
  const port = await server.port();
  // Everyone connects first, so the processes run side by side.
  const conns = await Promise.all(
    Array.from({ length: 30 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  try {
    const results = await Promise.all(conns.map(async (conn, i) => {
      const payload = enc(`client ${i};`.repeat(1000 + i));
      const echoed = readAll(conn);
      await send(conn, payload);
      await conn.closeWrite();
      return { payload, echoed: await echoed };
    }));
    for (const { payload, echoed } of results) assert.deepEqual(echoed, payload);
  } finally {
    for (const conn of conns) conn.close();
  }
});

Deno.test("tcp listen --exec: stderr comes out a line at a time, prefixed with the peer and escaped", async () => {
  const script =
    "echo to-stdout; echo oops >&2; printf '\\033[31mred\\n' >&2; printf 'no newline' >&2";
  await using server = sockit(
    ["tcp", "listen", "0", "--json", "--exec", `sh -c "${script}; exit 3"`],
    [net, "--allow-run=sh"],
  );
  const [, port] = await server.waitFor(/"event":"listening".*"port":(\d+)/, { on: "stdout" });
  assert.equal(dec(await exchange(Number(port), "")), "to-stdout\n");
  const { code, stdout, stderr } = await server.finish();
  assert.equal(code, 0);
  assert.match(stderr, /^\[127\.0\.0\.1:\d+\] oops$/m);
  assert.match(stderr, /^\[127\.0\.0\.1:\d+\] \\x1b\[31mred$/m);
  assert.match(stderr, /^\[127\.0\.0\.1:\d+\] no newline$/m);
  assert.ok(!stderr.includes("\x1b"), "no raw escape reaches the terminal");
  const exited = stdout.split("\n").filter((l) => l.includes('"exited"')).map((l) => JSON.parse(l));
  assert.equal(exited.length, 1);
  assert.equal(exited[0].program, "sh");
  assert.equal(exited[0].code, 3);
  assert.match(exited[0].from, /^127\.0\.0\.1:\d+$/);
});

Deno.test("tcp listen --exec: a program that exits at once closes the connection with zero bytes", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--exec", "true"], [
    net,
    "--allow-run=true",
  ]);
  const port = await server.port();
  for (let i = 0; i < 3; i++) {
    assert.equal((await exchange(port, "ignored\n".repeat(1000))).length, 0);
  }
  await server.waitFor(/(true exited with code 0[\s\S]*){3}/);
  server.kill("SIGINT");
  assert.equal((await server.finish()).code, 130);
});

Deno.test("tcp listen --exec: a program that never reads still answers, and a big upload does not hang it", async () => {
  await using server = sockit(
    ["tcp", "listen", "0", "-k", "--exec", "sh -c 'echo started; sleep 0.3; echo done'"],
    [net, "--allow-run=sh"],
  );
  const port = await server.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const answer = readUntilEnd(conn);
    // 8 MiB the program never reads: more than the pipe and socket buffers hold.
    const sending = send(conn, new Uint8Array(8 * 1024 * 1024)).then(() => conn.closeWrite())
      .catch(() => {});
    assert.equal(dec(await answer), "started\ndone\n");
    await sending;
  } finally {
    conn.close();
  }
  await server.waitFor(/sh exited with code 0/);
  // The server goes on serving.
  assert.equal(dec(await exchange(port, "")), "started\ndone\n");
});

Deno.test("tcp listen --exec: a program flooding stdout is killed when its client goes away; others go on", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--exec", "yes flood"], [
    net,
    "--allow-run=yes",
  ]);
  const port = await server.port();
  for (let i = 0; i < 2; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const text = await readUntil(conn, /(flood\n){1000}/);
      assert.match(text, /^(flood\n)+/);
    } finally {
      conn.close();
    }
  }
  await server.waitFor(/(yes killed by SIGTERM \(peer gone\) \(127\.0\.0\.1:\d+\)[\s\S]*){2}/);
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /stopped: 2 connections served/);
});

Deno.test("tcp listen -k --exec: Ctrl-C kills the programs still running and stops", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--exec", "sleep 60"], [
    net,
    "--allow-run=sleep",
  ]);
  const port = await server.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await server.waitFor(/connection from/);
    server.kill("SIGINT");
    const { code, stderr } = await server.finish();
    assert.equal(code, 130);
    assert.match(stderr, /sleep killed by SIGTERM \(stopped\)/);
    assert.equal((await readAll(conn)).length, 0);
  } finally {
    conn.close();
  }
});

Deno.test("tcp listen --exec with a program that does not exist: the client is closed, the server exits 1 saying so", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--exec", "no-such-program-x a b"], [
    net,
    "--allow-run=no-such-program-x",
  ]);
  const port = await server.port();
  assert.equal((await exchange(port, "hi\n")).length, 0);
  const { code, stderr } = await server.finish();
  assert.equal(code, 1);
  assert.match(stderr, /^sockit: error: Cannot run "no-such-program-x": not found$/m);
  assert.match(stderr, /^hint: give the program's path/m);
});

Deno.test("tcp connect --exec: the server's bytes to the program, its answer back; exit reported", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serverSide = (async () => {
    const conn = await listener.accept();
    try {
      await send(conn, "ping\n");
      return dec(await readAll(conn));
    } finally {
      conn.close();
    }
  })();
  const { code, stdout, stderr } = await runSockit(
    [
      "tcp",
      "connect",
      `127.0.0.1:${listener.addr.port}`,
      "--exec",
      `sh -c 'read line; echo "got $line"'`,
    ],
    { permissions: [`--allow-net=127.0.0.1:${listener.addr.port}`, "--allow-run=sh"] },
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "");
  assert.equal(await serverSide, "got ping\n");
  assert.match(stderr, /^sh exited with code 0$/m);
  assert.match(stderr, /^closed 127\.0\.0\.1:\d+ \(5 B in, 9 B out\)$/m);
});

Deno.test("tcp connect --exec with a program that does not exist exits 1 naming it", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().then((conn) => readAll(conn).finally(() => conn.close()));
  const { code, stderr } = await runSockit(
    ["tcp", "connect", `127.0.0.1:${listener.addr.port}`, "--exec", "./no-such-script.sh"],
    { permissions: [`--allow-net=127.0.0.1`, "--allow-run=./no-such-script.sh"] },
  );
  assert.equal(code, 1);
  assert.match(stderr, /^sockit: error: Cannot run "\.\/no-such-script\.sh": not found$/m);
  assert.equal((await accepted).length, 0);
});

Deno.test("--exec refuses what only a shell could do, and options it cannot combine with (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [["tcp", "listen", "0", "--exec", "cat | tr a b"], /no shell runs, so an unquoted \|/],
    [["tcp", "listen", "0", "--exec", "'open"], /unterminated '/],
    [["tcp", "listen", "0", "--exec", ""], /no program named/],
    [["tcp", "listen", "0", "--exec", "cat", "--mode", "echo"], /--exec and --mode/],
    [["tcp", "connect", "127.0.0.1:9", "--exec", "cat", "--crlf"], /--exec and --crlf/],
    [["--permissions", "tcp", "listen", "0", "--exec", "a > b"], /unquoted >/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runSockit(args, { permissions: [net] });
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
  }
});

Deno.test("netcat's -e works as --exec; -c points to it", async () => {
  await using server = sockit(["tcp", "listen", "0", "-e", "tr a-z n-za-m"], [
    net,
    "--allow-run=tr",
  ]);
  const port = await server.port();
  assert.equal(dec(await exchange(port, "uryyb\n")), "hello\n");
  const { code, stderr } = await runSockit(["tcp", "listen", "0", "-c", "cat"]);
  assert.equal(code, 2);
  assert.match(stderr, /hint: no shell runs; use -e\/--exec "sh -c '…'"/);
});

Deno.test("tcp connect --exec --json: connected, exited and closed events", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serverSide = listener.accept().then(async (conn) => {
    try {
      await send(conn, "x\n");
      return dec(await readAll(conn));
    } finally {
      conn.close();
    }
  });
  const proc = sockit(
    ["tcp", "connect", `127.0.0.1:${listener.addr.port}`, "--json", "--exec", "sh -c 'exit 4'"],
    [`--allow-net=127.0.0.1:${listener.addr.port}`, "--allow-run=sh"],
    { stdin: "null" },
  );
  const { code, stdout } = await proc.finish();
  assert.equal(code, 0);
  assert.equal(await serverSide, "");
  const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => e.event), ["connected", "exited", "closed"]);
  assert.equal(events[1].code, 4);
  assert.equal(events[1].to, `127.0.0.1:${listener.addr.port}`);
  assert.equal(events[2].reason, "sh exited");
});
