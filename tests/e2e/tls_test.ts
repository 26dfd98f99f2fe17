/**
 * TLS through the CLI, every run with exactly its plan's permissions:
 * `tcp listen --tls` with a self-signed certificate trusted by its printed
 * fingerprint, refusals that name the pin that would trust, peers that do
 * not speak TLS on either side, a handshake that never finishes, `--cert`
 * and `--key` made by openssl (a CA and a leaf; mismatched, incomplete and
 * CA-as-server cases), a TLS chat, and openssl at the other end both ways.
 */
import assert from "node:assert/strict";
import { freePort, runSockit, skipWithout, sockit, Spawned } from "../helpers/harness.ts";
import { makePki, openssl, spkiPin } from "../helpers/pki.ts";

const NET = ["--allow-net=127.0.0.1"];

Deno.test("tcp listen --tls prints a fingerprint that tcp connect --pin trusts; without it the refusal names it", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--tls"], NET);
  const [, fingerprint] = await server.waitFor(
    /tls fingerprint SHA256 ([0-9a-f]{64}) \(self-signed/,
  );
  const port = await server.port();
  assert.ok(
    server.stderr.indexOf("tls fingerprint") < server.stderr.indexOf("listening on"),
    "the fingerprint is known when 'listening on' appears",
  );
  const plan = [`--allow-net=127.0.0.1:${port}`];
  const echoed = await runSockit([
    "tcp",
    "connect",
    `127.0.0.1:${port}`,
    "--pin",
    fingerprint ?? "",
  ], {
    permissions: plan,
    input: "over tls\n",
  });
  assert.equal(echoed.code, 0, echoed.stderr);
  assert.equal(echoed.stdout, "over tls\n");
  assert.match(echoed.stderr, /connected to 127\.0\.0\.1:\d+ \(TLSv1\.3, certificate pinned\)/);

  const json = await runSockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--pin", fingerprint ?? "", "--json"],
    { permissions: plan, input: "x" },
  );
  const connected = JSON.parse(json.stdout.split("\n")[0] ?? "{}");
  assert.deepEqual(
    [connected.event, connected.tls, connected.trust, connected.fingerprint],
    ["connected", "TLSv1.3", "pinned", fingerprint],
  );

  const untrusted = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--tls"], {
    permissions: plan,
    input: "x",
  });
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /the server's certificate is not trusted: it is self-signed/);
  assert.match(untrusted.stderr, new RegExp(`hint: .*to trust exactly it: --pin ${fingerprint}`));

  const wrong = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--pin", "ab".repeat(32)], {
    permissions: plan,
    input: "x",
  });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`not the pinned one \\(its SHA-256 is ${fingerprint}\\)`));

  const badPin = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--pin", "12:zz"], {
    permissions: plan,
  });
  assert.equal(badPin.code, 2);
  assert.match(badPin.stderr, /Cannot read pin "12:zz"/);
});

Deno.test("a plain-text client on a TLS port is closed and logged, and the server keeps serving", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--tls"], NET);
  const [, fingerprint] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const port = await server.port();
  const plain = await Deno.connect({ hostname: "127.0.0.1", port });
  await plain.write(new TextEncoder().encode("HELLO plain text\r\n\r\n"));
  const buf = new Uint8Array(1024);
  // Whatever comes back (a TLS alert at most) is not an echo of the text.
  const n = await plain.read(buf).catch(() => null);
  assert.ok(n === null || !new TextDecoder().decode(buf.subarray(0, n)).includes("HELLO"));
  plain.close();
  await server.waitFor(/the client does not speak TLS \(plain text on a TLS port\?\)/);
  const after = await runSockit(
    ["tcp", "connect", `127.0.0.1:${port}`, "--pin", fingerprint ?? ""],
    {
      permissions: [`--allow-net=127.0.0.1:${port}`],
      input: "still here\n",
    },
  );
  assert.equal(after.stdout, "still here\n", after.stderr);
});

Deno.test("tcp connect --tls to a plain server, and to one that never answers the handshake: one clear line, exit 1", async () => {
  await using plain = sockit(["tcp", "listen", "0", "-k", "--mode", "stamp"], NET);
  const plainPort = await plain.port();
  const toPlain = await runSockit(["tcp", "connect", `127.0.0.1:${plainPort}`, "--tls"], {
    permissions: [`--allow-net=127.0.0.1:${plainPort}`],
    input: "hi\n",
  });
  assert.equal(toPlain.code, 1);
  assert.match(
    toPlain.stderr,
    /TLS handshake failed: the server does not speak TLS|closed the connection during the handshake/,
  );

  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    const port = silent.addr.port;
    const stalled = await runSockit([
      "tcp",
      "connect",
      `127.0.0.1:${port}`,
      "--tls",
      "--timeout",
      "400",
    ], {
      permissions: [`--allow-net=127.0.0.1:${port}`],
    });
    assert.equal(stalled.code, 1);
    assert.match(
      stalled.stderr,
      /the TLS handshake with 127\.0\.0\.1:\d+ did not finish within 400 ms/,
    );
  } finally {
    silent.close();
    await accepting;
    for (const conn of held) conn.close();
  }
});

Deno.test({
  name:
    "--cert/--key from a CA: verified with --cacert; mismatched or half-given files exit 2 before listening; a CA certificate is warned about",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      const read = `--allow-read=${dir}`;
      await using server = sockit(
        [
          "tcp",
          "listen",
          "0",
          "-k",
          "--mode",
          "echo",
          "--cert",
          `${dir}/leaf.pem`,
          "--key",
          `${dir}/leaf.key`,
        ],
        [...NET, read],
      );
      const port = await server.port();
      assert.match(
        server.stderr,
        /tls fingerprint SHA256 [0-9a-f]{64}\n/,
        "no self-signed note for given files",
      );
      const verified = await runSockit(
        ["tcp", "connect", `localhost:${port}`, "--tls", "--cacert", `${dir}/ca.pem`],
        { permissions: [`--allow-net=127.0.0.1:${port},[::1]:${port}`, read], input: "verified\n" },
      );
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal(verified.stdout, "verified\n");
      assert.match(verified.stderr, /certificate verified/);
      const wrongName = await runSockit(
        [
          "tcp",
          "connect",
          `127.0.0.1:${port}`,
          "--cacert",
          `${dir}/ca.pem`,
          "--servername",
          "other.example",
        ],
        { permissions: [`--allow-net=127.0.0.1:${port}`, read], input: "x" },
      );
      assert.equal(wrongName.code, 1);
      assert.match(wrongName.stderr, /not valid for the name other\.example/);

      const mismatched = await runSockit(
        ["tcp", "listen", "0", "--cert", `${dir}/leaf.pem`, "--key", `${dir}/other.key`],
        { permissions: [...NET, read] },
      );
      assert.equal(mismatched.code, 2);
      assert.match(mismatched.stderr, /the key does not belong to the certificate/);
      assert.doesNotMatch(mismatched.stderr, /listening on/);
      const half = await runSockit(["tcp", "listen", "0", "--cert", `${dir}/leaf.pem`], {
        permissions: [...NET, read],
      });
      assert.equal(half.code, 2);
      assert.match(half.stderr, /--cert and --key go together/);
      const missing = await runSockit(
        ["tcp", "listen", "0", "--cert", `${dir}/nope.pem`, "--key", `${dir}/leaf.key`],
        { permissions: [...NET, read] },
      );
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /Cannot read --cert ".*nope\.pem": no such file/);

      await using caAsServer = sockit(
        ["tcp", "listen", "0", "--cert", `${dir}/ca.pem`, "--key", `${dir}/ca.key`],
        [...NET, read],
      );
      await caAsServer.port();
      assert.match(caAsServer.stderr, /warning: the certificate is a CA certificate \(CA:TRUE/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "openssl s_client talks to tcp listen --tls; tcp connect --tls talks to openssl s_server",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "--tls"], NET);
      const port = await server.port();
      const client = new Spawned("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-quiet",
        "-no_ign_eof",
      ], { stdin: "piped" });
      await client.write("from openssl\n");
      await client.waitFor(/from openssl/, { on: "stdout" });
      await client.closeStdin();
      await client.finish();

      const sPort = freePort();
      await using sServer = new Spawned("openssl", [
        "s_server",
        "-accept",
        `127.0.0.1:${sPort}`,
        "-cert",
        `${dir}/leaf.pem`,
        "-key",
        `${dir}/leaf.key`,
        "-rev",
        "-naccept",
        "1",
      ], { stdin: "null" });
      await sServer.waitFor(/ACCEPT/, { on: "stdout" });
      const reversed = await runSockit(
        ["tcp", "connect", `127.0.0.1:${sPort}`, "--cacert", `${dir}/ca.pem`, "--idle", "1500"],
        {
          permissions: [`--allow-net=127.0.0.1:${sPort}`, `--allow-read=${dir}`],
          input: "stressed\n",
        },
      );
      assert.match(reversed.stdout, /desserts/, reversed.stderr);
      assert.match(reversed.stderr, /certificate verified/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("chat serve --tls relays between TLS clients joined by pin", async () => {
  await using server = sockit(["chat", "serve", "0", "--tls"], NET);
  const [, fingerprint] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const port = await server.port();
  const plan = [`--allow-net=127.0.0.1:${port}`];
  await using ada = sockit([
    "chat",
    "join",
    `127.0.0.1:${port}`,
    "--pin",
    fingerprint ?? "",
    "--nick",
    "Ada",
  ], plan);
  await ada.waitFor(/connected to .*\(TLSv1\.3, certificate pinned\)/);
  await ada.waitFor(/you are Ada|is now known as Ada/, { on: "stdout" });
  const bob = await runSockit(
    ["chat", "join", `127.0.0.1:${port}`, "--pin", fingerprint ?? "", "--nick", "Bob"],
    { permissions: plan, input: "hello over tls\n" },
  );
  assert.equal(bob.code, 0, bob.stderr);
  await ada.waitFor(/<Bob> hello over tls/, { on: "stdout" });
});

Deno.test({
  name:
    "files serve --tls: one fingerprint for both faces; files get/ls pin it, HTTPS answers http/1.1 to curl --pinnedpubkey",
  ignore: skipWithout("curl", "openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/share`);
      await Deno.writeTextFile(`${dir}/share/a.txt`, "hello https\n");
      await using server = sockit(
        ["files", "serve", `${dir}/share`, "--listen", "0", "--http", "0", "--tls"],
        [...NET, `--allow-read=${dir}/share`],
      );
      const files = await server.port({ label: "files" });
      const http = await server.port({ label: "http" });
      const pins = [...server.stderr.matchAll(/tls fingerprint SHA256 ([0-9a-f]{64})/g)].map((m) =>
        m[1]
      );
      assert.equal(pins.length, 2);
      assert.equal(pins[0], pins[1], "both faces present the same certificate");
      const pin = pins[0] ?? "";
      const plan = [`--allow-net=127.0.0.1:${files}`];
      const ls = await runSockit(["files", "ls", `127.0.0.1:${files}`, "--pin", pin], {
        permissions: plan,
      });
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout, /^f 12 \S+ a\.txt$/m);
      const got = await runSockit([
        "files",
        "get",
        `127.0.0.1:${files}`,
        "a.txt",
        "-o",
        "-",
        "--pin",
        pin,
      ], {
        permissions: plan,
      });
      assert.equal(got.stdout, "hello https\n", got.stderr);
      const plain = await runSockit(["files", "ls", `127.0.0.1:${files}`], { permissions: plan });
      assert.equal(plain.code, 1);
      assert.match(
        plain.stderr,
        /closed the connection at once\nhint: a server with --tls does that/,
      );
      const refused = await runSockit(["files", "ls", `127.0.0.1:${files}`, "--tls"], {
        permissions: plan,
      });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`--pin ${pin}`));

      const page = await runSockit(
        ["http", "get", `https://127.0.0.1:${http}/a.txt`, "--pin", pin],
        {
          permissions: [`--allow-net=127.0.0.1:${http}`],
        },
      );
      assert.equal(page.stdout, "hello https\n", page.stderr);
      // curl pins the server's public key (its SPKI SHA-256), taken from the handshake by openssl.
      const key = await spkiPin(http);
      const curl = await new Deno.Command("curl", {
        args: [
          "-sk",
          "--pinnedpubkey",
          `sha256//${key}`,
          "-w",
          "%{http_version}",
          `https://127.0.0.1:${http}/a.txt`,
        ],
        stdout: "piped",
      }).output();
      assert.equal(curl.code, 0);
      assert.equal(new TextDecoder().decode(curl.stdout), "hello https\n1.1");
      const wrongKey = await new Deno.Command("curl", {
        args: [
          "-sk",
          "--pinnedpubkey",
          `sha256//${"A".repeat(43)}=`,
          `https://127.0.0.1:${http}/a.txt`,
        ],
        stdout: "null",
      }).output();
      assert.notEqual(wrongKey.code, 0, "curl refuses a key that is not pinned");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("serve --tls: one fingerprint printed once; TCP services and the HTTPS face take it, UDP stays plain", async () => {
  const offset = freeOffset([[7007, "tcp"], [8080, "tcp"], [7007, "udp"]]);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "shared\n");
    await using server = sockit(
      ["serve", dir, "--tls", "--only", "echo,http,udp-echo", "--port-offset", String(offset)],
      [...NET, `--allow-read=${dir}`],
    );
    await server.waitFor(/try: sockit udp send/);
    const pins = [...server.stderr.matchAll(/tls fingerprint SHA256 ([0-9a-f]{64})/g)];
    assert.equal(pins.length, 1, server.stderr);
    const pin = pins[0]?.[1] ?? "";
    assert.match(
      server.stderr,
      new RegExp(`try: echo hello \\| sockit tcp connect 127\\.0\\.0\\.1:\\d+ --pin ${pin}`),
    );
    assert.match(server.stderr, /curl -k https:\/\/127\.0\.0\.1:\d+\//);
    const echo = await runSockit(["tcp", "connect", `127.0.0.1:${7007 + offset}`, "--pin", pin], {
      input: "over tls\n",
    });
    assert.equal(echo.stdout, "over tls\n", echo.stderr);
    const page = await runSockit([
      "http",
      "get",
      `https://127.0.0.1:${8080 + offset}/a.txt`,
      "--pin",
      pin,
    ]);
    assert.equal(page.stdout, "shared\n", page.stderr);
    const udp = await runSockit([
      "udp",
      "send",
      `127.0.0.1:${7007 + offset}`,
      "plain",
      "--wait",
      "300",
    ]);
    assert.match(udp.stdout, /plain/, udp.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "tcp listen --client-ca: a client certificate from that CA is served; none, or one from elsewhere, is refused and logged",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
      await openssl([
        "req",
        ...ec,
        "-keyout",
        "alice.key",
        "-out",
        "alice.csr",
        "-subj",
        "/CN=alice",
      ], dir);
      await Deno.writeTextFile(`${dir}/cext`, "extendedKeyUsage=clientAuth\n");
      await openssl([
        "x509",
        "-req",
        "-in",
        "alice.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "alice.pem",
        "-days",
        "1",
        "-extfile",
        "cext",
      ], dir);
      await openssl(
        [
          "req",
          "-x509",
          ...ec,
          "-keyout",
          "rogue.key",
          "-out",
          "rogue.pem",
          "-days",
          "1",
          "-subj",
          "/CN=mallory",
        ],
        dir,
      );
      const read = `--allow-read=${dir}`;
      await using server = sockit(
        ["tcp", "listen", "0", "-k", "--mode", "echo", "--tls", "--client-ca", `${dir}/ca.pem`],
        [...NET, read],
      );
      const [, pin] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
      const port = await server.port();
      const plan = [`--allow-net=127.0.0.1:${port}`, read];
      const connect = (extra: string[], input: string) =>
        runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--pin", pin ?? "", ...extra], {
          permissions: plan,
          input,
        });
      const alice = await connect(
        ["--cert", `${dir}/alice.pem`, "--key", `${dir}/alice.key`],
        "alice\n",
      );
      assert.equal(alice.stdout, "alice\n", alice.stderr);
      const none = await connect([], "nobody\n");
      assert.equal(none.stdout, "");
      await server.waitFor(/TLS client certificate refused: the client sent none/);
      const rogue = await connect(
        ["--cert", `${dir}/rogue.pem`, "--key", `${dir}/rogue.key`],
        "mallory\n",
      );
      assert.equal(rogue.stdout, "");
      await server.waitFor(
        /TLS client certificate refused: it is not issued by a --client-ca CA \(subject CN=mallory\)/,
      );
      const half = await connect(["--cert", `${dir}/alice.pem`], "x");
      assert.equal(half.code, 2);
      assert.match(half.stderr, /--cert and --key go together/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("bench serve --tls: a sockit client pinning its fingerprint runs TCP and UDP tests (with --deny for a peer that never comes)", async () => {
  await using server = sockit(["bench", "serve", "127.0.0.1:0", "--tls", "--deny", "127.0.0.2"]);
  const [, pin] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const port = await server.port();
  const tcp = await runSockit(
    ["bench", "client", `127.0.0.1:${port}`, "-n", "20M", "--pin", pin ?? "", "-i", "0"],
    { permissions: [`--allow-net=127.0.0.1:${port}`] },
  );
  assert.equal(tcp.code, 0, tcp.stderr);
  assert.match(tcp.stdout, /receiver/);
  await server.waitFor(/TCP, 1 stream: received 21\.0 MB/);
  const udp = await runSockit(
    [
      "bench",
      "client",
      `127.0.0.1:${port}`,
      "-u",
      "-b",
      "10m",
      "-n",
      "200K",
      "--pin",
      pin ?? "",
      "-i",
      "0",
    ],
    { permissions: ["--allow-net=127.0.0.1"] },
  );
  assert.equal(udp.code, 0, udp.stderr);
  await server.waitFor(/UDP, 1 stream: received/);
  const unpinned = await runSockit(["bench", "client", `127.0.0.1:${port}`, "-n", "1M", "--tls"], {
    permissions: [`--allow-net=127.0.0.1:${port}`],
  });
  assert.equal(unpinned.code, 1);
  assert.match(unpinned.stderr, /not trusted: it is self-signed/);
});

Deno.test({
  name: "bench serve --deny: a denied peer is closed without a byte and logged",
  ignore: skipWithout("nc"),
  async fn() {
    await using server = sockit(["bench", "serve", "127.0.0.1:0", "--deny", "127.0.0.2"]);
    const port = await server.port();
    const denied = await new Deno.Command("nc", {
      args: ["-N", "-w", "2", "-s", "127.0.0.2", "127.0.0.1", String(port)],
      stdin: "null",
      stdout: "piped",
    }).output();
    assert.equal(denied.stdout.length, 0, "not a byte for a denied peer");
    await server.waitFor(/denied 127\.0\.0\.2:\d+/);
  },
});

Deno.test({
  name:
    "expired and not-yet-valid certificates: served with a warning, refused with --cacert saying which, trusted by --pin",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      // openssl ca is the tool that signs with chosen dates.
      await Deno.mkdir(`${dir}/db`);
      await Deno.writeTextFile(`${dir}/db/index.txt`, "");
      await Deno.writeTextFile(`${dir}/db/serial`, "01\n");
      await Deno.writeTextFile(
        `${dir}/ca.cnf`,
        "[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = db/index.txt\nnew_certs_dir = db\nserial = db/serial\n" +
          "default_md = sha256\npolicy = any\nunique_subject = no\n[ any ]\ncommonName = supplied\n",
      );
      const sign = (out: string, start: string, end: string) =>
        openssl([
          "ca",
          "-batch",
          "-config",
          "ca.cnf",
          "-cert",
          "ca.pem",
          "-keyfile",
          "ca.key",
          "-in",
          "leaf.csr",
          "-out",
          out,
          "-startdate",
          start,
          "-enddate",
          end,
          "-extfile",
          "ext",
        ], dir);
      await sign("expired.pem", "20200101000000Z", "20200102000000Z");
      await sign("future.pem", "20400101000000Z", "20400201000000Z");
      const read = `--allow-read=${dir}`;
      for (
        const [file, warning, refusal] of [
          [
            "expired.pem",
            /warning: the certificate expired on 2020-01-02/,
            /not trusted: it expired on 2020-01-02/,
          ],
          [
            "future.pem",
            /warning: the certificate is not valid before 2040-01-01/,
            /not trusted: it is not valid before 2040-01-01/,
          ],
        ] as const
      ) {
        await using server = sockit(
          [
            "tcp",
            "listen",
            "0",
            "-k",
            "--mode",
            "echo",
            "--cert",
            `${dir}/${file}`,
            "--key",
            `${dir}/leaf.key`,
          ],
          [...NET, read],
        );
        const [, pin] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
        const port = await server.port();
        assert.match(server.stderr, warning);
        const plan = [`--allow-net=127.0.0.1:${port}`, read];
        const refused = await runSockit([
          "tcp",
          "connect",
          `127.0.0.1:${port}`,
          "--cacert",
          `${dir}/ca.pem`,
        ], {
          permissions: plan,
          input: "x",
        });
        assert.equal(refused.code, 1, file);
        assert.match(refused.stderr, refusal);
        const pinned = await runSockit(
          ["tcp", "connect", `127.0.0.1:${port}`, "--pin", pin ?? ""],
          {
            permissions: plan,
            input: "pinned\n",
          },
        );
        assert.equal(pinned.stdout, "pinned\n", pinned.stderr);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a client that never finishes the TLS handshake is closed by --idle; the server keeps serving", async () => {
  await using server = sockit([
    "tcp",
    "listen",
    "0",
    "-k",
    "--mode",
    "echo",
    "--tls",
    "--idle",
    "300",
  ], NET);
  const [, pin] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
  const port = await server.port();
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await server.waitFor(/closed 127\.0\.0\.1:\d+ \(0 B in, 0 B out, idle 300 ms\)/);
    const after = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--pin", pin ?? ""], {
      permissions: [`--allow-net=127.0.0.1:${port}`],
      input: "still serving\n",
    });
    assert.equal(after.stdout, "still serving\n", after.stderr);
  } finally {
    silent.close();
  }
});

Deno.test({
  name: "the HTTPS face with --cert/--key from a CA: curl --cacert verifies it by name",
  ignore: skipWithout("curl", "openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      await Deno.mkdir(`${dir}/share`);
      await Deno.writeTextFile(`${dir}/share/ca-signed.txt`, "verified by curl\n");
      await using server = sockit(
        [
          "files",
          "serve",
          `${dir}/share`,
          "--listen",
          "0",
          "--http",
          "0",
          "--cert",
          `${dir}/leaf.pem`,
          "--key",
          `${dir}/leaf.key`,
        ],
        [...NET, `--allow-read=${dir}`],
      );
      const http = await server.port({ label: "http" });
      const curl = await new Deno.Command("curl", {
        args: [
          "-sS",
          "--cacert",
          `${dir}/ca.pem`,
          "--resolve",
          `localhost:${http}:127.0.0.1`,
          `https://localhost:${http}/ca-signed.txt`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(curl.code, 0, new TextDecoder().decode(curl.stderr));
      assert.equal(new TextDecoder().decode(curl.stdout), "verified by curl\n");
      const noCa = await new Deno.Command("curl", {
        args: ["-sS", "--resolve", `localhost:${http}:127.0.0.1`, `https://localhost:${http}/`],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.notEqual(noCa.code, 0, "without the CA curl refuses");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * A `--port-offset` whose ports are free now, below the ephemeral range
 * (32768 and up on Linux), so no client connection of another test can take
 * one meanwhile.
 */
function freeOffset(ports: [number, "tcp" | "udp"][]): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 10_000 + Math.floor(Math.random() * 14_000);
    const free = ports.every(([port, transport]) => {
      try {
        const hostname = "127.0.0.1";
        if (transport === "tcp") Deno.listen({ hostname, port: port + offset }).close();
        else Deno.listenDatagram({ hostname, port: port + offset, transport: "udp" }).close();
        return true;
      } catch {
        return false;
      }
    });
    if (free) return offset;
  }
  throw new Error("no free port offset found");
}

Deno.test({
  name:
    "verification checks an IP target against the certificate's addresses (no SNI is sent for an IP)",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir); // the leaf is for localhost and 127.0.0.1, not ::1
      const read = `--allow-read=${dir}`;
      await using server = sockit(
        [
          "tcp",
          "listen",
          "[::]:0",
          "-k",
          "--mode",
          "echo",
          "--cert",
          `${dir}/leaf.pem`,
          "--key",
          `${dir}/leaf.key`,
        ],
        ["--allow-net=[::]", read],
      );
      const port = await server.port();
      const v4 = await runSockit([
        "tcp",
        "connect",
        `127.0.0.1:${port}`,
        "--cacert",
        `${dir}/ca.pem`,
      ], {
        permissions: [`--allow-net=127.0.0.1:${port}`, read],
        input: "v4\n",
      });
      assert.equal(v4.stdout, "v4\n", v4.stderr);
      const v6 = await runSockit(["tcp", "connect", `[::1]:${port}`, "--cacert", `${dir}/ca.pem`], {
        permissions: [`--allow-net=[::1]:${port}`, read],
        input: "v6\n",
      });
      assert.equal(v6.code, 1);
      assert.equal(v6.stdout, "");
      assert.match(v6.stderr, /not trusted: it is not valid for the name ::1/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
