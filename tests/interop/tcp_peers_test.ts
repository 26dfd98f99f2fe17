/**
 * sockit's TCP endpoints against peers nobody here wrote: OpenBSD netcat,
 * Nmap's ncat and python3. In CI a missing peer fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import {
  freePort,
  pythonHttpServer,
  runSockit,
  skipWithout,
  sockit,
  Spawned,
} from "../helpers/harness.ts";

Deno.test({
  name: "OpenBSD nc is a client of tcp listen -k --mode echo",
  ignore: skipWithout("nc"),
  async fn() {
    await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo"]);
    const port = await server.port();
    const payload = "netcat says hi\n".repeat(1000);
    for (let i = 0; i < 3; i++) {
      await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
      await nc.write(payload);
      const { code, stdout } = await nc.finish();
      assert.equal(code, 0);
      assert.equal(stdout, payload);
    }
    await server.waitFor(/(closed 127\.0\.0\.1:\d+ \(15\.0 kB in, 15\.0 kB out\)[\s\S]*){3}/);
  },
});

Deno.test({
  name: "OpenBSD nc is a client of tcp listen --mode greet",
  ignore: skipWithout("nc"),
  async fn() {
    await using server = sockit(["tcp", "listen", "0", "--mode", "greet"]);
    const port = await server.port();
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write("Grace\nexit\n");
    const { stdout } = await nc.finish();
    assert.equal(stdout, "Welcome to sockit!\nHello, Grace!\nBye!\n");
    assert.equal((await server.finish()).code, 0);
  },
});

Deno.test({
  name: "tcp connect sends to and receives from an ncat -l server",
  ignore: skipWithout("ncat"),
  async fn() {
    const port = freePort();
    await using ncat = new Spawned("ncat", ["-v", "-l", "127.0.0.1", String(port)]);
    await ncat.waitFor(/Listening on 127\.0\.0\.1:\d+/);
    const client = sockit(["tcp", "connect", `127.0.0.1:${port}`]);
    await using _ = client;
    await ncat.waitFor(/Connection from 127\.0\.0\.1/);
    await ncat.write("from ncat\n");
    await client.waitFor(/from ncat\n/, { on: "stdout" });
    await client.write("from sockit\n");
    await client.closeStdin();
    await ncat.waitFor(/from sockit\n/, { on: "stdout" });
    await ncat.closeStdin();
    const done = await client.finish();
    assert.equal(done.code, 0);
    assert.equal(done.stdout, "from ncat\n");
    assert.equal((await ncat.finish()).stdout, "from sockit\n");
  },
});

Deno.test({
  name: "tcp connect speaks HTTP by hand to python3 -m http.server",
  ignore: skipWithout("python3"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/hello.txt`, "hello from python\n");
      const { server, port } = await pythonHttpServer(dir);
      await using _ = server;
      const { code, stdout } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--crlf"], {
        input: "GET /hello.txt HTTP/1.0\nHost: 127.0.0.1\n\n",
      });
      assert.equal(code, 0);
      assert.match(stdout, /^HTTP\/1\.0 200 OK\r\n/);
      assert.match(stdout, /\r\n\r\nhello from python\n$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "python3 socket clients get their own bytes back from tcp listen -k --mode echo",
  ignore: skipWithout("python3"),
  async fn() {
    await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "-q"]);
    const port = await server.port();
    await using py = new Spawned("python3", [
      "-c",
      [
        "import socket, sys, threading",
        `port = ${port}`,
        "bad = []",
        "def run(i):",
        "    s = socket.create_connection(('127.0.0.1', port), timeout=10)",
        "    data = (b'%d-' % i) * 4000",
        "    s.sendall(data); s.shutdown(socket.SHUT_WR)",
        "    got = b''",
        "    while True:",
        "        chunk = s.recv(65536)",
        "        if not chunk: break",
        "        got += chunk",
        "    if got != data: bad.append(i)",
        "    s.close()",
        "ts = [threading.Thread(target=run, args=(i,)) for i in range(50)]",
        "[t.start() for t in ts]; [t.join() for t in ts]",
        "print('bad', len(bad))",
      ].join("\n"),
    ], { stdin: "null" });
    const { code, stdout, stderr } = await py.finish(30_000);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "bad 0\n");
  },
});
