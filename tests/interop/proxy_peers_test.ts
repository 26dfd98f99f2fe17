/**
 * `http get --proxy` through real proxies from Debian: microsocks (SOCKS5,
 * with and without a username and password) and tinyproxy (HTTP CONNECT),
 * each run with exactly the plan's permissions — the proxy's address, not
 * the target's — and TLS inside a SOCKS5 tunnel, trusted by its pin. In CI
 * a missing proxy fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { freePort, pythonHttpServer, runSockit, skipWithout, Spawned } from "../helpers/harness.ts";
import { pollUntil } from "../helpers/net.ts";
import { selfSigned } from "../../src/tls/certificate.ts";

/** Waits (bounded) until something accepts on 127.0.0.1:`port`. */
async function accepting(port: number): Promise<void> {
  await pollUntil(async () => {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      return undefined;
    }
  });
}

function microsocks(port: number, auth?: [string, string]): Spawned {
  return new Spawned("microsocks", [
    "-i",
    "127.0.0.1",
    "-p",
    String(port),
    ...(auth ? ["-u", auth[0], "-P", auth[1]] : []),
  ], { stdin: "null" });
}

Deno.test({
  name:
    "http get through microsocks: socks5 and socks5h with only the proxy in the plan; credentials",
  ignore: skipWithout("microsocks", "python3"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/hello.txt`, "through the proxy\n");
      const { server, port } = await pythonHttpServer(dir);
      await using _web = server;
      const proxyPort = freePort();
      await using _proxy = microsocks(proxyPort);
      await accepting(proxyPort);
      const plan = [`--allow-net=127.0.0.1:${proxyPort}`];
      for (const scheme of ["socks5", "socks5h"]) {
        const got = await runSockit(
          [
            "http",
            "get",
            "--proxy",
            `${scheme}://127.0.0.1:${proxyPort}`,
            `http://127.0.0.1:${port}/hello.txt`,
          ],
          { permissions: plan },
        );
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.stdout, "through the proxy\n");
      }
      // The plan printed for it names the proxy, not the target.
      const printed = await runSockit([
        "--permissions",
        "http",
        "get",
        "--proxy",
        `socks5h://127.0.0.1:${proxyPort}`,
        `http://127.0.0.1:${port}/hello.txt`,
      ]);
      assert.match(printed.stdout, new RegExp(`--allow-net=127\\.0\\.0\\.1:${proxyPort}\\b`));
      assert.doesNotMatch(printed.stdout, new RegExp(`:${port}\\b`));

      const authPort = freePort();
      await using _authProxy = microsocks(authPort, ["ann", "s3cret"]);
      await accepting(authPort);
      const withAuth = await runSockit(
        [
          "http",
          "get",
          "--proxy",
          `socks5h://ann:s3cret@127.0.0.1:${authPort}`,
          `http://127.0.0.1:${port}/hello.txt`,
        ],
        { permissions: [`--allow-net=127.0.0.1:${authPort}`] },
      );
      assert.equal(withAuth.code, 0, withAuth.stderr);
      assert.equal(withAuth.stdout, "through the proxy\n");
      const noAuth = await runSockit(
        [
          "http",
          "get",
          "--proxy",
          `socks5h://127.0.0.1:${authPort}`,
          `http://127.0.0.1:${port}/hello.txt`,
        ],
        { permissions: [`--allow-net=127.0.0.1:${authPort}`] },
      );
      assert.equal(noAuth.code, 1);
      assert.match(
        noAuth.stderr,
        /accepts none of the offered methods \(none\); it may want a username/,
      );
      const badAuth = await runSockit(
        [
          "http",
          "get",
          "--proxy",
          `socks5h://ann:wrong@127.0.0.1:${authPort}`,
          `http://127.0.0.1:${port}/hello.txt`,
        ],
        { permissions: [`--allow-net=127.0.0.1:${authPort}`] },
      );
      assert.equal(badAuth.code, 1);
      assert.match(badAuth.stderr, /refused the username and password/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "https inside a SOCKS5 tunnel: the server's self-signed certificate trusted by its pin",
  ignore: skipWithout("microsocks"),
  async fn() {
    const made = await selfSigned({ names: ["127.0.0.1", "localhost"] });
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: made.cert,
      key: made.key,
    });
    const serving = (async () => {
      for await (const conn of listener) {
        try {
          const buf = new Uint8Array(4096);
          let seen = "";
          while (!seen.includes("\r\n\r\n")) {
            const n = await conn.read(buf);
            if (n === null) break;
            seen += new TextDecoder().decode(buf.subarray(0, n));
          }
          await conn.write(new TextEncoder().encode(
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ntunnel\n",
          ));
        } catch {
          // a client that refused the certificate
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      }
    })();
    try {
      const proxyPort = freePort();
      await using _proxy = microsocks(proxyPort);
      await accepting(proxyPort);
      const url = `https://127.0.0.1:${listener.addr.port}/`;
      const plan = [`--allow-net=127.0.0.1:${proxyPort}`];
      const pinned = await runSockit(
        [
          "http",
          "get",
          "--proxy",
          `socks5://127.0.0.1:${proxyPort}`,
          "--pin",
          made.fingerprint,
          url,
        ],
        { permissions: plan },
      );
      assert.equal(pinned.code, 0, pinned.stderr);
      assert.equal(pinned.stdout, "tunnel\n");
      const refused = await runSockit(
        ["http", "get", "--proxy", `socks5://127.0.0.1:${proxyPort}`, url],
        { permissions: plan },
      );
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        new RegExp(`it is self-signed[\\s\\S]*--pin ${made.fingerprint}`),
      );
    } finally {
      listener.close();
      await serving;
    }
  },
});

Deno.test({
  name: "http get through tinyproxy's CONNECT; a port it does not allow is its refusal, exit 1",
  ignore: skipWithout("tinyproxy", "python3"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/hello.txt`, "via CONNECT\n");
      const { server, port } = await pythonHttpServer(dir);
      await using _web = server;
      const start = async (connectPorts: number[]) => {
        const proxyPort = freePort();
        const conf = `${dir}/tinyproxy-${proxyPort}.conf`;
        await Deno.writeTextFile(
          conf,
          [
            `Port ${proxyPort}`,
            "Listen 127.0.0.1",
            "Timeout 30",
            "MaxClients 10",
            "Allow 127.0.0.1",
            ...connectPorts.map((p) => `ConnectPort ${p}`),
            "",
          ].join("\n"),
        );
        const proxy = new Spawned("tinyproxy", ["-d", "-c", conf], { stdin: "null" });
        await accepting(proxyPort);
        return { proxy, proxyPort };
      };
      {
        const { proxy, proxyPort } = await start([]);
        await using _p = proxy;
        const got = await runSockit(
          [
            "http",
            "get",
            "--proxy",
            `http://127.0.0.1:${proxyPort}`,
            `http://127.0.0.1:${port}/hello.txt`,
          ],
          { permissions: [`--allow-net=127.0.0.1:${proxyPort}`] },
        );
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.stdout, "via CONNECT\n");
      }
      {
        const { proxy, proxyPort } = await start([443]);
        await using _p = proxy;
        const refused = await runSockit(
          [
            "http",
            "get",
            "--proxy",
            `http://127.0.0.1:${proxyPort}`,
            `http://127.0.0.1:${port}/hello.txt`,
          ],
          { permissions: [`--allow-net=127.0.0.1:${proxyPort}`] },
        );
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, new RegExp(`refused CONNECT 127\\.0\\.0\\.1:${port}: 403`));
      }
      const badUrl = await runSockit([
        "http",
        "get",
        "--proxy",
        "127.0.0.1:3128",
        `http://127.0.0.1:${port}/`,
      ]);
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /Cannot use proxy "127\.0\.0\.1:3128": expected socks5:\/\//);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
