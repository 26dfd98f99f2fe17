/**
 * `http get` against real peers: python3 -m http.server (bodies compared
 * byte for byte with curl's), and a local HTTPS server whose certificate
 * comes from a test CA made with openssl. In CI a missing peer fails.
 */
import assert from "node:assert/strict";
import { pythonHttpServer, runSockit, skipWithout, Spawned } from "../helpers/harness.ts";

async function run(
  command: string,
  args: string[],
): Promise<{ code: number; bytes: Uint8Array; stderr: string }> {
  await using proc = new Spawned(command, args, { stdin: "null" });
  const { code, stdoutBytes, stderr } = await proc.finish(30_000);
  return { code, bytes: stdoutBytes, stderr };
}

Deno.test({
  name: "http get bodies equal curl's byte for byte (python3 http.server)",
  ignore: skipWithout("python3", "curl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const blob = new Uint8Array(2 * 1024 * 1024);
      for (let i = 0; i < blob.length; i += 65536) {
        crypto.getRandomValues(blob.subarray(i, i + 65536));
      }
      await Deno.writeFile(`${dir}/blob.bin`, blob);
      await Deno.writeTextFile(`${dir}/héllo wörld.txt`, "unicode name\n");
      const { server, port } = await pythonHttpServer(dir);
      await using _ = server;
      for (const path of ["/blob.bin", "/", "/h%C3%A9llo%20w%C3%B6rld.txt", "/missing"]) {
        const url = `http://127.0.0.1:${port}${path}`;
        const ours = await runSockit(["http", "get", url]);
        const theirs = await run("curl", ["-s", url]);
        assert.deepEqual(ours.stdoutBytes, theirs.bytes, path);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "https: verified against a test CA with --cacert; refused without it, naming the --pin that would trust it; --pin and --insecure",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const ssl = (args: string[]) => run("openssl", args);
      await ssl([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${dir}/ca.key`,
        "-out",
        `${dir}/ca.pem`,
        "-days",
        "2",
        "-subj",
        "/CN=sockit test CA",
      ]);
      await ssl([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${dir}/server.key`,
        "-out",
        `${dir}/server.csr`,
        "-subj",
        "/CN=localhost",
      ]);
      await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
      const signed = await ssl([
        "x509",
        "-req",
        "-in",
        `${dir}/server.csr`,
        "-CA",
        `${dir}/ca.pem`,
        "-CAkey",
        `${dir}/ca.key`,
        "-CAcreateserial",
        "-out",
        `${dir}/server.pem`,
        "-days",
        "2",
        "-extfile",
        `${dir}/ext.cnf`,
      ]);
      assert.equal(signed.code, 0, signed.stderr);
      const listener = Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(`${dir}/server.pem`),
        key: await Deno.readTextFile(`${dir}/server.key`),
      });
      const serving = (async () => {
        for await (const conn of listener) {
          (async () => {
            try {
              const buffer = new Uint8Array(4096);
              let request = "";
              while (!request.includes("\r\n\r\n")) {
                const n = await conn.read(buffer);
                if (n === null) break;
                request += new TextDecoder().decode(buffer.subarray(0, n));
              }
              const body = `secure hello, Host was ${/Host: (\S+)/.exec(request)?.[1]}\n`;
              await conn.write(new TextEncoder().encode(
                `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${
                  body.length.toString(16)
                }\r\n${body}\r\n0\r\n\r\n`,
              ));
            } catch {
              // handshake refused by the client
            } finally {
              try {
                conn.close();
              } catch {
                // closed
              }
            }
          })();
        }
      })();
      try {
        const port = listener.addr.port;
        const perms = ["--allow-net=127.0.0.1,localhost", `--allow-read=${dir}`];
        const trusted = await runSockit([
          "http",
          "get",
          "--cacert",
          `${dir}/ca.pem`,
          `https://localhost:${port}/`,
        ], { permissions: perms });
        assert.equal(trusted.code, 0, trusted.stderr);
        assert.equal(trusted.stdout, `secure hello, Host was localhost:${port}\n`);
        const untrusted = await runSockit(["http", "get", `https://localhost:${port}/`], {
          permissions: perms,
        });
        assert.equal(untrusted.code, 1);
        assert.match(
          untrusted.stderr,
          /TLS with localhost:\d+: the server's certificate is not trusted: its issuer is not a trusted CA/,
        );
        const pin = /--pin ([0-9a-f]{64})/.exec(untrusted.stderr)?.[1];
        assert.ok(pin, untrusted.stderr);
        assert.match(
          untrusted.stderr,
          /hint: the certificate is .*CN=localhost.*issued by .*; to trust exactly it: --pin [0-9a-f]{64}; for a private CA: --cacert FILE/,
        );
        const pinned = await runSockit(
          ["http", "get", "--pin", pin, `https://localhost:${port}/`],
          {
            permissions: perms,
          },
        );
        assert.equal(pinned.code, 0, pinned.stderr);
        assert.equal(pinned.stdout, `secure hello, Host was localhost:${port}\n`);
        const wrongPin = await runSockit(
          ["http", "get", "--pin", "ab".repeat(32), `https://localhost:${port}/`],
          { permissions: perms },
        );
        assert.equal(wrongPin.code, 1);
        assert.match(wrongPin.stderr, /not the pinned one \(its SHA-256 is [0-9a-f]{64}\)/);
        const badPin = await runSockit([
          "http",
          "get",
          "--pin",
          "xyz",
          `https://localhost:${port}/`,
        ], {
          permissions: perms,
        });
        assert.equal(badPin.code, 2, badPin.stderr);
        const wrongName = await runSockit([
          "http",
          "get",
          "--cacert",
          `${dir}/ca.pem`,
          "--servername",
          "elsewhere.example",
          `https://127.0.0.1:${port}/`,
        ], { permissions: perms });
        assert.equal(wrongName.code, 1);
        assert.match(wrongName.stderr, /not valid for the name elsewhere\.example/);
        // --insecure: neither the chain (no --cacert) nor the name is checked.
        const insecure = await runSockit([
          "http",
          "get",
          "--insecure",
          `https://127.0.0.1:${port}/`,
        ], {
          permissions: perms,
        });
        assert.equal(insecure.code, 0, insecure.stderr);
        assert.match(
          insecure.stderr,
          /warning: --insecure: the server's certificate is not checked \(chain and name\)/,
        );
      } finally {
        listener.close();
        await serving;
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
